from datetime import date

from django.db.models import Count

from ffs_portal.notices.models import Notice, NoticeStatus

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


def sent_and_failed(site_ids: list[int], day: date) -> dict[int, tuple[int, int]]:
    """Messages written that day to each site's families: (sent, failed) per site id, one
    statement whatever the number of sites (a site with none is left out)."""
    counts: dict[int, tuple[int, int]] = {}
    for site_id, status, n in (
        Notice.objects.filter(
            site__in=site_ids,
            created_at__date=day,
            status__in=[NoticeStatus.SENT, NoticeStatus.FAILED],
        )
        .values_list("site", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        sent, failed = counts.get(site_id, (0, 0))
        counts[site_id] = (sent + n, failed) if status == NoticeStatus.SENT else (sent, failed + n)
    return counts
