"""Writes to accounts: a user's own (settings, password reset) and those managed by others
(switched off and on, invitations, one-time passwords, lock-outs, two-factor resets). E-mails
go out from a worker once the change is committed."""

import hashlib
import logging
import secrets
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ffs_portal import audit, tasks, two_factor
from ffs_portal.lib import throttle
from ffs_portal.models import INVITATION_LIFETIME, Invitation, User, token_digest

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


# Accounts managed by others ---------------------------------------------------------------
# The people pages (ffs_portal/people) compose these with the scope checks and the staff
# profile; the sponsor pages use the switch-off.

# Letters and digits nobody mistakes for one another when reading them aloud or off a screen.
READABLE = "abcdefghjkmnpqrstuvwxyz23456789"


def sessions_end(user: User) -> None:
    """End every session of ``user`` at once: their sessions carry a hash of the generation."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])


@transaction.atomic
def account_switch_off(*, user: User, by) -> User:
    """Switch an account off: it can no longer sign in, its sessions end at once, its PIN
    opens nothing (StaffProfile.takes_pin) and an open invitation is withdrawn. Records it
    made keep its name."""
    if not user.is_active:
        return user
    user.is_active = False
    user.deactivated_at = timezone.now()
    user.save(update_fields=["is_active", "deactivated_at"])
    sessions_end(user)
    Invitation.objects.filter(user=user, used_at__isnull=True, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    audit.record(actor=by, action="account.switched_off", about=user)
    return user


@transaction.atomic
def account_switch_on(*, user: User, by) -> User:
    if user.is_active:
        return user
    user.is_active = True
    user.deactivated_at = None
    user.save(update_fields=["is_active", "deactivated_at"])
    audit.record(actor=by, action="account.switched_on", about=user)
    return user


def readable_password() -> str:
    """A one-time password of three groups of four, e.g. ``k7mq-3xhp-w9td``."""
    return "-".join("".join(secrets.choice(READABLE) for _ in range(4)) for _ in range(3))


@transaction.atomic
def one_time_password_set(*, user: User, by) -> str:
    """Give ``user`` a password to be told once: they choose their own at the next sign-in.
    Their sessions end; the password is returned, never stored in clear or recorded."""
    password = readable_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    sessions_end(user)
    audit.record(actor=by, action="account.one_time_password", about=user)
    return password


@transaction.atomic
def password_choose(*, user: User, password: str) -> User:
    """The person's own new password, replacing a one-time one or set from an invitation."""
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit.record(actor=user, action="account.password_chosen", about=user)
    return user


@transaction.atomic
def invitation_send(*, user: User, by) -> Invitation:
    """E-mail ``user`` a one-time link to choose their password, valid for 72 hours. An
    earlier link stops working. A worker makes the link and sends it after commit."""
    if not user.email:
        raise ValidationError(
            {"email": _("An invitation needs an e-mail address. Add one, or give a password.")}
        )
    now = timezone.now()
    Invitation.objects.select_for_update().filter(
        user=user, used_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=now)
    invitation = Invitation.objects.create(
        user=user, created_by=by, created_at=now, expires_at=now + INVITATION_LIFETIME
    )
    audit.record(actor=by, action="account.invited", about=user, email=user.email)
    transaction.on_commit(partial(tasks.send_invitation.delay, invitation.pk), robust=True)
    return invitation


def invitation_for(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("user", "created_by")
        .filter(token_hash=token_digest(token))
        .first()
    )


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Set the password chosen through an invitation's link; the link then stops working."""
    invitation = (
        Invitation.objects.select_for_update()
        .filter(token_hash=token_digest(token))
        .select_related("user")
        .first()
    )
    if invitation is None or not invitation.is_usable() or not invitation.user.is_active:
        raise ValidationError(_("This invitation link cannot be used any more."))
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    user = password_choose(user=invitation.user, password=password)
    audit.record(actor=user, action="account.invitation_used", about=user)
    return user


@transaction.atomic
def password_reset_send(*, user: User, by) -> None:
    """E-mail ``user`` a link to choose a new password (the link of "Forgot your password?")."""
    if not user.email:
        raise ValidationError(
            _("%(name)s has no e-mail address. Give a one-time password instead.") % {"name": user}
        )
    if not user.has_usable_password():
        # Django's reset link goes only to accounts with a password of their own.
        raise ValidationError(
            _("%(name)s has not chosen a password yet. Send a new invitation instead.")
            % {"name": user}
        )
    audit.record(actor=by, action="account.password_reset_sent", about=user)
    transaction.on_commit(partial(tasks.send_password_reset.delay, user.email), robust=True)


@transaction.atomic
def sign_in_lock_clear(*, user: User, by) -> int:
    """Forget the failed sign-ins of ``user``'s name, from every address: the lock-out ends."""
    from axes.models import AccessAttempt

    cleared, _kinds = AccessAttempt.objects.filter(username=user.username.casefold()).delete()
    audit.record(actor=by, action="account.lock_cleared", about=user)
    return cleared


def is_locked_out(user: User) -> bool:
    """Whether ``user``'s name has reached the sign-in lock-out (ffs_portal.login_throttling)."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt
    from django.db.models import Sum

    counted = AccessAttempt.objects.filter(
        username=user.username.casefold(), attempt_time__gte=timezone.now() - get_cool_off()
    ).aggregate(failures=Sum("failures_since_start"))["failures"]
    return (counted or 0) >= settings.AXES_FAILURE_LIMIT


@transaction.atomic
def two_factor_reset(*, user: User, by) -> None:
    """Forget ``user``'s authenticator and recovery codes (a lost phone) and end their
    sessions: a coordinator sets up a new app at the next sign-in."""
    two_factor.forget_devices(user)
    sessions_end(user)
    audit.record(actor=by, action="account.two_factor_reset", about=user)
