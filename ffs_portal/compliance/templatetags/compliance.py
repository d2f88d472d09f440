from django import template

from ffs_portal.compliance.pages import ACTION_LABELS, page_label

register = template.Library()


@register.filter(name="page_label")
def page_label_filter(code) -> str:
    return page_label(code)


@register.filter
def read_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@register.filter
def reads_for(reads_by_child: dict, child) -> list:
    """The newest reads of ``child`` from ``selectors.newest_reads``."""
    return reads_by_child.get(child.pk, [])
