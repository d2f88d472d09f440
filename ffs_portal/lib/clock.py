"""The board's notion of now and today, in one place so tests can move the clock
(a morning check-in and a late pickup in the same browser journey)."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.localdate(now())


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first moment of ``day`` in the portal's time zone and the first of the next: what
    a ``__date`` lookup on a moment compares with."""
    start = timezone.make_aware(datetime.combine(day, time()))
    return start, start + timedelta(days=1)
