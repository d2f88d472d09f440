from celery import shared_task

from attendance.outcomes import services


@shared_task
def close_past_days() -> int:
    """Nightly, after forgotten check-outs are closed: the dashboards' day table."""
    return services.close_past_days()
