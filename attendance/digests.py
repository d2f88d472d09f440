"""Delivering the daily attendance e-mail to coordinators and site leads (who gets it when,
and the DigestRun that makes each day's e-mail go out once; its content is built beside the
dashboard, in ffs_portal.outcomes.digest), and the alert when children are still checked in
after closing."""

import logging
import smtplib
import zoneinfo
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from smtplib import SMTPDataError, SMTPRecipientsRefused, SMTPSenderRefused
from typing import TypeVar

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
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
    MailRun,
    StillCheckedInAlert,
    StillCheckedInDelivery,
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

R = TypeVar("R", bound=MailRun)

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
    settled = set(
        DigestRun.objects.filter(
            recipient__in=users,
            day__gte=(now - timedelta(days=2)).date(),
            status__in=SETTLED_OR_IN_HAND,
        ).values_list("recipient_id", "day")
    )
    for user in users:
        local = local_now(user, now)
        yesterday = local.date() - timedelta(days=1)
        joined = local_now(user, user.date_joined).date()
        if joined < yesterday and (user.pk, yesterday) not in settled:
            result.append((user, yesterday))
        if local.hour >= user.digest_hour and (user.pk, local.date()) not in settled:
            result.append((user, local.date()))
    return result


# Runs the beat leaves alone: done, or held by a worker whose lease has not run out.
# A run that is perhaps sent ("unknown") waits for a person to decide.
SETTLED_OR_IN_HAND = [
    DigestStatus.SENT,
    DigestStatus.SKIPPED,
    DigestStatus.UNKNOWN,
    DigestStatus.SENDING,
    DigestStatus.SUBMITTING,
]


def lease() -> timedelta:
    """How long a worker holds a run it claimed: longer than a send can take (the task's
    time limit), so a live worker never loses its run to the beat."""
    return timedelta(seconds=settings.DIGEST_LEASE_SECONDS)


def take_back_abandoned(now: datetime, model: type[MailRun] = DigestRun) -> int:
    """Runs whose worker died or hung (its lease ran out): before the message was handed to
    the mail server they are queued again; after it, whether it left is unknown and they
    are marked so, never resent by themselves. Returns how many were queued again."""
    unknown = model.objects.abandoned_in_submission(now).update(
        status=DigestStatus.UNKNOWN,
        last_error="the worker stopped after handing the message to the mail server",
    )
    if unknown:
        logger.error("%s %s perhaps sent: the worker stopped mid-send", unknown, model.__name__)
    return model.objects.abandoned_before_submission(now).update(
        status=DigestStatus.QUEUED,
        lease_until=None,
        last_error="taken back: its worker stopped before sending",
    )


def queue_due(send: Callable[[int], object], now: datetime | None = None) -> int:
    """Record a run for every e-mail that is due and hand it to a worker (``send(run_id)``
    queues the task that sends it). Returns how many were handed over. The database, not
    the queue, says what is left to send: a run whose task the broker lost is still queued
    and handed over again at the next tick; a broker that cannot be reached leaves them
    queued for the next try."""
    now = now or timezone.now()
    take_back_abandoned(now)
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


def claim(run_id: int, model: type[R]) -> R | None:
    """Take a queued or failed run for sending, with a lease; None when another attempt has
    it or it was sent. A single conditional UPDATE, so two workers can never both win."""
    now = timezone.now()
    claimed = model.objects.filter(
        pk=run_id, status__in=[DigestStatus.QUEUED, DigestStatus.FAILED]
    ).update(
        status=DigestStatus.SENDING,
        claimed_at=now,
        lease_until=now + lease(),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    return model.objects.select_related("recipient").get(pk=run_id)  # type: ignore[misc]


# The mail server refused these before taking the message: nothing left, a retry is safe.
# Any other error once the message is handed over (a timeout, a dropped connection) leaves
# it unknown whether it left.
REFUSED_BEFORE_DELIVERY = (SMTPSenderRefused, SMTPRecipientsRefused, SMTPDataError)


def _settle(run: MailRun, status: str, *, from_status: Sequence[str], **fields) -> bool:
    """Record how this attempt ended, only while the run is still this attempt's (the
    beat may have taken it back after its lease ran out)."""
    return bool(
        type(run)
        .objects.filter(pk=run.pk, attempts=run.attempts, status__in=from_status)
        .update(status=status, **fields)
    )


def _open(connection) -> None:
    """Connect, greet and log in before the run is marked as handed over: a worker that
    dies or times out here has sent nothing."""
    connection.open()
    smtp = getattr(connection, "connection", None)
    if isinstance(smtp, smtplib.SMTP):
        smtp.ehlo_or_helo_if_needed()


def deliver(run_id: int, message_for, now: datetime | None = None) -> bool:
    """Build (with ``message_for(recipient, day, now)``, the e-mail or None when there is
    nothing to report) and send one daily e-mail run (``deliver_run``)."""

    def build(run: DigestRun) -> EmailMessage | None:
        return message_for(run.recipient, run.day, now=now)

    return deliver_run(DigestRun, run_id, build)


def deliver_run(model: type[R], run_id: int, build: Callable[[R], EmailMessage | None]) -> bool:
    """Build (with ``build(run)``, the e-mail or None when there is nothing to say any
    more) and send one run's e-mail. Returns False when nothing was sent by this attempt
    (claimed elsewhere, sent, skipped or perhaps sent).

    A failure before the mail server has the message marks the run failed and is raised for
    the task to retry with back-off. A failure after it (the server took the message but
    its answer never came) marks the run unknown and is not retried: nothing goes twice."""
    run = claim(run_id, model)
    if run is None:
        return False
    sending = [DigestStatus.SENDING]
    connection = None
    try:
        message = build(run)
        if message is None:
            _settle(run, DigestStatus.SKIPPED, from_status=sending)
            return False
        message.extra_headers["Message-ID"] = run.message_id
        connection = get_connection()
        _open(connection)
    except Exception as error:
        _settle(run, DigestStatus.FAILED, from_status=sending, last_error=str(error)[:500])
        if connection is not None:
            with suppress(Exception):
                connection.close()
        raise
    try:
        if not _settle(run, DigestStatus.SUBMITTING, from_status=sending):
            return False  # its lease ran out and the beat took it back: not ours to send
        try:
            connection.send_messages([message])
        except REFUSED_BEFORE_DELIVERY as error:
            _settle(
                run,
                DigestStatus.FAILED,
                from_status=[DigestStatus.SUBMITTING],
                last_error=str(error)[:500],
            )
            raise
        except Exception as error:
            _settle(
                run,
                DigestStatus.UNKNOWN,
                from_status=[DigestStatus.SUBMITTING],
                last_error=str(error)[:500] or type(error).__name__,
            )
            logger.error("daily e-mail %s perhaps sent: %r", run.pk, error)
            return False
    finally:
        with suppress(Exception):
            connection.close()
    # Sent: true even if the beat called it unknown meanwhile.
    _settle(
        run,
        DigestStatus.SENT,
        from_status=[DigestStatus.SUBMITTING, DigestStatus.UNKNOWN],
        sent_at=timezone.now(),
    )
    return True


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
    checked in half an hour after closing. Returns the number of new alerts.

    The alert and one delivery per recipient are recorded first, then each delivery is sent
    exactly once (``deliver_run``): one recipient's failure holds up no other, and a failed
    or abandoned delivery is tried again at the next tick (every five minutes) while the
    day lasts, without telling anyone twice."""
    now = now or timezone.now()
    raised = 0
    for site, day in sites_past_closing(now):
        if StillCheckedInAlert.objects.filter(site=site, day=day).exists():
            continue
        children = still_here(site, day)
        if not children:
            continue
        try:
            with transaction.atomic():
                alert = StillCheckedInAlert.objects.create(
                    site=site, day=day, children=len(children)
                )
                StillCheckedInDelivery.objects.bulk_create(
                    StillCheckedInDelivery(alert=alert, recipient=user)
                    for user in alert_recipients(site)
                )
        except IntegrityError:  # another worker raised this site's alert first
            continue
        raised += 1
    take_back_abandoned(now, StillCheckedInDelivery)
    pending = StillCheckedInDelivery.objects.filter(
        alert__day=timezone.localdate(now),
        status__in=[DigestStatus.QUEUED, DigestStatus.FAILED],
    ).values_list("pk", flat=True)
    for delivery_id in pending:
        try:
            deliver_run(StillCheckedInDelivery, delivery_id, _still_checked_in_email)
        except Exception:  # left failed: the next tick tries again
            logger.warning("still-checked-in alert %s not sent", delivery_id, exc_info=True)
    return raised


def _still_checked_in_email(delivery: StillCheckedInDelivery) -> EmailMessage | None:
    """The alert as it stands now: None once every child was collected."""
    alert = StillCheckedInAlert.objects.select_related("site__factory").get(pk=delivery.alert_id)
    children = still_here(alert.site, alert.day)
    if not children:
        return None
    return still_checked_in_message(delivery.recipient, alert.site, alert.day, children)


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
        # A child sent home with a red card came: the parents know (they were called).
        recorded = AttendanceRecord.objects.filter(site=site, day=day).exclude(
            status=AttendanceStatus.EXPECTED, health_card=""
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
