"""Child-to-staff ratios: pure computation, no database.

A site's rules give, per age band, how many children one adult may look after (e.g. under 6:
8 per adult; 6 and over: 15 per adult). Mixed ages add up: 4 toddlers and 15 older children
need 4/8 + 15/15 = 1.5 adults. Whenever children are present at least two adults must be.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MIN_ADULTS_WITH_CHILDREN = 2
# Amber: the load is within 10% of the limit.
AMBER_MARGIN = 0.10

GREEN, AMBER, RED = "green", "amber", "red"


@dataclass(frozen=True)
class Band:
    min_age: int
    max_age: int
    per_adult: int

    def holds(self, age: int) -> bool:
        return self.min_age <= age <= self.max_age


DEFAULT_BANDS = (Band(0, 5, 8), Band(6, 18, 15))


@dataclass
class BandLoad:
    band: Band
    children: int

    @property
    def adults_needed(self) -> float:
        return self.children / self.band.per_adult


@dataclass
class Assessment:
    children: int
    staff: int
    bands: list[BandLoad] = field(default_factory=list)

    @property
    def exact_need(self) -> float:
        return sum(load.adults_needed for load in self.bands)

    @property
    def adults_needed(self) -> int:
        if not self.children:
            return 0
        # Round away float noise: 16/8 is 2 adults, not 3.
        return max(MIN_ADULTS_WITH_CHILDREN, math.ceil(round(self.exact_need, 9)))

    @property
    def state(self) -> str:
        if not self.children:
            return GREEN
        if self.staff < self.adults_needed:
            return RED
        if self.exact_need > (1 - AMBER_MARGIN) * self.staff:
            return AMBER
        return GREEN

    @property
    def short_by(self) -> int:
        return max(self.adults_needed - self.staff, 0)


def band_for(age: int, bands) -> Band:
    """The band an age falls in; an age outside every band takes the strictest."""
    for band in bands:
        if band.holds(age):
            return band
    return min(bands, key=lambda band: band.per_adult)


def assess(ages, staff: int, bands=DEFAULT_BANDS) -> Assessment:
    bands = list(bands) or list(DEFAULT_BANDS)
    counts = dict.fromkeys(bands, 0)
    for age in ages:
        counts[band_for(age, bands)] += 1
    return Assessment(
        children=sum(counts.values()),
        staff=staff,
        bands=[BandLoad(band, n) for band, n in counts.items()],
    )


def minutes_over(
    children: list[tuple[datetime, datetime | None, int]],
    staff: list[tuple[datetime, datetime | None]],
    bands=DEFAULT_BANDS,
    *,
    until: datetime,
) -> int:
    """Whole minutes the ratio was red, from children's (in, out, age) and staff's (in, out)
    intervals. An interval still open counts until ``until``."""
    moments = {until}
    for start, end, _age in children:
        moments.update([start, min(end or until, until)])
    for start, end in staff:
        moments.update([start, min(end or until, until)])
    timeline = sorted(m for m in moments if m <= until)
    red = timedelta()
    for start, end in zip(timeline, timeline[1:], strict=False):
        if end <= start:
            continue
        ages = [age for c_in, c_out, age in children if c_in <= start and (c_out or until) >= end]
        on_duty = sum(1 for s_in, s_out in staff if s_in <= start and (s_out or until) >= end)
        if assess(ages, on_duty, bands).state == RED:
            red += end - start
    return int(red.total_seconds() // 60)
