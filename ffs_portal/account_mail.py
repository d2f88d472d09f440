"""E-mails about a user's own account, each in the user's language and time zone."""

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from ffs_portal.models import User


def user_zone(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


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
