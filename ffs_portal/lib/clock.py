"""The board's notion of now and today, in one place so tests can move the clock
(a morning check-in and a late pickup in the same browser journey)."""

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.localdate(now())
