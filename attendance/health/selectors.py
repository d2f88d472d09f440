"""Reads of the health check: the outbreak watch's clusters, a site's signs per day, the
checks and medicines of a day."""

import functools
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from attendance.health.models import (
    DOSE_WINDOW,
    DUE_AHEAD,
    CheckKind,
    HealthCheck,
    MedicineAuthorisation,
    MedicineDose,
    OutbreakAlert,
    sign_label,
)
from attendance.models import AttendanceRecord, HealthCard
from enrollment.models import Consent, Enrollment, Site
from ffs_portal import access
from ffs_portal.lib import clock
from ffs_portal.lib.db import execute_prepared


def window_start(day: date) -> date:
    """The first day of the outbreak watch's window that ends on ``day``."""
    return day - timedelta(days=settings.HEALTH_OUTBREAK_DAYS - 1)


@dataclass
class Cluster:
    sign: str
    children: int
    rooms: list[str]


def clusters(*, site: Site, day: date) -> list[Cluster]:
    """The signs seen in at least HEALTH_OUTBREAK_CHILDREN children of ``site`` within the
    window ending on ``day``, with the rooms of those children."""
    seen: dict[str, set[int]] = defaultdict(set)
    rows = HealthCheck.objects.filter(site=site, day__range=(window_start(day), day)).values_list(
        "child_id", "signs"
    )
    for child_id, signs in rows:
        for sign in signs:
            seen[sign].add(child_id)
    found = []
    for sign, children in sorted(seen.items()):
        if len(children) < settings.HEALTH_OUTBREAK_CHILDREN:
            continue
        rooms = sorted(
            set(
                Enrollment.objects.filter(
                    term__site=site, child__in=children, room__isnull=False
                ).values_list("room__name", flat=True)
            )
        )
        found.append(Cluster(sign, len(children), rooms))
    return found


def alerted_within(*, site: Site, sign: str, day: date) -> bool:
    """Whether the site's leads were told of ``sign`` within the window ending on ``day``."""
    return OutbreakAlert.objects.filter(
        site=site, sign=sign, day__range=(window_start(day), day)
    ).exists()


def health_data_allowed(child_id: int) -> bool:
    """Whether the guardian's active consent covers health data (PIPL Art. 28: a separate
    item). Without it a check records the card only."""
    return Consent.objects.active().filter(child_id=child_id, covers_health=True).exists()


def arrival_check(child_id: int, day: date) -> HealthCheck | None:
    return HealthCheck.objects.filter(child_id=child_id, day=day, kind=CheckKind.ARRIVAL).first()


@dataclass
class SignsDay:
    day: date
    checked: int = 0
    cards: Counter = field(default_factory=Counter)
    signs: Counter = field(default_factory=Counter)
    # The counts of the page's signs, in the order of its columns.
    row: list[int] = field(default_factory=list)


@dataclass
class HealthPage:
    """A site's health page. ``checks`` and ``medicines`` are empty for those who see counts
    only (HR, coordinators)."""

    site: Site
    day: date
    details: bool
    days: list[SignsDay]
    sign_names: list[tuple[str, str]]
    alerts: list[OutbreakAlert]
    checks: list[HealthCheck]
    noon_due: list[HealthCheck]
    # Today's medicine authorisations, each with the doses given today and what is missed.
    medicines: list["MedicineToday"]


@dataclass
class MedicineToday:
    authorisation: MedicineAuthorisation
    doses: list[MedicineDose]
    # The times of day whose dose is to be given now (from a quarter of an hour before until
    # the window after it is over) and those missed (the window over, no dose).
    due: list[str]
    missed: list[str]


def due_and_missed(
    times: list[str],
    given: set[str],
    now: datetime,
    arrived: datetime | None,
    left: datetime | None,
) -> tuple[list[str], list[str]]:
    """Of a medicine's ``times`` without a dose ``given`` today: those due now (the child here,
    from DUE_AHEAD before the time until its window is over) and those missed (the window over
    while the child was here: ``arrived`` before its end, not ``left`` before the time). A
    child who is not here has nothing due and missed nothing."""
    if arrived is None:
        return [], []
    local = timezone.localtime(now)
    due, missed = [], []
    for value in times:
        if value in given:
            continue
        scheduled = datetime.combine(local.date(), time.fromisoformat(value), local.tzinfo)
        window_over = scheduled + DOSE_WINDOW
        if window_over < local:
            if arrived <= window_over and (left is None or left >= scheduled):
                missed.append(value)
        elif scheduled - DUE_AHEAD <= local and left is None:
            due.append(value)
    return due, missed


def _with_attendance(authorisations: QuerySet, day: date) -> QuerySet:
    """``authorisations`` with the child's check-in and check-out that day at their site
    (``arrived``, ``left``), in the same statement."""
    record = AttendanceRecord.objects.filter(
        child=OuterRef("child"), site=OuterRef("site"), day=day
    )
    return authorisations.annotate(
        arrived=Subquery(record.values("checked_in_at")[:1]),
        left=Subquery(record.values("checked_out_at")[:1]),
    )


def medicine_today(
    authorisation: MedicineAuthorisation,
    doses: list[MedicineDose],
    now: datetime,
    arrived: datetime | None,
    left: datetime | None = None,
) -> MedicineToday:
    """A medicine's day: its doses given, its times due now and missed."""
    due, missed = due_and_missed(
        authorisation.times, {dose.due for dose in doses}, now, arrived, left
    )
    return MedicineToday(authorisation, doses, due, missed)


def medicines_today(*, user, site: Site, now: datetime, child=None) -> list[MedicineToday]:
    """The site's medicines (or ``child``'s) running today, each with today's doses, due and
    missed times; empty for those who do not see health details. Two queries."""
    day = timezone.localdate(now)
    running = medicines_on(user=user, site=site, day=day)
    if child is not None:
        running = running.filter(child=child)
    authorisations = list(_with_attendance(running, day))
    doses: dict[int, list[MedicineDose]] = defaultdict(list)
    if authorisations:
        for dose in access.scoped(user, MedicineDose).filter(
            authorisation__in=[m.pk for m in authorisations], given_at__date=day
        ):
            doses[dose.authorisation_id].append(dose)
    return [medicine_today(m, doses.get(m.pk, []), now, m.arrived, m.left) for m in authorisations]


def _running(authorisations: QuerySet, day: date) -> list[tuple]:
    """The authorisations running on ``day`` as rows (child, site, times, the dues given that
    day, the child's arrival and departure): two statements, the second only when any runs
    (on every database: SQLite has no array aggregate)."""
    rows = list(
        _with_attendance(
            authorisations.filter(valid_from__lte=day, valid_to__gte=day), day
        ).values_list("pk", "child_id", "site_id", "times", "arrived", "left")
    )
    given: dict[int, list] = defaultdict(list)
    if rows:
        for pk, due in MedicineDose.objects.filter(
            authorisation__in=[row[0] for row in rows], given_at__date=day
        ).values_list("authorisation_id", "due"):
            given[pk].append(due)
    return [
        (child, site, times, given[pk], arrived, left)
        for pk, child, site, times, arrived, left in rows
    ]


# ``_running`` for the people at a site's door (the board's refresh, many a minute), in one
# prepared statement: the site's medicines running that day under the Medicine rule of a
# site-bound user (``access._health_detail_rule``), each with the dues given that day and the
# child's arrival and departure. PostgreSQL only; held to ``_running`` by
# tests/attendance/health/test_medicines.py.
_RUNNING_AT_THE_DOOR = """
SELECT m.child_id, m.site_id, m.times,
  ARRAY(SELECT d.due FROM health_medicinedose d
        WHERE d.authorisation_id = m.id AND d.given_at >= %(start)s AND d.given_at < %(end)s),
  r.checked_in_at, r.checked_out_at
FROM health_medicineauthorisation m
LEFT JOIN attendance_attendancerecord r
  ON r.child_id = m.child_id AND r.site_id = m.site_id AND r.day = %(day)s
WHERE m.site_id = %(site)s AND m.valid_from <= %(day)s AND m.valid_to >= %(day)s
  AND EXISTS (
    SELECT 1 FROM {user_sites} u WHERE u.site_id = m.site_id AND u.user_id = %(user)s)
"""


@functools.cache
def _running_at_the_door_statement() -> str:
    from ffs_portal.models import User

    return _RUNNING_AT_THE_DOOR.format(user_sites=User.sites.through._meta.db_table)


def _running_at_the_door(user, site: Site, day: date) -> list[tuple]:
    start, end = clock.day_bounds(day)
    params = {"site": site.pk, "user": user.pk, "day": day, "start": start, "end": end}
    with connection.cursor() as cursor:
        execute_prepared(
            cursor, "health_running_at_the_door", _running_at_the_door_statement(), params
        )
        return [
            (child, site_id, json.loads(times) if isinstance(times, str) else times, given, *rest)
            for child, site_id, times, given, *rest in cursor.fetchall()
        ]


def running_reminder_rows(*, user, site: Site, day: date) -> list[tuple]:
    """The rows ``medicine_reminders`` reads: one prepared statement for the people at the
    site's door on PostgreSQL, ``_running`` under the ORM's rule otherwise."""
    if access.at_the_door(user):
        return _running_at_the_door(user, site, day)
    return _running(access.scoped(user, MedicineAuthorisation).filter(site=site), day)


def medicine_reminders(*, user, site: Site, now: datetime) -> dict[int, str]:
    """What the board's tiles show of medicines: "missed" or "due" per child id; nothing for
    those who do not see health details. One query, two when a medicine runs today (one on
    PostgreSQL for the people at the site's door)."""
    day = timezone.localdate(now)
    reminders: dict[int, str] = {}
    for child_id, _site, times, given, arrived, left in running_reminder_rows(
        user=user, site=site, day=day
    ):
        due, missed = due_and_missed(times, set(given), now, arrived, left)
        if missed:
            reminders[child_id] = "missed"
        elif due:
            reminders.setdefault(child_id, "due")
    return reminders


def health_page(
    *, user, site: Site, day: date, days: int = 7, now: datetime | None = None
) -> HealthPage:
    """Signs per day over the last ``days`` days (counts), the alerts, and for the site's own
    staff today's checks and medicines."""
    now = now or clock.now()
    start = day - timedelta(days=days - 1)
    per_day = {start + timedelta(days=n): SignsDay(start + timedelta(days=n)) for n in range(days)}
    rows = access.health_counts(user, HealthCheck).filter(
        site=site, day__range=(start, day), kind=CheckKind.ARRIVAL
    )
    for check_day, card, signs in rows.values_list("day", "card", "signs"):
        entry = per_day[check_day]
        entry.checked += 1
        entry.cards[card] += 1
        entry.signs.update(signs)
    used = {sign for entry in per_day.values() for sign in entry.signs}
    sign_names = [(code, sign_label(code)) for code in settings.HEALTH_CHECK_SIGNS] + [
        (code, sign_label(code)) for code in sorted(used - set(settings.HEALTH_CHECK_SIGNS))
    ]
    for entry in per_day.values():
        entry.row = [entry.signs.get(code, 0) for code, _label in sign_names]
    alerts = list(access.scoped(user, OutbreakAlert).filter(site=site)[:10])
    details = access.sees_health_details(user)
    checks: list[HealthCheck] = []
    medicines: list[MedicineToday] = []
    if details:
        checks = list(
            access.scoped(user, HealthCheck)
            .filter(site=site, day=day)
            .select_related("child__family", "by")
            .order_by("child__name_pinyin", "kind")
        )
        medicines = medicines_today(user=user, site=site, now=now)
    noon_done = {c.child_id for c in checks if c.kind == CheckKind.NOON}
    noon_due = [
        c
        for c in checks
        if c.kind == CheckKind.ARRIVAL
        and c.card == HealthCard.YELLOW
        and c.child_id not in noon_done
    ]
    return HealthPage(
        site=site,
        day=day,
        details=details,
        days=sorted(per_day.values(), key=lambda d: d.day, reverse=True),
        sign_names=sign_names,
        alerts=alerts,
        checks=checks,
        noon_due=noon_due,
        medicines=medicines,
    )


def medicines_on(*, user, site: Site, day: date) -> QuerySet[MedicineAuthorisation]:
    """The medicine authorisations of ``site`` running on ``day``."""
    return (
        access.scoped(user, MedicineAuthorisation)
        .filter(site=site, valid_from__lte=day, valid_to__gte=day)
        .select_related("child")
        .order_by("child__name_pinyin", "medicine")
    )


def child_medicines(
    *, user, site: Site, child, now: datetime
) -> list[tuple[MedicineAuthorisation, MedicineToday | None]]:
    """A child's medicine authorisations with their doses, each with its day (due and missed
    times) when it runs today."""
    today = {
        m.authorisation.pk: m for m in medicines_today(user=user, site=site, now=now, child=child)
    }
    authorisations = (
        access.scoped(user, MedicineAuthorisation)
        .filter(site=site, child=child)
        .prefetch_related("doses__given_by", "doses__witness")
    )
    return [(authorisation, today.get(authorisation.pk)) for authorisation in authorisations]


def has_noon_check(child_id: int, day: date) -> bool:
    return HealthCheck.objects.filter(child_id=child_id, day=day, kind=CheckKind.NOON).exists()


def recent_alerts(user, day: date, days: int = 14) -> QuerySet[OutbreakAlert]:
    """The outbreak alerts of the sites ``user`` oversees in the last ``days`` days (for the
    dashboard: a sign, a count and rooms, never a child)."""
    return (
        access.scoped(user, OutbreakAlert)
        .filter(day__gt=day - timedelta(days=days))
        .select_related("site")
        .order_by("-day", "site__name")
    )


def sites_with_signs(day: date):
    """The ids of the sites where a check saw a sign on ``day``."""
    return HealthCheck.objects.filter(day=day).exclude(signs=[]).values("site")


@dataclass
class DayCounts:
    """A site's health check and medicines on a day, as counts only (the daily e-mail)."""

    checked: int = 0
    yellow: int = 0
    red: int = 0
    doses_given: int = 0
    doses_missed: int = 0

    @property
    def any(self) -> bool:
        return bool(self.checked or self.doses_given or self.doses_missed)


def day_counts(site_ids: list[int], day: date, now: datetime) -> dict[int, DayCounts]:
    """The health counts of each of ``site_ids`` on ``day`` (doses missed as of ``now``):
    never a child, a sign or a medicine. Three queries, whatever the number of sites."""
    counts: dict[int, DayCounts] = defaultdict(DayCounts)
    for site_id, checked, yellow, red in (
        HealthCheck.objects.filter(site__in=site_ids, day=day, kind=CheckKind.ARRIVAL)
        .values("site")
        .annotate(
            checked=Count("pk"),
            yellow=Count("pk", filter=Q(card=HealthCard.YELLOW)),
            red=Count("pk", filter=Q(card=HealthCard.RED)),
        )
        .values_list("site", "checked", "yellow", "red")
        .order_by()
    ):
        counts[site_id].checked, counts[site_id].yellow, counts[site_id].red = checked, yellow, red
    for site_id, given in (
        MedicineDose.objects.filter(site__in=site_ids, given_at__date=day)
        .values("site")
        .annotate(n=Count("pk"))
        .values_list("site", "n")
        .order_by()
    ):
        counts[site_id].doses_given = given
    for _child, site_id, times, given, arrived, left in _running(
        MedicineAuthorisation.objects.filter(site__in=site_ids), day
    ):
        counts[site_id].doses_missed += len(
            due_and_missed(times, set(given), now, arrived, left)[1]
        )
    return dict(counts)
