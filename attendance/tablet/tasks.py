from celery import shared_task
from django.conf import settings
from django.urls import reverse

from attendance import digests
from attendance.tablet.models import OfflineAct
from ffs_portal.tasks import ALERT_RETRY


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90, **ALERT_RETRY)
def tell_offline_act(act_id: int) -> int:
    """A hand-over made offline against the lists arrived: the site's leads and coordinators
    hear of it at once. Returns how many were told."""
    act = OfflineAct.objects.select_related("site__factory", "child", "by", "tablet").get(pk=act_id)
    url = settings.PORTAL_URL + reverse("tablet:offline_review", kwargs={"site": act.site_id})
    return digests.send_alert(act.site, "offline_act", {"act": act, "url": url})
