from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from attendance import services
from ffs_portal.lib import clock


@shared_task
def close_forgotten_check_outs() -> int:
    """Nightly: close the records of children nobody checked out on an earlier day."""
    return services.close_forgotten_check_outs(before=clock.today())


@shared_task
def forget_action_keys() -> int:
    """Nightly: forget the keys of board acts too old to be retried."""
    return services.forget_action_keys(
        before=timezone.now() - timedelta(days=services.ACTION_KEY_DAYS)
    )


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=180)
def alert_still_checked_in() -> int:
    """Every five minutes: sites with children still checked in 30 minutes after closing."""
    from attendance import digests

    return digests.alert_still_checked_in()
