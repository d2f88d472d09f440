"""Numbers on the dashboards: shares as percentages, differences in percentage points."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()

NONE = "—"


@register.filter
def pct(value, digits=0):
    """0.873 → "87%" (an em dash when there is nothing to divide)."""
    if value is None or value == "":
        return NONE
    if isinstance(value, str):
        return value  # a suppressed figure, e.g. "<5"
    return f"{value * 100:.{int(digits)}f}%"


@register.filter
def points(value):
    """A difference of two shares in percentage points, with its sign: +4.2 pp."""
    if value is None:
        return NONE
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return _("%(sign)s%(points)s pp") % {"sign": sign, "points": f"{abs(value) * 100:.1f}"}


@register.filter
def num(value, digits=0):
    if value is None or value == "":
        return NONE
    if isinstance(value, str):
        return value
    return f"{value:,.{int(digits)}f}"
