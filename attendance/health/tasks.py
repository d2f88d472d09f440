from datetime import date

from celery import shared_task

from attendance.health import services
from enrollment.models import Site
from ffs_portal.tasks import ALERT_RETRY


@shared_task(ignore_result=True, **ALERT_RETRY)
def watch_outbreak(site_id: int, day: str) -> int:
    """After a check that saw a sign: alert the site's leads and coordinators when enough of
    its children show the same sign (once per sign and window)."""
    site = Site.objects.select_related("factory").get(pk=site_id)
    return len(services.watch_outbreak(site=site, day=date.fromisoformat(day)))


def queue_watch(site_id: int, day: date) -> None:
    watch_outbreak.delay(site_id, day.isoformat())
