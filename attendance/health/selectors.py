"""Reads of the health check: the outbreak watch's clusters, a site's signs per day, the
checks and medicines of a day."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from attendance.health.models import (
    DOSE_WINDOW,
    CheckKind,
    HealthCheck,
    MedicineAuthorisation,
    MedicineDose,
    OutbreakAlert,
    sign_label,
)
from attendance.models import HealthCard
from enrollment.models import Enrollment, Site
from ffs_portal import access
from ffs_portal.lib import clock


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
    # The times of day whose dose was not given and whose hour to give it has passed.
    missed: list[str]


def medicine_today(
    authorisation: MedicineAuthorisation, doses: list[MedicineDose], now: datetime
) -> MedicineToday:
    """A medicine's day: a time is missed once the window after it is over with no dose."""
    local = timezone.localtime(now)
    given = {dose.due for dose in doses}
    missed = [
        value
        for value in authorisation.times
        if value not in given
        and datetime.combine(local.date(), time.fromisoformat(value), local.tzinfo) + DOSE_WINDOW
        < local
    ]
    return MedicineToday(authorisation, doses, missed)


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
    authorisations: list[MedicineAuthorisation] = []
    doses: dict[int, list[MedicineDose]] = defaultdict(list)
    if details:
        checks = list(
            access.scoped(user, HealthCheck)
            .filter(site=site, day=day)
            .select_related("child__family", "by")
            .order_by("child__name_pinyin", "kind")
        )
        authorisations = list(medicines_on(user=user, site=site, day=day))
        for dose in access.scoped(user, MedicineDose).filter(
            authorisation__in=[m.pk for m in authorisations], given_at__date=day
        ):
            doses[dose.authorisation_id].append(dose)
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
        medicines=[medicine_today(m, doses.get(m.pk, []), now) for m in authorisations],
    )


def medicines_on(*, user, site: Site, day: date) -> QuerySet[MedicineAuthorisation]:
    """The medicine authorisations of ``site`` running on ``day``."""
    return (
        access.scoped(user, MedicineAuthorisation)
        .filter(site=site, valid_from__lte=day, valid_to__gte=day)
        .select_related("child")
        .order_by("child__name_pinyin", "medicine")
    )


def child_medicines(*, user, site: Site, child) -> QuerySet[MedicineAuthorisation]:
    return (
        access.scoped(user, MedicineAuthorisation)
        .filter(site=site, child=child)
        .prefetch_related("doses__given_by", "doses__witness")
    )


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
