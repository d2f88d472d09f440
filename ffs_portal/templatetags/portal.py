from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from ffs_portal.lib import ages, avatars, dates

register = template.Library()


@register.filter
def age(born, on=None):
    """Age in whole years today (or on a given date)."""
    if not born:
        return ""
    return ages.age_on(born, on or timezone.localdate())


@register.filter
def avatar_text(name):
    return avatars.avatar_text(name)


@register.filter
def avatar_colour(key):
    return avatars.avatar_colour(key)


@register.inclusion_tag("_enrollment_status.html")
def enrollment_status(status, label=None):
    return {"status": status, "label": label}


@register.simple_tag
def years_old(born):
    years = age(born)
    return _("%(years)s yrs") % {"years": years} if years != "" else ""


@register.filter
def duration(seconds):
    """Seconds as a clock reads them: 4:05, or 1:02:03 past an hour."""
    seconds = max(0, int(seconds or 0))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@register.filter
def date_span(start, end):
    """A span of days as people write it: ``{{ start|date_span:end }}``."""
    return dates.span(start, end)
