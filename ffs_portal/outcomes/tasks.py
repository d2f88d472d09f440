from smtplib import SMTPException

from celery import shared_task

from attendance import digests
from ffs_portal.outcomes import digest, services


# The name it was queued and scheduled by before the app moved into ffs_portal.
@shared_task(name="attendance.outcomes.tasks.close_past_days")
def close_past_days() -> int:
    """Nightly, after forgotten check-outs are closed: the dashboards' day table."""
    return services.close_past_days()


# The daily e-mail's tasks keep the names they were queued and scheduled by.
@shared_task(name="attendance.tasks.queue_due_digests", ignore_result=True)
def queue_due_digests() -> int:
    """Every few minutes: hand each daily e-mail that is due to a worker."""
    return digests.queue_due(send_digest.delay)


@shared_task(
    name="attendance.tasks.send_digest",
    bind=True,
    ignore_result=True,
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=60,
    retry_backoff_max=60 * 30,
    retry_jitter=True,
    max_retries=6,
    soft_time_limit=60,
    time_limit=90,
)
def send_digest(self, run_id: int) -> bool:
    """One recipient's daily e-mail. Another recipient's failure does not hold it up; an
    SMTP error retries with growing, jittered pauses."""
    return digests.deliver(run_id, digest.message)
