from celery import shared_task

from ffs_portal.outcomes import services


# The name it was queued and scheduled by before the app moved into ffs_portal.
@shared_task(name="attendance.outcomes.tasks.close_past_days")
def close_past_days() -> int:
    """Nightly, after forgotten check-outs are closed: the dashboards' day table."""
    return services.close_past_days()
