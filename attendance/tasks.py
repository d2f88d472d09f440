from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from attendance import digests, selectors, services
from attendance.models import RollCall
from ffs_portal.lib import clock
from ffs_portal.tasks import ALERT_RETRY


@shared_task
def close_forgotten_check_outs() -> int:
    """Nightly: close the records of children nobody checked out on an earlier day."""
    return services.close_forgotten_check_outs(before=clock.today())


@shared_task
def forget_action_keys() -> int:
    """Nightly: forget the keys of board acts too old to be retried."""
    return services.forget_action_keys(
        before=timezone.now() - timedelta(days=services.ACTION_KEY_DAYS)
    )


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=180)
def alert_still_checked_in() -> int:
    """Every five minutes: sites with children still checked in 30 minutes after closing."""
    from attendance import digests

    return digests.alert_still_checked_in()


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=180)
def tell_parents_not_collected() -> int:
    """Every five minutes: messages to parents whose child is not collected after closing."""
    from attendance import digests

    return digests.tell_parents_not_collected()


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=180)
def tell_parents_not_arrived() -> int:
    """Every five minutes: messages to parents whose child has not arrived as usual."""
    from attendance import digests

    return digests.tell_parents_not_arrived()


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90, **ALERT_RETRY)
def tell_roll_call(roll_call_id: int, event: str) -> int:
    """E-mail the site's leads and the coordinators that a roll call started or ended (with
    its result). Returns how many were told."""
    roll_call = RollCall.objects.select_related("site__factory", "started_by", "ended_by").get(
        pk=roll_call_id
    )
    url = settings.PORTAL_URL + reverse(
        "attendance:roll_call_log", kwargs={"site": roll_call.site_id, "roll_call": roll_call.key}
    )
    context = {
        "state": selectors.roll_call_state(roll_call),
        "roll_call": roll_call,
        "event": event,
        "url": url,
    }
    return digests.send_alert(roll_call.site, "roll_call", context)
