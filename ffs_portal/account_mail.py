"""E-mails about a user's own account, each in the user's language and time zone."""

import secrets
import zoneinfo
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from ffs_portal.models import Invitation, User, token_digest


def user_zone(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _render(templates: str, context: dict, to: str) -> EmailMultiAlternatives:
    """The subject, text and HTML templates ``emails/<templates>…`` as one message."""
    subject = " ".join(render_to_string(f"emails/{templates}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject, render_to_string(f"emails/{templates}.txt", context), to=[to]
    )
    message.attach_alternative(render_to_string(f"emails/{templates}.html", context), "text/html")
    return message


def invitation_token_make(invitation: Invitation) -> str | None:
    """A new secret for the invitation's link, its digest kept; None once the invitation is
    used, withdrawn or out of date. Made anew by each try of the sending worker, so the
    secret never waits in a queue and only the link of the e-mail that left works."""
    token = secrets.token_urlsafe(32)
    made = Invitation.objects.filter(
        pk=invitation.pk,
        used_at__isnull=True,
        withdrawn_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).update(token_hash=token_digest(token))
    return token if made else None


def invitation_message(invitation: Invitation) -> EmailMultiAlternatives | None:
    """The e-mail with the link to choose a password, in the new person's language; None
    when the invitation can no longer be used."""
    token = invitation_token_make(invitation)
    if token is None:
        return None
    user = invitation.user
    zone = user_zone(user)
    with translation.override(user.language), timezone.override(zone):
        context = {
            "user": user,
            "invited_by": invitation.created_by,
            "link": settings.PORTAL_URL + reverse("invitation", kwargs={"token": token}),
            "expires_at": invitation.expires_at,
            "zone": zone.key,
            "LANGUAGE_CODE": translation.get_language(),
        }
        return _render("invitation", context, user.email)


def email_changed_notice(
    user: User, *, old_email: str, new_email: str, changed_at: datetime
) -> EmailMultiAlternatives:
    """The message to the old address saying when the address was changed, and to what."""
    zone = user_zone(user)
    with translation.override(user.language), timezone.override(zone):
        context = {
            "user": user,
            "new_email": new_email,
            "changed_at": changed_at,
            "zone": zone.key,
            "LANGUAGE_CODE": translation.get_language(),
        }
        subject = " ".join(render_to_string("emails/email_changed_subject.txt", context).split())
        message = EmailMultiAlternatives(
            subject, render_to_string("emails/email_changed.txt", context), to=[old_email]
        )
        message.attach_alternative(
            render_to_string("emails/email_changed.html", context), "text/html"
        )
    return message


class _PasswordResetMail(PasswordResetForm):
    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        # In the account's language, not the asker's. Django's form only logs an SMTP
        # failure; here it reaches the task, which tries again.
        with translation.override(context["user"].language):
            subject = " ".join(render_to_string(subject_template_name, context).split())
            body = render_to_string(email_template_name, context)
        EmailMultiAlternatives(subject, body, from_email, [to_email]).send()


def send_password_reset(email: str) -> None:
    """Send each active account with this address a link to choose a new password."""
    form = _PasswordResetMail({"email": email})
    if not form.is_valid():
        return
    # Links point at the portal's configured address: there is no request to take a host from.
    portal = urlsplit(settings.PORTAL_URL)
    form.save(
        domain_override=portal.netloc + portal.path.rstrip("/"),
        use_https=portal.scheme == "https",
    )
