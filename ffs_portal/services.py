"""Writes to a user's own account. E-mails go out from a worker once the change is committed."""

import hashlib
import logging
from datetime import timedelta
from functools import partial

from django.db import transaction

from ffs_portal import audit, tasks
from ffs_portal.lib import throttle
from ffs_portal.models import User

logger = logging.getLogger(__name__)

SETTINGS_FIELDS = ["language", "email", "digest_enabled", "digest_hour", "time_zone"]

# Password resets. Three an hour to one address: enough for someone who did not see the first
# e-mail and asks twice more, and every link sent stays valid, so a person whose address
# someone else has used up is not stuck. Ten an hour from one client address: a factory's few
# portal users share one address, and ten resets among them in an hour would already be
# unusual, while someone trying addresses or flooding inboxes gets no further.
RESETS_PER_EMAIL = 3
RESETS_PER_ADDRESS = 10
RESET_WINDOW = timedelta(hours=1)


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


def password_reset_request(*, email: str, address: str) -> bool:
    """Queue the e-mail with a link to choose a new password, unless this e-mail address
    or the asker's address has asked too often within the hour. The same work whether or
    not an account has the address: a worker looks it up, so neither the answer nor its
    time tells. Returns whether it was queued."""
    digest = hashlib.sha256(email.strip().casefold().encode()).hexdigest()
    # Both counted every time, so that one cannot be spent without the other.
    email_allowed = throttle.allow(
        f"reset-email:{digest}", limit=RESETS_PER_EMAIL, window=RESET_WINDOW
    )
    address_allowed = throttle.allow(
        f"reset-address:{address}", limit=RESETS_PER_ADDRESS, window=RESET_WINDOW
    )
    if not (email_allowed and address_allowed):
        logger.warning(
            "password reset from %s not sent: too many for the %s",
            address,
            "e-mail address" if not email_allowed else "client address",
        )
        return False
    transaction.on_commit(partial(tasks.send_password_reset.delay, email), robust=True)
    return True
