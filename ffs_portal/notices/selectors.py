from ffs_portal.notices.models import Notice

# The newest messages a family page lists.
FAMILY_PAGE_NOTICES = 20


def family_notices(family) -> list[Notice]:
    """The newest messages to a family (and to the delegates its parents named)."""
    return list(
        Notice.objects.filter(family=family)
        .select_related("child", "guardian")
        .order_by("-created_at")[:FAMILY_PAGE_NOTICES]
    )
