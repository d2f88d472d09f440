"""Demo data: two factories, a summer FFS and a year-round ASC, families, a user per role.

Running it twice changes nothing the second time.
"""

import random
from datetime import date, datetime, time, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone, translation

from enrollment import services
from enrollment.models import (
    CONSENT_TEXT_VERSION,
    Enrollment,
    Factory,
    OpeningHours,
    Room,
    Site,
    SiteKind,
    Term,
    Worker,
)
from enrollment.training import services as training_services
from enrollment.training.models import Course, TrainingSession
from ffs_portal.demo import names
from ffs_portal.models import Role, User
from ffs_portal.outcomes.models import ProgramYear, Sponsor, Sponsorship
from staff import services as staff_services

# The duty-clock PIN of every demo staff member.
DEMO_PIN = "1234"

DEMO_PASSWORD = "ffs-demo-2026"  # noqa: S105 - printed for the demo, listed in README
# The authenticator of the demo coordinator and administrator; its key is made at random
# on each machine, and only `demo_code` reads it.
DEMO_DEVICE = "demo"

# The twenty commonest family names; the rest of the demo names from ffs_portal.demo.names.
FAMILY_NAMES = names.FAMILY_NAMES[:20]
ALLERGIES = ["", "", "", "", "花生", "牛奶", "海鲜", "青霉素", ""]

FACTORIES = [
    {
        "code": "dg-xinghe",
        "name": "东莞星河玩具厂",
        "city": "东莞",
        "province": "guangdong",
        "site": {
            "name": "星河暑期家庭友好空间",
            "kind": SiteKind.FFS,
            "capacity": 60,
            "min_age": 3,
            "max_age": 14,
            "address": "B栋一楼",
            # Factories work Saturdays; the summer space opens with the morning shift.
            "hours": {day: (time(7, 30), time(18, 0)) for day in range(6)},
        },
        "prefix": "XH",
        "families": 24,
    },
    {
        "code": "sz-tongle",
        "name": "深圳童乐玩具有限公司",
        "city": "深圳",
        "province": "guangdong",
        "site": {
            "name": "童乐课后中心",
            "kind": SiteKind.ASC,
            "capacity": 40,
            "min_age": 6,
            "max_age": 14,
            "address": "宿舍区二楼",
            # After school until the end of the day shift; all day on Saturdays.
            "hours": {
                **{day: (time(16, 0), time(20, 30)) for day in range(5)},
                5: (time(8, 0), time(18, 0)),
            },
        },
        "prefix": "TL",
        "families": 18,
    },
]

ROOMS = [("幼儿组", 3, 5), ("儿童组", 6, 9), ("少年组", 10, 14)]


def summer_term_dates(today: date) -> tuple[date, date]:
    """The coming summer, or this one while it lasts."""
    year = today.year if today <= date(today.year, 8, 22) else today.year + 1
    return date(year, 7, 6), date(year, 8, 22)


def school_year_dates(today: date) -> tuple[date, date]:
    start_year = today.year if today.month >= 9 else today.year - 1
    return date(start_year, 9, 1), date(start_year + 1, 6, 30)


class Command(BaseCommand):
    help = "Create demo factories, sites, families and one user per role (idempotent)."

    def handle(self, *args, **options):
        today = timezone.localdate()
        with transaction.atomic():
            sites = [self.factory_with_site(spec, today) for spec in FACTORIES]
            sponsor = self.sponsors(sites, today)
            users = self.users(sites, sponsor)
            self.training(sites[0].factory)
            self.staff(sites, today)
            for site in sites:
                if site.kind == SiteKind.ASC:
                    self.board_today(site)
                    self.on_duty_now(site)
            self.history(sites, today)
            self.past_retention(sites, today)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("")
        self.stdout.write(
            f"Demo logins (password for all: {DEMO_PASSWORD}; duty-clock PIN of staff: {DEMO_PIN}):"
        )
        for username, description in users:
            self.stdout.write(f"  {username:<18} {description}")
        self.stdout.write("")
        self.stdout.write(
            "Coordinators and administrators sign in with a code from an authenticator app. "
            "For the demo users, `python manage.py demo_code coordinator` (or admin) prints "
            "the code of the moment."
        )

    def factory_with_site(self, spec, today):
        factory, _ = Factory.objects.get_or_create(
            code=spec["code"],
            defaults={"name": spec["name"], "city": spec["city"], "province": spec["province"]},
        )
        site_spec = spec["site"]
        site, created = Site.objects.get_or_create(
            factory=factory,
            name=site_spec["name"],
            defaults={
                key: site_spec[key] for key in ("kind", "capacity", "min_age", "max_age", "address")
            },
        )
        if created:
            for weekday, (opens, closes) in site_spec["hours"].items():
                OpeningHours.objects.create(site=site, weekday=weekday, opens=opens, closes=closes)
            for name, low, high in ROOMS:
                if low <= site.max_age and high >= site.min_age:
                    Room.objects.create(site=site, name=name, min_age=low, max_age=high)
        if site.kind == SiteKind.FFS:
            starts, ends = summer_term_dates(today)
            term_name = f"{starts.year}年暑期"
        else:
            starts, ends = school_year_dates(today)
            term_name = f"{starts.year}–{ends.year}学年"
        term, _ = Term.objects.get_or_create(
            site=site, name=term_name, defaults={"starts_on": starts, "ends_on": ends}
        )
        self.families(factory, term, spec, today)
        return site

    def families(self, factory, term, spec, today):
        rng = random.Random(spec["code"])
        for number in range(1, spec["families"] + 1):
            employee_no = f"{spec['prefix']}{number:05d}"
            surname = rng.choice(FAMILY_NAMES)
            if Worker.objects.filter(factory=factory, employee_no=employee_no).exists():
                continue
            family = services.family_create(factory=factory, by=None)
            province = rng.choice(names.HOME_PROVINCES)
            worker = services.worker_save(
                family=family,
                by=None,
                employee_no=employee_no,
                name=surname + rng.choice(["建华", "海燕", "春梅", "国强", "丽娟", "志刚"]),
                department=rng.choice(["注塑车间", "喷油车间", "装配一线", "装配二线", "包装车间"]),
                shift=rng.choice(["白班", "白班", "两班倒"]),
                mobile=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                hukou_province=province,
                hire_date=today - timedelta(days=rng.randrange(60, 2500)),
            )
            adult = None
            if rng.random() < 0.6:
                adult = services.adult_save(
                    family=family,
                    by=None,
                    name=rng.choice(FAMILY_NAMES) + rng.choice(names.ADULT_GIVEN_NAMES),
                    relation=rng.choice(["grandmother", "grandfather", "aunt"]),
                    mobile=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                    is_guardian=True,
                )
            for child_number in range(rng.choice([1, 1, 2])):
                age = rng.randrange(term.site.min_age, term.site.max_age + 1)
                born = term.starts_on - timedelta(days=365 * age + rng.randrange(1, 300))
                # One child carries a character outside the Basic Multilingual Plane.
                given = (
                    "𠮷安" if number == 7 and child_number == 0 else rng.choice(names.GIVEN_NAMES)
                )
                child = services.child_save(
                    family=family,
                    by=None,
                    name=(surname + given) if given != "𠮷安" else given,
                    sex=rng.choice("fm"),
                    date_of_birth=born,
                    hukou_province=province,
                    lives_with=rng.choice(
                        ["grandparents_village", "parents", "grandparents_village"]
                    ),
                    allergies=rng.choice(ALLERGIES),
                    school="" if term.site.kind == SiteKind.FFS else "松岗第二小学",
                    grade=""
                    if term.site.kind == SiteKind.FFS
                    else f"{min(max(age - 5, 1), 6)}年级",
                )
                if adult is not None:
                    services.pickup_set(child=child, adult=adult, allowed=True, by=None)
                services.consent_record(
                    child=child,
                    given_by=worker.name,
                    given_by_relation=rng.choice(["mother", "father"]),
                    given_on=min(today, term.starts_on) - timedelta(days=rng.randrange(5, 30)),
                    covers_photos=rng.random() < 0.5,
                    covers_reporting=True,
                    covers_messages=True,
                    covers_health=True,
                    text_version=CONSENT_TEXT_VERSION,
                    by=None,
                )
                services.enrollment_apply(child=child, term=term, by=None)

    def training(self, factory):
        """A parent training session last week (with sign-ins and feedback) and one next week."""
        if TrainingSession.objects.filter(factory=factory).exists():
            return
        hr = User.objects.get(username="hr.dongguan")
        courses = list(Course.objects.order_by("pk"))
        now = timezone.localtime().replace(hour=19, minute=0, second=0, microsecond=0)
        past = TrainingSession.objects.create(
            factory=factory,
            course=courses[0],
            starts_at=now - timedelta(days=7),
            ends_at=now - timedelta(days=7) + timedelta(minutes=90),
            place="二楼培训室",
            trainer="刘老师",
            capacity=30,
        )
        workers = list(Worker.objects.filter(factory=factory).order_by("employee_no"))
        for number, worker in enumerate(workers[:8]):
            attendance = training_services.sign_in(
                session=past, worker=worker, by=hr, method="list"
            )
            if number % 2 == 0:
                training_services.feedback_submit(
                    token=attendance.feedback_token,
                    usefulness=5,
                    clarity=4 + number % 2,
                    will_apply=5,
                    comment="",
                )
        coming = TrainingSession.objects.create(
            factory=factory,
            course=courses[1],
            starts_at=now + timedelta(days=7),
            ends_at=now + timedelta(days=7) + timedelta(minutes=90),
            place="二楼培训室",
            trainer="刘老师",
            capacity=30,
        )
        training_services.invite(session=coming, workers=workers[8:20], by=hr)

    def staff(self, sites, today):
        """PINs, qualifications and this week's rota."""
        monday = today - timedelta(days=today.weekday())
        for site in sites:
            people = User.objects.filter(sites=site).order_by("username")
            for number, person in enumerate(people):
                profile = staff_services.profile_for(person)
                if profile.pin:
                    continue
                staff_services.pin_set(profile=profile, pin=DEMO_PIN, by=None)
                staff_services.qualification_save(
                    profile=profile,
                    kind="child_protection",
                    obtained_on=today - timedelta(days=200),
                    expires_on=today + timedelta(days=500),
                    by=None,
                )
                staff_services.qualification_save(
                    profile=profile,
                    kind="first_aid",
                    obtained_on=today - timedelta(days=700),
                    # One first-aid certificate runs out soon: the warning shows.
                    expires_on=today + timedelta(days=20 if number == 0 else 400),
                    by=None,
                )
                for offset in range(6):
                    day = monday + timedelta(days=offset)
                    hours = site.opening_hours.filter(weekday=day.weekday()).first()
                    if hours:
                        staff_services.shift_add(
                            site=site,
                            user=person,
                            day=day,
                            starts=hours.opens,
                            ends=hours.closes,
                            by=None,
                        )

    def sponsors(self, sites, today):
        """A sponsor of both spaces this year and last, and how each factory runs its space."""
        sponsor, _ = Sponsor.objects.get_or_create(
            name="LEGO Foundation",
            defaults={"contact_name": "Anna Lee", "contact_email": "anna.lee@example.com"},
        )
        for site in sites:
            for year in (today.year - 1, today.year):
                Sponsorship.objects.get_or_create(
                    sponsor=sponsor, factory=site.factory, program=site.kind, year=year
                )
                ProgramYear.objects.get_or_create(
                    factory=site.factory,
                    program=site.kind,
                    year=year,
                    defaults={"support": "ietp" if site.kind == SiteKind.ASC else "self_run"},
                )
        return sponsor

    def history(self, sites, today):
        """Past days for the dashboards: the ASC's term so far and last summer at the FFS
        (its children placed then too), with the day table. Added once."""
        from attendance.models import AttendanceRecord
        from ffs_portal.demo.generate import history

        yesterday = today - timedelta(days=1)
        for site in sites:
            if AttendanceRecord.objects.filter(site=site, day__lt=today).exists():
                continue
            if site.kind == SiteKind.ASC:
                terms = list(site.terms.filter(starts_on__lte=yesterday))
            else:
                starts, ends = summer_term_dates(date(today.year - 1, 12, 31))
                if ends >= today:
                    continue
                past, _ = Term.objects.get_or_create(
                    site=site,
                    name=f"{starts.year}年暑期",
                    defaults={"starts_on": starts, "ends_on": ends},
                )
                children = Enrollment.objects.filter(term__site=site).values_list(
                    "child", flat=True
                )
                Enrollment.objects.bulk_create(
                    Enrollment(child_id=child, term=past, status="completed")
                    for child in set(children)
                    if not Enrollment.objects.filter(child_id=child, term=past).exists()
                )
                terms = [past]
            if terms:
                history(site=site, terms=terms, until=min(yesterday, max(t.ends_on for t in terms)))

    def past_retention(self, sites, today):
        """Two children who came for one summer two years ago only: their retention period
        is over, so the retention page has something to show; one is on hold. Added once."""
        from ffs_portal.retention import services as retention_services

        site = next(s for s in sites if s.kind == SiteKind.FFS)
        starts, ends = summer_term_dates(date(today.year - 2, 12, 31))
        old, _ = Term.objects.get_or_create(
            site=site, name=f"{starts.year}年暑期", defaults={"starts_on": starts, "ends_on": ends}
        )
        hr = User.objects.filter(username="hr.dongguan").first()
        for number, (parent, child_name, held) in enumerate(
            [("周海燕", "周雨桐", False), ("吴国强", "吴子涵", True)], start=1
        ):
            employee_no = f"XH9{number:04d}"
            if Worker.objects.filter(factory=site.factory, employee_no=employee_no).exists():
                continue
            family = services.family_create(factory=site.factory, by=None)
            services.worker_save(
                family=family,
                by=None,
                employee_no=employee_no,
                name=parent,
                department="包装车间",
                shift="白班",
                mobile=f"1390000{number:04d}",
                hukou_province="hunan",
                hire_date=starts - timedelta(days=400),
            )
            child = services.child_save(
                family=family,
                by=None,
                name=child_name,
                sex="f" if number == 1 else "m",
                date_of_birth=starts - timedelta(days=365 * 7 + number * 40),
                hukou_province="hunan",
                lives_with="grandparents_village",
            )
            services.consent_record(
                child=child,
                given_by=parent,
                given_by_relation="mother" if number == 1 else "father",
                given_on=starts - timedelta(days=10),
                covers_reporting=True,
                text_version=CONSENT_TEXT_VERSION,
                by=None,
            )
            Enrollment.objects.create(child=child, term=old, status="completed")
            if held:
                retention_services.hold_place(
                    child=child,
                    reason="家长投诉仍在调查中",
                    until=today + timedelta(days=60),
                    by=hr,
                )

    def on_duty_now(self, site):
        """Two carers on duty while the centre is open today, so the board shows a ratio."""
        from staff.models import DutyPeriod

        now = timezone.localtime()
        hours = site.opening_hours.filter(weekday=now.weekday()).first()
        if (
            hours is None
            or DutyPeriod.objects.filter(site=site, clock_out_at__isnull=True).exists()
        ):
            return
        opens = timezone.make_aware(datetime.combine(now.date(), hours.opens))
        start = min(opens, now - timedelta(minutes=30))
        for username in ("carer.shenzhen", "carer2.shenzhen"):
            DutyPeriod.objects.create(
                site=site, user=User.objects.get(username=username), clock_in_at=start
            )

    def board_today(self, site):
        """A realistic afternoon on the after-school board: some children present, some
        collected, one absent, one incident. Nothing is added when today already has records
        or the centre is closed today."""
        from attendance import selectors as board
        from attendance import services as attendance
        from attendance.models import AttendanceRecord

        now = timezone.localtime()
        today = now.date()
        hours = board.opening_hours(site.pk, today)
        if hours is None or AttendanceRecord.objects.filter(site=site, day=today).exists():
            return
        carer = User.objects.get(username="carer.shenzhen")
        children = [
            e.child
            for e in Enrollment.objects.expected_at(site, today)
            .select_related("child__family__factory")
            .order_by("child_id")
        ]
        if len(children) < 6:
            return
        opens = timezone.make_aware(datetime.combine(today, hours.opens))
        midnight = timezone.make_aware(datetime.combine(today, time(0, 5)))
        # Times already past: the afternoon if it has begun, otherwise earlier today.
        start = max(midnight, min(opens, now - timedelta(hours=3)))
        span = min(now - start, timedelta(hours=3, minutes=30))
        rng = random.Random(f"board-{today}")
        absent, *arrived = children[: max(6, len(children) * 3 // 4)]
        attendance.mark_absent(
            site=site, child=absent, reason="ill", note="发烧，家长请假", by=carer, at=start
        )
        for number, child in enumerate(arrived):
            moment = (
                start + span * (0.3 * number / len(arrived)) + timedelta(seconds=rng.randrange(60))
            )
            attendance.check_in(site=site, child=child, by=carer, at=min(moment, now))
        attendance.report_incident(
            site=site,
            child=arrived[1],
            by=carer,
            kind="injury",
            occurred_at=start + span * 0.4,
            description="课间跑步时摔倒，右膝擦伤",
            action_taken="清洗伤口，消毒后贴创可贴，观察十五分钟无异常",
            parent_informed_at=start + span * 0.45,
            parent_informed_by="刘老师",
            parent_informed_how="phone",
        )
        leaving = arrived[2::2]
        for number, child in enumerate(leaving):
            moment = start + span * (0.7 + 0.25 * number / len(leaving))
            collector = child.family.workers.first()
            attendance.check_out(site=site, child=child, collector=collector, by=carer, at=moment)

    def users(self, sites, sponsor):
        """One user per role (two carers more at the after-school centre), each described in
        English; coordinators and administrators with a demo authenticator (demo_code)."""
        dongguan, shenzhen = sites
        zh, en = "zh-hans", "en"
        specs = [
            ("hr.dongguan", "人事", "陈", Role.HR, {"factory": dongguan.factory}, [], zh),
            ("hr.shenzhen", "人事", "林", Role.HR, {"factory": shenzhen.factory}, [], zh),
            ("carer.dongguan", "老师", "黄", Role.CHILDCARE, {}, [dongguan], zh),
            ("carer.shenzhen", "老师", "刘", Role.CHILDCARE, {}, [shenzhen], zh),
            ("carer2.shenzhen", "老师", "何", Role.CHILDCARE, {}, [shenzhen], zh),
            ("carer3.shenzhen", "老师", "孙", Role.CHILDCARE, {}, [shenzhen], zh),
            ("lead.dongguan", "园长", "周", Role.SITE_LEAD, {}, [dongguan], zh),
            ("lead.shenzhen", "园长", "吴", Role.SITE_LEAD, {}, [shenzhen], zh),
            (
                "coordinator",
                "Program",
                "Coordinator",
                Role.COORDINATOR,
                {"all_factories": True},
                [],
                en,
            ),
            ("sponsor.lego", "Anna", "Lee", Role.SPONSOR, {"sponsor": sponsor}, [], en),
            ("admin", "Admin", "", Role.ADMIN, {"is_staff": True, "is_superuser": True}, [], zh),
        ]
        described = []
        for username, first, last, role, extra, user_sites, language in specs:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "role": role,
                    "email": f"{username}@example.com",
                    "language": language,
                    **extra,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                user.sites.set(user_sites)
                if role in (Role.CHILDCARE, Role.SITE_LEAD):
                    staff_services.profile_save(
                        profile=staff_services.profile_for(user), by=None, mobile="13800138000"
                    )
            if user.needs_two_factor:
                demo_authenticator(user)
            with translation.override("en"):
                where = ", ".join(s.name for s in user_sites) or (
                    extra["factory"].name
                    if "factory" in extra
                    else extra["sponsor"].name
                    if "sponsor" in extra
                    else "everything, every account"
                    if role == Role.ADMIN
                    else "all factories"
                )
                two_step = "; two-factor: demo_code" if user.needs_two_factor else ""
                described.append((username, f"{role.label} — {where}{two_step}"))
        return described


def demo_authenticator(user) -> None:
    """A confirmed authenticator for a demo user, whose code `demo_code` prints."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.get_or_create(user=user, name=DEMO_DEVICE, defaults={"confirmed": True})
