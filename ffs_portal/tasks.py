from datetime import datetime
from smtplib import SMTPException
from typing import TypedDict

from celery import shared_task

from ffs_portal import account_mail
from ffs_portal.models import Invitation, User


# An account's e-mails retry an SMTP failure with growing, jittered pauses (about an hour in
# all), then give up: a reset link that arrives the next day is of no use.
class RetryOptions(TypedDict):
    autoretry_for: tuple[type[BaseException], ...]
    retry_backoff: int
    retry_backoff_max: int
    retry_jitter: bool
    max_retries: int


MAIL_RETRY: RetryOptions = {
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 60 * 15,
    "retry_jitter": True,
    "max_retries": 6,
}


# An alert a person must act on now (a roll call, a hand-over to look at): retried soon and
# often for a few minutes.
ALERT_RETRY: RetryOptions = {
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": 10,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task
def ping() -> str:
    """Answers "pong": lets /healthz and the tests see a worker complete a task."""
    return "pong"


@shared_task(ignore_result=True, **MAIL_RETRY)
def send_email_changed_notice(
    user_id: int, old_email: str, new_email: str, changed_at: str
) -> bool:
    """Tell the old address that the account's e-mail address was changed."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    account_mail.email_changed_notice(
        user,
        old_email=old_email,
        new_email=new_email,
        changed_at=datetime.fromisoformat(changed_at),
    ).send()
    return True


@shared_task(ignore_result=True, **MAIL_RETRY)
def send_password_reset(email: str) -> None:
    """The link to choose a new password, to each active account with this address: often
    none, and then nothing is sent."""
    account_mail.send_password_reset(email)


@shared_task(ignore_result=True, **MAIL_RETRY)
def send_invitation(invitation_id: int) -> bool:
    """The link to choose a password, to a new person. Nothing is sent once the invitation
    was used, withdrawn (a newer one, or the account switched off) or ran out."""
    invitation = (
        Invitation.objects.select_related("user", "created_by").filter(pk=invitation_id).first()
    )
    message = account_mail.invitation_message(invitation) if invitation else None
    if message is None:
        return False
    message.send()
    return True
