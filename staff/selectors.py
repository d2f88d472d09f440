"""Reads about staff: who works at a site, who is on duty, the rota, the ratio."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from enrollment.models import Site
from ffs_portal import access
from ffs_portal.lib.ages import age_on
from ffs_portal.lib.db import execute_prepared
from ffs_portal.models import Role, User
from staff.models import DutyPeriod, Qualification, QualificationKind, RatioRule, Shift
from staff.ratio import DEFAULT_BANDS, RED, Assessment, Band, assess

EXPIRY_WARNING_DAYS = 30


def site_staff(site: Site) -> QuerySet[User]:
    """The people who work at a site, each with profile, qualifications and duty state."""
    return (
        User.objects.filter(sites=site, role__in=[Role.CHILDCARE, Role.SITE_LEAD], is_active=True)
        .select_related("staff_profile")
        .prefetch_related(
            Prefetch(
                "staff_profile__qualifications", queryset=Qualification.objects.order_by("kind")
            )
        )
        .annotate(
            on_duty=Exists(
                DutyPeriod.objects.filter(user=OuterRef("pk"), clock_out_at__isnull=True)
            )
        )
        .order_by("-role", "last_name", "first_name")
    )


# Read with every answer the board gives (its ratio): one prepared statement.
RATIO_RULES = (
    "SELECT r.min_age, r.max_age, r.children_per_adult FROM staff_ratiorule r "
    "WHERE r.site_id = %(site)s ORDER BY r.min_age, r.id"
)


def bands_for(site: Site) -> list[Band]:
    """The site's ratio rules by age, youngest first; the default bands when it has none."""
    with connection.cursor() as cursor:
        execute_prepared(cursor, "ratio_rules", RATIO_RULES, {"site": site.pk})
        rules = cursor.fetchall()
    if not rules:
        return list(DEFAULT_BANDS)
    return [Band(*rule) for rule in rules]


def on_duty(site: Site) -> QuerySet[DutyPeriod]:
    return DutyPeriod.objects.filter(site=site, clock_out_at__isnull=True).select_related("user")


def planned_absent(site: Site, at: datetime) -> list[Shift]:
    """Staff planned on the rota now but not clocked in: who to call when the ratio is red."""
    local = timezone.localtime(at)
    return list(
        Shift.objects.filter(
            site=site, day=local.date(), starts__lte=local.time(), ends__gt=local.time()
        )
        .exclude(
            Exists(DutyPeriod.objects.filter(user=OuterRef("user"), clock_out_at__isnull=True))
        )
        .select_related("user", "user__staff_profile")
        .order_by("starts")
    )


def week_rota(site: Site, monday: date) -> dict:
    days = [monday + timedelta(days=n) for n in range(7)]
    shifts = (
        Shift.objects.filter(site=site, day__in=days)
        .select_related("user")
        .order_by("day", "starts")
    )
    by_day: dict[date, list[Shift]] = {day: [] for day in days}
    for shift in shifts:
        by_day[shift.day].append(shift)
    return by_day


def qualification_warnings(user, today: date | None = None) -> list[Qualification]:
    """Qualifications of the staff the user oversees that have lapsed or lapse within 30 days."""
    today = today or timezone.localdate()
    staff = User.objects.filter(sites__in=access.site_ids(user)).values("pk")
    return list(
        Qualification.objects.filter(profile__user__in=staff, expires_on__isnull=False)
        .filter(expires_on__lte=today + timedelta(days=EXPIRY_WARNING_DAYS))
        .select_related("profile__user")
        .order_by("expires_on")
    )


def missing_child_protection(site: Site, today: date | None = None) -> QuerySet[User]:
    today = today or timezone.localdate()
    valid = Qualification.objects.filter(
        profile__user=OuterRef("pk"),
        kind=QualificationKind.CHILD_PROTECTION,
        obtained_on__lte=today,
    ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    return site_staff(site).exclude(Exists(valid))


def ratio_rules(site: Site) -> list[RatioRule]:
    return list(site.ratio_rules.all())


@dataclass
class LiveRatio:
    site: Site
    assessment: Assessment
    call: list = field(default_factory=list)  # filled only where the page shows it

    @property
    def state(self) -> str:
        return self.assessment.state


def live_ratio(
    site: Site, *, ages=None, staff: int | None = None, at: datetime | None = None, with_call=False
) -> LiveRatio:
    """Children present now against staff on duty now, by age band: one query when the
    caller knows the ages of the children present and how many staff are on duty (the
    board's answers do), up to three otherwise, and one more for who to call when the ratio
    is red and ``with_call`` is asked."""
    from attendance.models import AttendanceRecord, AttendanceStatus

    at = at or timezone.now()
    today = timezone.localdate(at)
    if ages is None:
        born = AttendanceRecord.objects.filter(
            site=site, day=today, status=AttendanceStatus.PRESENT
        ).values_list("child__date_of_birth", flat=True)
        ages = [age_on(b, today) for b in born]
    if staff is None:
        staff = on_duty(site).count()
    ratio = LiveRatio(site=site, assessment=assess(ages, staff, bands_for(site)))
    if with_call and ratio.state == RED:
        ratio.call = planned_absent(site, at)
    return ratio


def day_intervals(site: Site, day: date):
    """Children's (in, out, age) and staff's (in, out) intervals of one day at a site."""
    from attendance.models import AttendanceRecord

    tz = timezone.get_current_timezone()
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    end = start + timedelta(days=1)
    children = [
        (checked_in, checked_out, age_on(born, day))
        for checked_in, checked_out, born in AttendanceRecord.objects.filter(
            site=site, day=day, checked_in_at__isnull=False
        ).values_list("checked_in_at", "checked_out_at", "child__date_of_birth")
    ]
    staff = list(
        DutyPeriod.objects.filter(site=site, clock_in_at__lt=end)
        .filter(Q(clock_out_at__isnull=True) | Q(clock_out_at__gt=start))
        .values_list("clock_in_at", "clock_out_at")
    )
    staff = [(max(s_in, start), min(s_out, end) if s_out else None) for s_in, s_out in staff]
    return children, staff
