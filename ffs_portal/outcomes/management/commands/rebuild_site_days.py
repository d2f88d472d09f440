"""Recompute the dashboards' day table for a range of past days."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ffs_portal.outcomes import services


class Command(BaseCommand):
    help = "Recompute the per-site-per-day figures of the dashboards for past days."

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="first day, e.g. 2026-09-01")
        parser.add_argument("--until", help="last day (default: yesterday)")

    def handle(self, *args, since, until, **options):
        yesterday = timezone.localdate() - timedelta(days=1)
        try:
            start = date.fromisoformat(since)
            end = date.fromisoformat(until) if until else yesterday
        except ValueError as error:
            raise CommandError(f"Give days as 2026-09-01: {error}") from None
        if end > yesterday:
            raise CommandError("Today is counted live: give days up to yesterday.")
        if start > end:
            raise CommandError("The first day comes after the last.")
        written = services.site_days_rebuild(start=start, end=end)
        self.stdout.write(self.style.SUCCESS(f"{written} site-days from {start} to {end}."))
