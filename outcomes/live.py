"""Today's figures, counted live for many sites at once in a fixed number of queries."""

from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Count
from django.utils import timezone

from enrollment.models import Enrollment, EnrollmentStatus, OpeningHours, Term
from staff.ratio import GREEN


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
    ratio: str = GREEN

    @property
    def attended(self) -> int:
        return self.present + self.collected

    @property
    def not_arrived(self) -> int:
        return max(self.listed - self.attended - self.absent, 0)

    @property
    def rate(self) -> float | None:
        return self.attended / self.listed if self.listed else None

    def open_for(self, now: datetime) -> float:
        """Hours the site has been open today (0 before opening or when closed)."""
        if not self.open or self.opens is None:
            return 0.0
        local = timezone.localtime(now)
        start = datetime.combine(local.date(), self.opens, tzinfo=local.tzinfo)
        return max((local - start).total_seconds() / 3600, 0.0)


def today_by_site(site_ids: list[int], now: datetime | None = None) -> dict[int, Today]:
    """Live figures for today per site."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = {pk: Today() for pk in site_ids}
    if not site_ids:
        return result
    hours = OpeningHours.objects.filter(site__in=site_ids, weekday=today.weekday()).values_list(
        "site", "opens", "closes"
    )
    for site_id, opens, closes in hours:
        result[site_id].opens, result[site_id].closes = opens, closes
    running = (
        Term.objects.filter(site__in=site_ids, starts_on__lte=today, ends_on__gte=today)
        .exclude(closed_days__date=today)
        .values_list("site", flat=True)
    )
    for site_id in set(running):
        result[site_id].open = result[site_id].opens is not None
    listed = (
        Enrollment.objects.filter(
            term__site__in=site_ids,
            term__starts_on__lte=today,
            term__ends_on__gte=today,
            status=EnrollmentStatus.ENROLLED,
        )
        .exclude(term__closed_days__date=today)
        .values("term__site")
        .annotate(n=Count("child", distinct=True))
        .order_by()
    )
    for row in listed:
        figures = result[row["term__site"]]
        if figures.open:
            figures.listed = row["n"]
    return result
