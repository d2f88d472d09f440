from celery import shared_task
from django.utils import timezone

from attendance import clock, services


@shared_task
def close_forgotten_check_outs() -> int:
    """Nightly: close the records of children nobody checked out on an earlier day."""
    return services.close_forgotten_check_outs(before=clock.today())


@shared_task
def forget_action_keys() -> int:
    """Nightly: forget the keys of board acts too old to be retried."""
    return services.forget_action_keys(
        before=timezone.now() - timezone.timedelta(days=services.ACTION_KEY_DAYS)
    )
