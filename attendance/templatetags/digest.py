from django import template

register = template.Library()


@register.filter
def percent(value):
    """0.823 → "82%"; no figure → "—"."""
    if value is None:
        return "—"
    return f"{round(value * 100)}%"
