from datetime import date

from celery import shared_task

from attendance.health import selectors, services
from enrollment.models import Site
from ffs_portal.lib import clock
from ffs_portal.tasks import ALERT_RETRY


@shared_task(ignore_result=True, **ALERT_RETRY)
def watch_outbreak(site_id: int, day: str) -> int:
    """After a check that saw a sign: alert the site's leads and coordinators when enough of
    its children show the same sign (once per sign and window)."""
    site = Site.objects.select_related("factory").get(pk=site_id)
    return len(services.watch_outbreak(site=site, day=date.fromisoformat(day)))


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=180, **ALERT_RETRY)
def watch_todays_outbreaks() -> int:
    """Every half hour: the watch of every site where a sign was seen today."""
    day = clock.today()
    sites = Site.objects.filter(pk__in=selectors.sites_with_signs(day)).select_related("factory")
    return sum(len(services.watch_outbreak(site=site, day=day)) for site in sites)


def queue_watch(site_id: int, day: date) -> None:
    watch_outbreak.delay(site_id, day.isoformat())
