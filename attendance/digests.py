"""Delivering the daily attendance e-mail to coordinators and site leads (who gets it when,
and the DigestRun that makes each day's e-mail go out once; its content is built beside the
dashboard, in ffs_portal.outcomes.digest), and the alert when children are still checked in
after closing."""

import logging
import zoneinfo
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from attendance.models import (
    AttendanceRecord,
    AttendanceStatus,
    DigestRun,
    DigestStatus,
    StillCheckedInAlert,
)
from enrollment.models import (
    Adult,
    Enrollment,
    OpeningHours,
    PickupPermission,
    Site,
    Term,
    Worker,
)
from ffs_portal.models import Role, User

logger = logging.getLogger(__name__)

DIGEST_ROLES = [Role.COORDINATOR, Role.SITE_LEAD]
# The alert goes this long after a site's closing time.
ALERT_AFTER_CLOSING = timedelta(minutes=30)
# The parents are told first, before the leads' alert.
PARENTS_AFTER_CLOSING = timedelta(minutes=15)


def recipients():
    """Coordinators and site leads who want the daily e-mail and have an address."""
    return User.objects.filter(is_active=True, role__in=DIGEST_ROLES, digest_enabled=True).exclude(
        email=""
    )


def local_now(user, now: datetime) -> datetime:
    try:
        zone = zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return now.astimezone(zone)


def due(now: datetime) -> list[tuple[User, date]]:
    """Whose e-mail is due: their hour has come in their own time zone today. Yesterday's
    is due too when it never went out (a broker outage across midnight loses nothing)."""
    result = []
    users = list(recipients())
    sent_or_sending = set(
        DigestRun.objects.filter(
            recipient__in=users,
            day__gte=(now - timedelta(days=2)).date(),
            status__in=[DigestStatus.SENT, DigestStatus.SENDING, DigestStatus.SKIPPED],
        ).values_list("recipient_id", "day")
    )
    for user in users:
        local = local_now(user, now)
        yesterday = local.date() - timedelta(days=1)
        joined = local_now(user, user.date_joined).date()
        if joined < yesterday and (user.pk, yesterday) not in sent_or_sending:
            result.append((user, yesterday))
        if local.hour >= user.digest_hour and (user.pk, local.date()) not in sent_or_sending:
            result.append((user, local.date()))
    return result


def queue_due(send: Callable[[int], object], now: datetime | None = None) -> int:
    """Record a run for every e-mail that is due and hand it to a worker (``send(run_id)``
    queues the task that sends it). Returns how many were handed over. A broker that cannot
    be reached leaves them queued for the next try."""
    now = now or timezone.now()
    handed = 0
    for user, day in due(now):
        run, _created = DigestRun.objects.get_or_create(recipient=user, day=day)
        if run.status not in (DigestStatus.QUEUED, DigestStatus.FAILED):
            continue
        try:
            send(run.pk)
        except Exception:  # the broker is down: the run stays queued, the next tick retries
            logger.warning("digest %s not handed to a worker: broker unreachable", run.pk)
            continue
        handed += 1
    return handed


def claim(run_id: int) -> DigestRun | None:
    """Take a queued or failed run for sending; None when another attempt has it or it was
    sent. A single conditional UPDATE, so two workers can never both win."""
    claimed = DigestRun.objects.filter(
        pk=run_id, status__in=[DigestStatus.QUEUED, DigestStatus.FAILED]
    ).update(status=DigestStatus.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1)
    if not claimed:
        return None
    return DigestRun.objects.select_related("recipient").get(pk=run_id)


def deliver(run_id: int, message_for, now: datetime | None = None) -> bool:
    """Build (with ``message_for(recipient, day, now)``, the e-mail or None when there is
    nothing to report) and send one run's e-mail. Returns False when there was nothing to
    send (claimed elsewhere or sent). An SMTP failure marks the run failed, so a retry can
    claim it, and is raised for the task to retry with back-off."""
    run = claim(run_id)
    if run is None:
        return False
    try:
        message = message_for(run.recipient, run.day, now=now)
        if message is None:
            DigestRun.objects.filter(pk=run.pk).update(status=DigestStatus.SKIPPED)
            return False
        message.send()
    except Exception as error:
        DigestRun.objects.filter(pk=run.pk).update(
            status=DigestStatus.FAILED, last_error=str(error)[:500]
        )
        raise
    DigestRun.objects.filter(pk=run.pk).update(status=DigestStatus.SENT, sent_at=timezone.now())
    return True


def release(run: DigestRun) -> None:
    """Let support resend a run stuck in "sending" (a worker killed mid-send: whether the
    e-mail left is unknown, so it is never resent without someone deciding to)."""
    DigestRun.objects.filter(pk=run.pk, status=DigestStatus.SENDING).update(
        status=DigestStatus.FAILED, last_error="released for a resend"
    )


# Children still checked in after closing --------------------------------------------------


@dataclass
class StillHere:
    child_name: str
    since: datetime
    collectors: list  # (name, relation, mobile)


def still_here(site: Site, day: date) -> list[StillHere]:
    records = list(
        AttendanceRecord.objects.filter(site=site, day=day, status=AttendanceStatus.PRESENT)
        .select_related("child")
        .order_by("child__name")
    )
    families = {r.child.family_id for r in records}
    workers: dict[int | None, list[Worker]] = {}
    for worker in Worker.objects.filter(family__in=families).order_by("name"):
        workers.setdefault(worker.family_id, []).append(worker)
    permissions: dict[int, list[Adult]] = {}
    for permission in PickupPermission.objects.filter(
        child__in=[r.child_id for r in records], allowed=True
    ).select_related("adult"):
        if permission.is_valid_on(day):
            permissions.setdefault(permission.child_id, []).append(permission.adult)
    result = []
    for record in records:
        # Present: the attendance_present_has_check_in constraint gives it a check-in time.
        assert record.checked_in_at is not None
        people = [(w.name, "", w.mobile) for w in workers.get(record.child.family_id, [])]
        people += [
            (a.name, a.get_relation_display(), a.mobile)
            for a in permissions.get(record.child_id, [])
        ]
        result.append(StillHere(record.child.name, record.checked_in_at, people))
    return result


def alert_recipients(site: Site):
    """The site's leads and the coordinators who oversee its factory."""
    coordinators = Q(role=Role.COORDINATOR) & (Q(all_factories=True) | Q(factories=site.factory_id))
    return (
        User.objects.filter(is_active=True)
        .filter(Q(role=Role.SITE_LEAD, sites=site) | coordinators)
        .exclude(email="")
        .distinct()
    )


def send_alert(site: Site, template: str, context: dict) -> int:
    """E-mail ``site``'s leads and the coordinators who oversee it, each in their own
    language, from the templates ``emails/<template>_subject.txt``, ``.txt`` and, when there
    is one, ``.html``. Returns how many were told."""
    told = 0
    for user in alert_recipients(site):
        with translation.override(user.language):
            subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
            message = EmailMultiAlternatives(
                subject, render_to_string(f"emails/{template}.txt", context), to=[user.email]
            )
            with suppress(TemplateDoesNotExist):  # a text-only alert has no HTML
                message.attach_alternative(
                    render_to_string(f"emails/{template}.html", context), "text/html"
                )
        message.send()
        told += 1
    return told


def sites_past_closing(
    now: datetime, after: timedelta = ALERT_AFTER_CLOSING
) -> list[tuple[Site, date]]:
    """Sites open today whose closing time was at least ``after`` (half an hour) ago."""
    local = timezone.localtime(now)
    day = local.date()
    running = Term.objects.running_on(day)
    hours = OpeningHours.objects.filter(
        weekday=day.weekday(), site__in=running.values("site")
    ).select_related("site__factory")
    return [
        (h.site, day)
        for h in hours
        if datetime.combine(day, h.closes, tzinfo=local.tzinfo) + after <= local
    ]


def alert_still_checked_in(now: datetime | None = None) -> int:
    """E-mail the site leads and coordinators once per site and day when children are still
    checked in half an hour after closing. Returns the number of alerts sent.

    The alert row is claimed first; if sending fails it is removed again so that the next
    run retries (someone must act now: a repeated alert is better than none)."""
    now = now or timezone.now()
    sent = 0
    for site, day in sites_past_closing(now):
        if StillCheckedInAlert.objects.filter(site=site, day=day).exists():
            continue
        children = still_here(site, day)
        if not children:
            continue
        try:
            alert = StillCheckedInAlert.objects.create(site=site, day=day, children=len(children))
        except IntegrityError:  # another worker claimed this site's alert first
            continue
        try:
            for user in alert_recipients(site):
                still_checked_in_message(user, site, day, children).send()
        except Exception:
            alert.delete()
            raise
        sent += 1
    return sent


@transaction.atomic
def _tell_parents(kind: str, event: str, of, at: datetime) -> None:
    """A message to the guardians of ``of.child`` (a record or an enrolment) about ``of``'s
    site; nothing when this event was already written to them."""
    from ffs_portal.notices import services as notices

    site = of.site if isinstance(of, AttendanceRecord) else of.term.site
    notices.notify_guardians(kind=kind, event=event, child=of.child, site=site, person="", at=at)


def tell_parents_not_collected(now: datetime | None = None) -> int:
    """Every five minutes: a message to the parents of each child still checked in a quarter
    of an hour after closing (the leads' alert follows at half an hour). Once per record and
    guardian: the outbox's constraint makes a second run write nothing. Returns how many
    children's families were written to."""
    from ffs_portal.notices.models import NoticeKind

    now = now or timezone.now()
    told = 0
    for site, day in sites_past_closing(now, after=PARENTS_AFTER_CLOSING):
        hours = OpeningHours.objects.filter(site=site, weekday=day.weekday()).first()
        if hours is None:
            continue
        closed = datetime.combine(day, hours.closes, tzinfo=timezone.get_current_timezone())
        records = AttendanceRecord.objects.filter(
            site=site, day=day, status=AttendanceStatus.PRESENT
        ).select_related("child", "site")
        for record in records:
            _tell_parents(NoticeKind.NOT_COLLECTED, f"not_collected:{record.pk}", record, closed)
            told += 1
    return told


# The days of check-ins a child's usual time of arrival is taken from.
USUAL_TIME_DAYS = 28


def usual_arrival(child_ids: list[int], day: date) -> dict[int, int]:
    """Each child's usual time of arrival (median minutes after midnight, local time) over
    the last four weeks of check-ins; a child never checked in is left out."""
    minutes: dict[int, list[int]] = {}
    for child_id, checked_in_at in AttendanceRecord.objects.filter(
        child__in=child_ids,
        day__gte=day - timedelta(days=USUAL_TIME_DAYS),
        day__lt=day,
        checked_in_at__isnull=False,
    ).values_list("child", "checked_in_at"):
        local = timezone.localtime(checked_in_at)
        minutes.setdefault(child_id, []).append(local.hour * 60 + local.minute)
    return {child: sorted(values)[len(values) // 2] for child, values in minutes.items()}


def tell_parents_not_arrived(now: datetime | None = None) -> int:
    """Every five minutes: a message to the parents of each child on today's list who has
    neither arrived nor been reported absent ``site.not_arrived_minutes`` after their usual
    time (the opening time for a child never checked in). Once per child, day and guardian.
    Returns how many children's families were written to."""
    from ffs_portal.notices.models import NoticeKind

    now = timezone.localtime(now or timezone.now())
    day = now.date()
    hours = OpeningHours.objects.filter(
        weekday=day.weekday(), site__in=Term.objects.running_on(day).values("site")
    ).select_related("site")
    told = 0
    for hour in hours:
        site = hour.site
        opens = datetime.combine(day, hour.opens, tzinfo=now.tzinfo)
        if opens + timedelta(minutes=site.not_arrived_minutes) > now:
            continue
        recorded = AttendanceRecord.objects.filter(site=site, day=day).exclude(
            status=AttendanceStatus.EXPECTED
        )
        missing = list(
            Enrollment.objects.expected_at(site, day)
            .exclude(child__in=recorded.values("child"))
            .select_related("child", "term__site")
        )
        usual = usual_arrival([e.child_id for e in missing], day)
        for enrollment in missing:
            minutes = usual.get(enrollment.child_id, hour.opens.hour * 60 + hour.opens.minute)
            expected_at = datetime.combine(day, time(minutes // 60, minutes % 60), now.tzinfo)
            if expected_at + timedelta(minutes=site.not_arrived_minutes) > now:
                continue
            event = f"not_arrived:{enrollment.child_id}:{day.isoformat()}"
            _tell_parents(NoticeKind.NOT_ARRIVED, event, enrollment, expected_at)
            told += 1
    return told


def still_checked_in_message(user, site, day, children) -> EmailMultiAlternatives:
    with translation.override(user.language):
        context = {
            "site": site,
            "day": day,
            "children": children,
            "board_url": settings.PORTAL_URL
            + reverse("attendance:site_board", kwargs={"site": site.pk}),
        }
        subject = " ".join(render_to_string("emails/still_checked_in_subject.txt", context).split())
        message = EmailMultiAlternatives(
            subject, render_to_string("emails/still_checked_in.txt", context), to=[user.email]
        )
        message.attach_alternative(
            render_to_string("emails/still_checked_in.html", context), "text/html"
        )
    return message
