"""Writes to a user's own account. E-mails go out from a worker once the change is committed."""

import logging
from functools import partial

from django.db import transaction

from ffs_portal import audit, tasks
from ffs_portal.models import User

logger = logging.getLogger(__name__)

SETTINGS_FIELDS = ["language", "email", "digest_enabled", "digest_hour", "time_zone"]


@transaction.atomic
def account_settings_save(
    *,
    user: User,
    language: str,
    email: str,
    digest_enabled: bool,
    digest_hour: int,
    time_zone: str,
) -> User:
    """Save a user's own settings. A new e-mail address (the caller has confirmed the
    password) is told to the old address, so that a takeover does not go unnoticed."""
    # Read under a row lock: the caller's instance may carry the new values already, and
    # two changes at once must each tell the address they replaced.
    old_email = User.objects.select_for_update().values_list("email", flat=True).get(pk=user.pk)
    user.language = language
    user.email = email
    user.digest_enabled = digest_enabled
    user.digest_hour = digest_hour
    user.time_zone = time_zone
    user.save(update_fields=SETTINGS_FIELDS)
    if email != old_email:
        entry = audit.record(actor=user, action="account.email_changed")
        if old_email:
            transaction.on_commit(
                partial(
                    tasks.send_email_changed_notice.delay,
                    user.pk,
                    old_email,
                    email,
                    entry.at.isoformat(),
                ),
                # A broker outage must not turn a saved change into an error page.
                robust=True,
            )
    return user
