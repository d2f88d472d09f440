"""Program-scale data for the dashboards' benchmark and tests: factories, sites, terms,
families, workers with hire and leave dates, children, enrolments, a year of attendance
(COPY on PostgreSQL, bulk inserts elsewhere), incidents, refused pickups, minutes over
ratio, staff on duty now, parents' survey answers; then the day table.

Everything it makes belongs to factories whose code starts with ``gen-``, so it can be
removed again without touching anything else."""

import csv
import io
import random
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from attendance.models import AttendanceRecord, Incident, RefusedPickup
from enrollment.models import (
    CONSENT_TEXT_VERSION,
    Child,
    Consent,
    Enrollment,
    Factory,
    Family,
    OpeningHours,
    Site,
    Term,
    Worker,
)
from ffs_portal.demo import names
from ffs_portal.lib import pinyin
from ffs_portal.models import AuditEntry, Role, User
from ffs_portal.outcomes.models import ParentSurvey, ProgramYear, SiteDay
from ffs_portal.outcomes.site_days import rebuild
from staff.models import DutyPeriod, RatioDay

PREFIX = "gen-"
SURNAMES = names.FAMILY_NAMES
# Given names of one or two characters, made of the characters of the demo's given names.
GIVEN = "".join(dict.fromkeys("".join(names.GIVEN_NAMES)))
PLACES = [
    ("guangdong", ["东莞", "深圳", "汕头", "广州", "中山"], 70),
    ("jiangsu", ["苏州", "扬州", "南通"], 15),
    ("zhejiang", ["宁波", "义乌", "温州"], 15),
]
HOME_PROVINCES = names.HOME_PROVINCES
FFS_HOURS = (time(7, 30), time(18, 0))
ASC_HOURS = (time(16, 0), time(20, 30))
ASC_SATURDAY = (time(8, 0), time(18, 0))


@dataclass
class Plan:
    factories: int = 100
    sites: int = 150
    children: int = 20_000
    days: int = 365
    seed: int = 2026
    today: date = field(default_factory=timezone.localdate)
    now: datetime = field(default_factory=timezone.now)

    @property
    def first_day(self) -> date:
        return self.today - timedelta(days=self.days - 1)


@dataclass
class SiteInfo:
    site: Site
    hours: dict  # weekday → (opens, closes)
    terms: list = field(default_factory=list)
    children: list = field(default_factory=list)  # (child id, family id, date of birth)
    attendance: float = 0.9  # the site's usual rate
    unrecorded: float = 0.01  # share of child-days nobody records
    bad_week: bool = False  # an outbreak of illness last week
    waiting: int = 0  # children on the waiting list of the running term


class Report:
    def __init__(self, out=None):
        self.out = out
        self.started = clock.perf_counter()
        self.steps = []

    def step(self, text: str) -> None:
        elapsed = clock.perf_counter() - self.started
        self.steps.append((text, elapsed))
        if self.out:
            self.out.write(f"{elapsed:7.1f} s  {text}")


def remove_generated(report: Report | None = None, prefix: str = PREFIX) -> None:
    """Delete everything made by an earlier run (factories coded gen-…, or ``prefix``). The
    millions of attendance records go with one plain DELETE: the ORM would load them all."""
    factories = Factory.objects.filter(code__startswith=prefix)
    sites = Site.objects.filter(factory__in=factories)
    with transaction.atomic():
        site_ids = list(sites.values_list("pk", flat=True))
        for model in (SiteDay, RatioDay, RefusedPickup, Incident, DutyPeriod):
            model.objects.filter(site__in=site_ids).delete()
        if site_ids:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {AttendanceRecord._meta.db_table} "  # noqa: S608 - our ids
                    f"WHERE site_id IN ({', '.join(str(pk) for pk in site_ids)})"
                )
        User.objects.filter(username__startswith=prefix).delete()
        ParentSurvey.objects.filter(family__factory__in=factories).delete()
        AuditEntry.objects.filter(factory__in=factories).delete()
        Enrollment.objects.filter(term__site__in=site_ids).delete()
        Term.objects.filter(site__in=site_ids).delete()
        Consent.objects.filter(child__family__factory__in=factories).delete()
        Child.objects.filter(family__factory__in=factories).delete()
        Worker.objects.filter(factory__in=factories).delete()
        Family.objects.filter(factory__in=factories).delete()
        ProgramYear.objects.filter(factory__in=factories).delete()
        Site.objects.filter(pk__in=site_ids).delete()
        factories.delete()
    if report:
        report.step("removed the data of an earlier run")


def generate(plan: Plan, report: Report | None = None) -> dict:
    report = report or Report()
    rng = random.Random(plan.seed)
    with transaction.atomic():
        infos = _factories_and_sites(plan, rng)
        report.step(f"{len(infos)} sites at {plan.factories} factories, with their terms")
        counts = _families(plan, rng, infos)
        report.step(
            f"{counts['children']:,} children, {counts['workers']:,} workers, "
            f"{counts['enrollments']:,} enrolments"
        )
    with transaction.atomic():
        counts["attendance"] = _attendance(plan, rng, infos)
        report.step(f"{counts['attendance']:,} attendance records")
        counts["incidents"], counts["refused"] = _events(plan, rng, infos)
        counts["ratio_days"] = _ratio_days(plan, rng, infos)
        _staff_now(plan, rng, infos)
        counts["surveys"] = _surveys(plan, rng, infos)
        report.step(
            f"{counts['incidents']:,} incidents, {counts['refused']:,} refused pickups, "
            f"{counts['ratio_days']:,} days over ratio, {counts['surveys']:,} survey answers"
        )
    _analyze(
        Factory,
        Site,
        Term,
        Family,
        Worker,
        Child,
        Consent,
        Enrollment,
        AttendanceRecord,
        Incident,
        RefusedPickup,
        RatioDay,
        DutyPeriod,
        ParentSurvey,
        ProgramYear,
    )
    with transaction.atomic():
        counts["site_days"] = rebuild(
            start=plan.first_day,
            end=plan.today - timedelta(days=1),
            site_ids=[info.site.pk for info in infos],
        )
    _analyze(SiteDay)
    report.step(f"{counts['site_days']:,} site-days in the day table")
    return counts


def _analyze(*models) -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL would take a while to notice)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {model._meta.db_table}")


def history(*, site: Site, terms: list, until: date, seed: int = 2026) -> dict:
    """Past attendance for an existing site (the demo): every open day of ``terms`` up to
    ``until``, for the children placed in each term, with incidents, minutes over ratio and
    survey answers for terms that have ended; then the day table for those days."""
    rng = random.Random(seed)
    week = {hours.weekday: (hours.opens, hours.closes) for hours in site.opening_hours.all()}
    info = SiteInfo(site=site, hours=week, terms=list(terms), attendance=0.88, unrecorded=0.01)
    children = (
        Enrollment.objects.filter(term__in=terms, status__in=["enrolled", "completed"])
        .values_list("child", "child__family", "child__date_of_birth")
        .distinct()
    )
    info.children = list(children)
    first = min(term.starts_on for term in terms)
    plan = Plan(
        days=(until - first).days + 1,
        today=until,
        now=timezone.make_aware(datetime.combine(until, time(23, 59))),
    )
    counts = {"attendance": _attendance(plan, rng, [info])}
    counts["incidents"], counts["refused"] = _events(plan, rng, [info])
    counts["ratio_days"] = _ratio_days(plan, rng, [info])
    # Families answer once a term has ended, whenever that was.
    counts["surveys"] = _surveys(Plan(today=timezone.localdate()), rng, [info])
    counts["site_days"] = rebuild(start=first, end=until, site_ids=[site.pk])
    return counts


def _name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _n in range(rng.choice((1, 2))))


def _terms_for(kind: str, plan: Plan) -> list[tuple[str, date, date]]:
    terms = []
    for year in range(plan.first_day.year - 1, plan.today.year + 1):
        if kind == "ffs":
            starts, ends, name = date(year, 7, 6), date(year, 8, 22), f"{year}年暑期"
        else:
            starts, ends = date(year, 9, 1), date(year + 1, 6, 30)
            name = f"{year}–{year + 1}学年"
        if ends >= plan.first_day and starts <= plan.today:
            terms.append((name, starts, ends))
    return terms


def _factories_and_sites(plan: Plan, rng) -> list[SiteInfo]:
    weighted = [place for place in PLACES for _n in range(place[2])]
    factories = Factory.objects.bulk_create(
        Factory(
            code=f"{PREFIX}{number:03d}",
            name=f"{city}{_factory_word(rng)}玩具{rng.choice(['厂', '有限公司', '实业公司'])}{number}",
            city=city,
            province=province,
        )
        for number in range(1, plan.factories + 1)
        for province, cities, _w in [rng.choice(weighted)]
        for city in [rng.choice(cities)]
    )
    # Every factory has a site; some have a summer space and an after-school center.
    owners = list(factories) + [
        factories[i % len(factories)] for i in range(plan.sites - len(factories))
    ]
    kinds: dict[int, set[str]] = {}
    sites = []
    for number, factory in enumerate(owners):
        taken = kinds.setdefault(factory.pk, set())
        kind = (
            "asc" if "ffs" in taken else ("ffs" if "asc" in taken else rng.choice(["ffs", "asc"]))
        )
        taken.add(kind)
        label = "暑期家庭友好空间" if kind == "ffs" else "课后托管中心"
        sites.append(
            Site(
                factory=factory,
                name=f"{factory.city}{number + 1:03d}{label}",
                kind=kind,
                capacity=1,  # set once the children are known
                min_age=3 if kind == "ffs" else 6,
                max_age=14,
            )
        )
    sites = Site.objects.bulk_create(sites)
    hours, terms, infos = [], [], []
    for site in sites:
        if site.kind == "ffs":
            week = dict.fromkeys(range(6), FFS_HOURS)
        else:
            week = {**dict.fromkeys(range(5), ASC_HOURS), 5: ASC_SATURDAY}
        hours += [
            OpeningHours(site=site, weekday=d, opens=o, closes=c) for d, (o, c) in week.items()
        ]
        info = SiteInfo(
            site=site,
            hours=week,
            attendance=rng.uniform(0.78, 0.95),
            unrecorded=0.08 if rng.random() < 0.05 else rng.uniform(0.0, 0.015),
        )
        for name, starts, ends in _terms_for(site.kind, plan):
            terms.append(Term(site=site, name=name, starts_on=starts, ends_on=ends))
            info.terms.append(terms[-1])
        infos.append(info)
    OpeningHours.objects.bulk_create(hours)
    Term.objects.bulk_create(terms)
    # A few sites had a bad week last week: the dashboard should find them.
    for info in rng.sample(infos, k=min(3, len(infos))):
        info.bad_week = True
    years = {
        (info.site.factory_id, info.site.kind, term.starts_on.year)
        for info in infos
        for term in info.terms
    }
    ProgramYear.objects.bulk_create(
        ProgramYear(
            factory_id=factory_id,
            program=kind,
            year=year,
            support=rng.choice(["ietp", "self_run"]),
        )
        for factory_id, kind, year in sorted(years)
    )
    return infos


def _factory_word(rng) -> str:
    return rng.choice(
        ["星河", "童乐", "金宝", "华丰", "新星", "宏达", "美力", "奇趣", "乐园", "东方"]
    )


def _families(plan: Plan, rng, infos: list[SiteInfo]) -> dict:
    """Families with one or two children at each site, their workers, and workers of the same
    factories whose children do not use a space."""
    per_site = [plan.children // len(infos)] * len(infos)
    for i in range(plan.children - sum(per_site)):
        per_site[i] += 1
    families, workers, children, consents, enrollments = [], [], [], [], []
    plans = []  # (info, family index, number of children)
    for info, wanted in zip(infos, per_site, strict=True):
        made = 0
        while made < wanted:
            n = min(rng.choice((1, 1, 1, 2)), wanted - made)
            families.append(Family(factory_id=info.site.factory_id))
            plans.append((info, len(families) - 1, n))
            made += n
    # Workers of the same factories whose children do not use a space (about two for every
    # five families that do): the retention comparison.
    lone = [info.site.factory_id for info, _index, _n in plans if rng.random() < 0.4]
    families = Family.objects.bulk_create(families, batch_size=5000)
    employee_numbers: dict[int, int] = {}
    today = plan.today

    def worker(factory_id, family, used):
        number = employee_numbers.get(factory_id, 0) + 1
        employee_numbers[factory_id] = number
        hired = today - timedelta(days=rng.randrange(60, 6 * 365))
        # Parents whose children use a space leave less often (monthly hazard, by design).
        hazard = 0.012 if used else 0.025
        months = int(rng.expovariate(hazard)) if hazard else 999
        left = hired + timedelta(days=30 * months + rng.randrange(30))
        return Worker(
            factory_id=factory_id,
            family=family,
            employee_no=f"G{number:06d}",
            name=_name(rng),
            mobile=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
            hukou_province=rng.choice(HOME_PROVINCES),
            department=rng.choice(["注塑车间", "喷油车间", "装配一线", "装配二线", "包装车间"]),
            hire_date=hired,
            leave_date=left if left <= today else None,
        )

    for info, index, n in plans:
        family = families[index]
        for _w in range(rng.choice((1, 1, 2))):
            workers.append(worker(info.site.factory_id, family, used=True))
        for _c in range(n):
            age = rng.randrange(info.site.min_age, info.site.max_age + 1)
            name = _name(rng)
            children.append(
                Child(
                    family=family,
                    name=name,
                    name_initials=pinyin.initials(name),
                    name_pinyin=pinyin.full_pinyin(name),
                    sex=rng.choice("fm"),
                    date_of_birth=today - timedelta(days=365 * age + rng.randrange(365)),
                    hukou_province=rng.choice(HOME_PROVINCES),
                    lives_with=rng.choice(
                        ["parents", "grandparents_village", "grandparents_village"]
                    ),
                )
            )
    for factory_id in lone:
        workers.append(worker(factory_id, None, used=False))
    Worker.objects.bulk_create(workers, batch_size=5000)
    children = Child.objects.bulk_create(children, batch_size=5000)
    position = 0
    for info, index, n in plans:
        for child in children[position : position + n]:
            info.children.append((child.pk, families[index].pk, child.date_of_birth))
        position += n
    for child in children:
        # A few consents are missing: the dashboard flags them.
        if rng.random() < 0.995:
            consents.append(
                Consent(
                    child=child,
                    given_by="家长",
                    given_by_relation="mother",
                    text_version=CONSENT_TEXT_VERSION,
                    covers_reporting=True,
                    given_on=plan.first_day - timedelta(days=10),
                )
            )
    Consent.objects.bulk_create(consents, batch_size=5000)
    for info in infos:
        running = [t for t in info.terms if t.starts_on <= today <= t.ends_on]
        for term in info.terms:
            status = "enrolled" if term in running else "completed"
            for child_id, _family, _born in info.children:
                enrollments.append(Enrollment(child_id=child_id, term=term, status=status))
        # The capacity around the children placed, and a waiting list for some running terms.
        info.site.capacity = max(len(info.children) + rng.randrange(-5, 25), 20)
        info.waiting = rng.randrange(0, 12) if len(info.children) >= info.site.capacity else 0
    Site.objects.bulk_update([i.site for i in infos], ["capacity"])
    Enrollment.objects.bulk_create(enrollments, batch_size=5000)
    waiting = _waiting_children(plan, rng, infos)
    return {
        "children": len(children) + waiting,
        "workers": len(workers),
        "enrollments": len(enrollments) + waiting,
    }


def _waiting_children(plan: Plan, rng, infos) -> int:
    """Children on the waiting list of running terms (no attendance)."""
    made = 0
    for info in infos:
        running = [t for t in info.terms if t.starts_on <= plan.today <= t.ends_on]
        if not running or not info.waiting:
            continue
        families = Family.objects.bulk_create(
            Family(factory_id=info.site.factory_id) for _n in range(info.waiting)
        )
        kids = Child.objects.bulk_create(
            Child(
                family=family,
                name=(name := _name(rng)),
                name_initials=pinyin.initials(name),
                name_pinyin=pinyin.full_pinyin(name),
                sex="f",
                date_of_birth=plan.today - timedelta(days=365 * 8),
            )
            for family in families
        )
        Enrollment.objects.bulk_create(
            Enrollment(child=kid, term=running[0], status="waitlisted") for kid in kids
        )
        made += len(kids)
    return made


COLUMNS = [
    "site_id",
    "child_id",
    "day",
    "status",
    "checked_in_at",
    "checked_out_at",
    "late",
    "closed_without_check_out",
    "absence_reason",
    "absence_note",
    "dropped_off_by_name",
    "collected_by_name",
    "collected_by_relation",
    "created_at",
    "updated_at",
]


# Empty text is an empty string, not NULL (COPY reads an unquoted empty field as NULL).
TEXT_COLUMNS = [
    "absence_reason",
    "absence_note",
    "dropped_off_by_name",
    "collected_by_name",
    "collected_by_relation",
]


def _attendance(plan: Plan, rng, infos: list[SiteInfo]) -> int:
    """A record per child and open day (a few left unrecorded), today as far as it went."""
    tz = timezone.get_current_timezone()
    last_week = plan.today - timedelta(days=plan.today.weekday() + 7)
    total = 0
    postgres = connection.vendor == "postgresql"
    for info in infos:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        rows = []
        for term in info.terms:
            day = max(term.starts_on, plan.first_day)
            while day <= min(term.ends_on, plan.today):
                hours = info.hours.get(day.weekday())
                if hours is None:
                    day += timedelta(days=1)
                    continue
                opens = datetime.combine(day, hours[0], tzinfo=tz)
                closes = datetime.combine(day, hours[1], tzinfo=tz)
                rate = info.attendance
                ill_share = 0.45
                if info.bad_week and last_week <= day < last_week + timedelta(days=7):
                    rate, ill_share = rate - 0.3, 0.85
                today = day == plan.today
                for child_id, _family, _born in info.children:
                    draw = rng.random()
                    if draw < info.unrecorded:
                        continue
                    arrive = opens + timedelta(minutes=rng.randrange(0, 75))
                    if today and arrive > plan.now:
                        continue  # not here yet
                    stamp = arrive.isoformat()
                    if draw < info.unrecorded + (1 - info.unrecorded) * (1 - rate):
                        second = rng.random()
                        reason = (
                            "ill"
                            if second < ill_share
                            else ("with_family" if second < 0.85 else "unknown")
                        )
                        row = (
                            info.site.pk,
                            child_id,
                            day,
                            "absent",
                            "",
                            "",
                            "f",
                            "f",
                            reason,
                            "",
                            "",
                            "",
                            "",
                            stamp,
                            stamp,
                        )
                    else:
                        late = rng.random() < 0.02
                        leave = (
                            closes + timedelta(minutes=rng.randrange(5, 45))
                            if late
                            else closes - timedelta(minutes=rng.randrange(0, 120))
                        )
                        if today and leave > plan.now:
                            row = (
                                info.site.pk,
                                child_id,
                                day,
                                "present",
                                stamp,
                                "",
                                "f",
                                "f",
                                "",
                                "",
                                "妈妈",
                                "",
                                "",
                                stamp,
                                stamp,
                            )
                        else:
                            forgot = rng.random() < 0.002
                            row = (
                                info.site.pk,
                                child_id,
                                day,
                                "collected",
                                stamp,
                                (closes if forgot else leave).isoformat(),
                                "t" if late and not forgot else "f",
                                "t" if forgot else "f",
                                "",
                                "",
                                "妈妈",
                                "" if forgot else "奶奶",
                                "" if forgot else "奶奶",
                                stamp,
                                stamp,
                            )
                    rows.append(row)
                day += timedelta(days=1)
        total += len(rows)
        if postgres:
            writer.writerows(rows)
            buffer.seek(0)
            with connection.cursor() as cursor:
                cursor.cursor.copy_expert(
                    f"COPY {AttendanceRecord._meta.db_table} ({', '.join(COLUMNS)}) "
                    f"FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({', '.join(TEXT_COLUMNS)}))",
                    buffer,
                )
        else:
            AttendanceRecord.objects.bulk_create([_record(row) for row in rows], batch_size=2000)
    return total


def _record(row) -> AttendanceRecord:
    values = dict(zip(COLUMNS, row, strict=True))
    for name in ("checked_in_at", "checked_out_at"):
        values[name] = datetime.fromisoformat(values[name]) if values[name] else None
    for name in ("created_at", "updated_at"):
        values[name] = datetime.fromisoformat(values[name])
    for name in ("late", "closed_without_check_out"):
        values[name] = values[name] == "t"
    return AttendanceRecord(**values)


def _events(plan: Plan, rng, infos) -> tuple[int, int]:
    """Incidents (about one per 1,000 child-days) and refused pickups, on days attended."""
    tz = timezone.get_current_timezone()
    incidents, refused = [], []
    for info in infos:
        if not info.children:
            continue
        open_days = [
            day
            for term in info.terms
            for day in _range(max(term.starts_on, plan.first_day), min(term.ends_on, plan.today))
            if day.weekday() in info.hours
        ]
        if not open_days:
            continue
        expected = len(open_days) * len(info.children) * info.attendance
        for _n in range(int(rng.gauss(expected / 1000, 1) + 0.5)):
            day = rng.choice(open_days)
            child_id = rng.choice(info.children)[0]
            at = datetime.combine(day, info.hours[day.weekday()][0], tzinfo=tz) + timedelta(
                minutes=rng.randrange(20, 200)
            )
            if at > plan.now:
                continue
            incidents.append(
                Incident(
                    site=info.site,
                    child_id=child_id,
                    kind=rng.choice(["injury", "illness", "illness", "behaviour"]),
                    occurred_at=at,
                    description="在游戏区摔倒，膝盖擦伤。",
                    action_taken="清洗伤口，贴创可贴。",
                    parent_informed_at=at + timedelta(minutes=10),
                    parent_informed_by="园长",
                    reviewed_at=at + timedelta(hours=2) if day < plan.today else None,
                )
            )
        for _n in range(int(rng.gauss(expected / 10000, 0.5) + 0.5)):
            day = rng.choice(open_days)
            at = datetime.combine(day, info.hours[day.weekday()][1], tzinfo=tz) - timedelta(
                minutes=20
            )
            if at > plan.now:
                continue
            refused.append(
                RefusedPickup(
                    site=info.site,
                    child_id=rng.choice(info.children)[0],
                    day=day,
                    at=at,
                    name="不认识的人",
                    relation="叔叔",
                    reason="not_listed",
                )
            )
    Incident.objects.bulk_create(incidents, batch_size=5000)
    RefusedPickup.objects.bulk_create(refused, batch_size=5000)
    return len(incidents), len(refused)


def _range(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _ratio_days(plan: Plan, rng, infos) -> int:
    """Minutes over ratio on about one open day in twenty (staff short at pickup time)."""
    rows = []
    for info in infos:
        for term in info.terms:
            for day in _range(
                max(term.starts_on, plan.first_day),
                min(term.ends_on, plan.today - timedelta(days=1)),
            ):
                if day.weekday() in info.hours and rng.random() < 0.05:
                    rows.append(
                        RatioDay(site=info.site, day=day, minutes_over=rng.randrange(5, 75))
                    )
    RatioDay.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def _staff_now(plan: Plan, rng, infos) -> None:
    """Childcare workers for each site, those of open sites on duty now (one short at some)."""
    users, links, periods = [], [], []
    for info in infos:
        for n in range(4):
            users.append(
                User(
                    username=f"{PREFIX}{info.site.pk}-{n}",
                    first_name="老师",
                    last_name=rng.choice(SURNAMES),
                    role=Role.CHILDCARE,
                    password=make_password(None),  # unusable: these people never sign in
                )
            )
    users = User.objects.bulk_create(users, batch_size=5000)
    for index, info in enumerate(infos):
        staff = users[index * 4 : index * 4 + 4]
        links += [User.sites.through(user_id=u.pk, site_id=info.site.pk) for u in staff]
        hours = info.hours.get(plan.today.weekday())
        running = any(t.starts_on <= plan.today <= t.ends_on for t in info.terms)
        if not hours or not running:
            continue
        opens = datetime.combine(plan.today, hours[0], tzinfo=timezone.get_current_timezone())
        if opens > plan.now:
            continue
        on_duty = staff if rng.random() > 0.1 else staff[:1]
        periods += [
            DutyPeriod(site=info.site, user=u, clock_in_at=opens - timedelta(minutes=15))
            for u in on_duty
        ]
    User.sites.through.objects.bulk_create(links, batch_size=5000)
    DutyPeriod.objects.bulk_create(periods)


def _surveys(plan: Plan, rng, infos) -> int:
    """Answers for terms that have ended: most families answer, most are satisfied."""
    surveys = []
    moment = plan.now
    for info in infos:
        for term in info.terms:
            if term.ends_on >= plan.today:
                continue
            for family_id in {family for _c, family, _b in info.children}:
                if rng.random() > 0.7:
                    continue
                overall = (
                    5 if rng.random() < 0.7 else (4 if rng.random() < 0.85 else rng.choice((2, 3)))
                )
                surveys.append(
                    ParentSurvey(
                        family_id=family_id,
                        term=term,
                        answered_at=moment,
                        method=rng.choice(["kiosk", "kiosk", "paper"]),
                        safe=min(5, overall + rng.choice((0, 0, 1))),
                        enjoyed=5,
                        informed=max(1, overall - rng.choice((0, 1))),
                        work=5,
                        overall=overall,
                    )
                )
    ParentSurvey.objects.bulk_create(surveys, batch_size=5000)
    return len(surveys)
