from django.db.models import Count

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


# The newest messages a site's list shows.
SITE_PAGE_NOTICES = 200


def site_notices(site) -> tuple[list[Notice], dict[str, int]]:
    """The newest messages about a site's children, and how many of each status in all."""
    notices = list(
        Notice.objects.filter(site=site)
        .select_related("child", "guardian")
        .order_by("-created_at")[:SITE_PAGE_NOTICES]
    )
    counts = dict(
        Notice.objects.filter(site=site)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return notices, counts
