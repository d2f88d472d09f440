import zlib

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()

AVATAR_COLOURS = ["#0b5cad", "#2f7d32", "#8e24aa", "#c2410c", "#00796b", "#5d4037", "#3949ab"]


@register.filter
def age(born, on=None):
    """Age in whole years today (or on a given date)."""
    if not born:
        return ""
    day = on or timezone.localdate()
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@register.filter
def avatar_colour(text):
    """A steady colour per name, so the same child always has the same tile colour."""
    return AVATAR_COLOURS[zlib.crc32(str(text).encode()) % len(AVATAR_COLOURS)]


@register.filter
def avatar_text(name):
    """The given name's first character (the family name is shared by siblings)."""
    name = str(name).strip()
    return name[1:2] if len(name) >= 2 else name[:1]


@register.inclusion_tag("_enrollment_status.html")
def enrollment_status(status, label=None):
    return {"status": status, "label": label}


@register.simple_tag
def years_old(born):
    years = age(born)
    return _("%(years)s yrs") % {"years": years} if years != "" else ""
