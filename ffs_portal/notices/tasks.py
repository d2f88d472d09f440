from urllib.error import URLError

from celery import shared_task

from ffs_portal.notices import services
from ffs_portal.notices.backends import DeliveryError


@shared_task(name="notices.tasks.hand_over_queued", ignore_result=True)
def hand_over_queued() -> int:
    """Every few seconds: hand the queued messages to workers."""
    return services.hand_over_queued(send_notice.delay)


# A provider's failure is retried with growing, jittered pauses for about half an hour; the
# notice then stays "failed" on the outbox, never lost.
@shared_task(
    name="notices.tasks.send_notice",
    ignore_result=True,
    autoretry_for=(DeliveryError, URLError, OSError),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
)
def send_notice(notice_id: int) -> bool:
    return services.deliver(notice_id)
