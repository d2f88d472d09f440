"""Today's figures, counted live for many sites at once in a fixed number of queries."""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone

from attendance.models import AttendanceRecord, AttendanceStatus, Incident, RefusedPickup
from enrollment.models import Enrollment, OpeningHours, Term
from staff.models import DutyPeriod, RatioDay, RatioRule
from staff.ratio import DEFAULT_BANDS, GREEN, Band, assess


@dataclass
class Today:
    open: bool = False  # a term running, the site open this weekday, not a closed day
    opens: time | None = None
    closes: time | None = None
    listed: int = 0  # children on today's list (enrolled in the running term)
    present: int = 0  # in the space now
    collected: int = 0
    absent: int = 0
    late_pickups: int = 0
    incidents: int = 0
    refused_pickups: int = 0
    after_closing: int = 0  # still checked in after closing time
    staff_on_duty: int = 0
    adults_needed: int = 0
    minutes_over_ratio: int = 0  # so far today, as staff records it every quarter hour
    ratio: str = GREEN

    started: bool = False  # open today and past opening time

    @property
    def attended(self) -> int:
        return self.present + self.collected

    @property
    def not_arrived(self) -> int:
        """Children on today's list neither checked in nor absent, once the site has opened."""
        if not self.started:
            return 0
        return max(self.listed - self.attended - self.absent, 0)

    @property
    def rate(self) -> float | None:
        """Today's attendance so far; none before the site opens."""
        return self.attended / self.listed if self.listed and self.started else None

    def open_for(self, now: datetime) -> float:
        """Hours the site has been open today (0 before opening or when closed)."""
        if not self.open or self.opens is None:
            return 0.0
        local = timezone.localtime(now)
        start = datetime.combine(local.date(), self.opens, tzinfo=local.tzinfo)
        return max((local - start).total_seconds() / 3600, 0.0)


def today_by_site(site_ids: Collection[int], now: datetime | None = None) -> dict[int, Today]:
    """Live figures for today per site, in ten queries whatever the number of sites."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = {pk: Today() for pk in site_ids}
    if not site_ids:
        return result
    hours = OpeningHours.objects.filter(site__any=site_ids, weekday=today.weekday()).values_list(
        "site", "opens", "closes"
    )
    for site_id, opens, closes in hours:
        result[site_id].opens, result[site_id].closes = opens, closes
    running = (
        Term.objects.running_on(today).filter(site__any=site_ids).values_list("site", flat=True)
    )
    local = timezone.localtime(now)
    for site_id in set(running):
        figures = result[site_id]
        figures.open = figures.opens is not None
        figures.started = figures.opens is not None and local.time() >= figures.opens
    listed = (
        Enrollment.objects.expected_on(today)
        .filter(term__site__any=site_ids)
        .values("term__site")
        .annotate(n=Count("child", distinct=True))
        .order_by()
    )
    for row in listed:
        figures = result[row["term__site"]]
        if figures.open:
            figures.listed = row["n"]
    records = (
        AttendanceRecord.objects.filter(site__any=site_ids, day=today)
        .values("site")
        .annotate(
            present=Count("pk", filter=Q(status=AttendanceStatus.PRESENT)),
            collected=Count("pk", filter=Q(status=AttendanceStatus.COLLECTED)),
            absent=Count("pk", filter=Q(status=AttendanceStatus.ABSENT)),
            late=Count("pk", filter=Q(late=True)),
        )
        .order_by()
    )
    for row in records:
        figures = result[row["site"]]
        figures.present, figures.collected = row["present"], row["collected"]
        figures.absent, figures.late_pickups = row["absent"], row["late"]
    for figures in result.values():
        if figures.present and figures.closes is not None and local.time() > figures.closes:
            figures.after_closing = figures.present
    # A range on the moment (not its date) so that the (site, occurred_at) index serves.
    midnight = datetime.combine(today, time.min, tzinfo=local.tzinfo)
    incidents = (
        Incident.objects.filter(
            site__any=site_ids,
            occurred_at__gte=midnight,
            occurred_at__lt=midnight + timedelta(days=1),
        )
        .values("site")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in incidents:
        result[row["site"]].incidents = row["n"]
    refused = (
        RefusedPickup.objects.filter(site__any=site_ids, day=today)
        .values("site")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in refused:
        result[row["site"]].refused_pickups = row["n"]
    _ratio_now(result, site_ids, today)
    return result


def _ratio_now(result: dict[int, Today], site_ids, today) -> None:
    """Staff on duty against the children present, by age band, and the minutes over ratio
    so far today (four queries)."""
    for site_id, minutes in RatioDay.objects.filter(site__any=site_ids, day=today).values_list(
        "site", "minutes_over"
    ):
        result[site_id].minutes_over_ratio = minutes
    on_duty = (
        DutyPeriod.objects.filter(site__any=site_ids, clock_out_at__isnull=True)
        .values("site")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in on_duty:
        result[row["site"]].staff_on_duty = row["n"]
    # Ages in whole years, counted in the database: a few rows per site, not one per child.
    birthday_to_come = Case(
        When(
            Q(child__date_of_birth__month__gt=today.month)
            | Q(child__date_of_birth__month=today.month, child__date_of_birth__day__gt=today.day),
            then=Value(1),
        ),
        default=Value(0),
        output_field=IntegerField(),
    )
    ages = (
        AttendanceRecord.objects.filter(
            site__any=site_ids, day=today, status=AttendanceStatus.PRESENT
        )
        .values("site", "child__date_of_birth__year")
        .annotate(later=birthday_to_come, n=Count("pk"))
        .values_list("site", "child__date_of_birth__year", "later", "n")
        .order_by()
    )
    present: defaultdict[int, list[int]] = defaultdict(list)
    for site_id, born, later, n in ages:
        present[site_id] += [today.year - born - later] * n
    bands = defaultdict(list)
    for rule in RatioRule.objects.filter(site__any=site_ids):
        bands[rule.site_id].append(Band(rule.min_age, rule.max_age, rule.children_per_adult))
    for site_id, children in present.items():
        figures = result[site_id]
        assessment = assess(children, figures.staff_on_duty, bands[site_id] or DEFAULT_BANDS)
        figures.ratio = assessment.state
        figures.adults_needed = assessment.adults_needed
