from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from attendance.digests import alert_recipients
from attendance.tablet.models import OfflineAct


@shared_task(
    ignore_result=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=10,
    retry_backoff_max=300,
    max_retries=8,
    soft_time_limit=60,
    time_limit=90,
)
def tell_offline_act(act_id: int) -> int:
    """A hand-over made offline against the lists arrived: the site's leads and coordinators
    hear of it at once. Returns how many were told."""
    act = OfflineAct.objects.select_related("site__factory", "child", "by", "tablet").get(pk=act_id)
    url = settings.PORTAL_URL + reverse("tablet:offline_review", kwargs={"site": act.site_id})
    told = 0
    for user in alert_recipients(act.site):
        with translation.override(user.language):
            context = {"act": act, "url": url}
            subject = " ".join(render_to_string("emails/offline_act_subject.txt", context).split())
            message = EmailMultiAlternatives(
                subject, render_to_string("emails/offline_act.txt", context), to=[user.email]
            )
        message.send()
        told += 1
    return told
