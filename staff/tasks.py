from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from enrollment.models import Site, Term
from staff import services


@shared_task
def record_minutes_over_ratio(day: str | None = None) -> int:
    """Keep each site's minutes over ratio for today (every quarter of an hour) or for a
    given day (the night after, final)."""
    from datetime import date

    on = date.fromisoformat(day) if day else timezone.localdate()
    sites = Site.objects.filter(terms__in=Term.objects.under_way(on)).distinct()
    for site in sites:
        services.ratio_day_record(site=site, day=on)
    return len(sites)


@shared_task
def record_yesterdays_minutes_over_ratio() -> int:
    return record_minutes_over_ratio((timezone.localdate() - timedelta(days=1)).isoformat())
