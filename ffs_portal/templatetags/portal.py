from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from ffs_portal.lib import avatars

register = template.Library()


@register.filter
def age(born, on=None):
    """Age in whole years today (or on a given date)."""
    if not born:
        return ""
    day = on or timezone.localdate()
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


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
