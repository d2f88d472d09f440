"""Messages to families: the outbox rows written inside the act that causes them, the
parent's signed link put in each, and their delivery, claimed so each goes out once."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Exists, F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from enrollment.models import Child, Consent, Site, Worker
from ffs_portal import audit
from ffs_portal.lib import clock
from ffs_portal.lib.db import insert_or_nothing
from ffs_portal.notices import backends
from ffs_portal.notices.models import Notice, NoticeKind, NoticeStatus, ParentLink

logger = logging.getLogger(__name__)

LINK_SALT = "ffs_portal.notices.parent_link"
# Messages go out in Chinese: the parents' language.
MESSAGE_LANGUAGE = "zh-hans"
# A notice handed to a worker that has not been claimed in this long is handed again.
HAND_AGAIN_AFTER = timedelta(minutes=2)


# The parent's link -------------------------------------------------------------------------


def parent_link(guardian: Worker) -> str:
    """A signed link to ``guardian``'s page (valid PARENT_LINK_DAYS days from now), made with
    the guardian's live link row (created when there is none)."""
    link = ParentLink.objects.filter(guardian=guardian, revoked_at__isnull=True).first()
    if link is None:
        candidate = ParentLink(guardian=guardian)
        if not insert_or_nothing(candidate):
            link = ParentLink.objects.get(guardian=guardian, revoked_at__isnull=True)
        else:
            link = candidate
    token = signing.dumps(str(link.key), salt=LINK_SALT, compress=False)
    return settings.PORTAL_URL + reverse("notices:today", kwargs={"token": token})


def guardian_for_token(token: str) -> Worker | None:
    """The guardian whose link this is, or None when it was tampered with, has expired or
    was revoked."""
    try:
        key = signing.loads(
            token, salt=LINK_SALT, max_age=timedelta(days=settings.PARENT_LINK_DAYS)
        )
    except signing.BadSignature:
        return None
    link = (
        ParentLink.objects.select_related("guardian__family__factory")
        .filter(key=key, revoked_at__isnull=True)
        .first()
        if isinstance(key, str) and len(key) == 36
        else None
    )
    if link is None or link.guardian.family_id is None:
        return None
    return link.guardian


def revoke_links(*, guardian: Worker, by) -> int:
    """End every link to ``guardian``'s page sent so far. Returns how many rows were revoked."""
    revoked = ParentLink.objects.filter(guardian=guardian, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
    audit.record(actor=by, action="parent_link.revoked", family=guardian.family)
    return revoked


# Writing notices ---------------------------------------------------------------------------


def _text(kind: str, values: dict) -> str:
    with translation.override(MESSAGE_LANGUAGE):
        if kind == NoticeKind.COLLECTED:
            text = _("%(child)s was collected at %(time)s by %(person)s. Details: %(link)s")
        elif kind == NoticeKind.PICKUP_REFUSED:
            text = _(
                "%(person)s came for %(child)s at %(time)s and was not given the child. "
                "Details: %(link)s"
            )
        elif kind == NoticeKind.INCIDENT:
            text = _(
                "%(child)s had an incident (%(person)s) at %(time)s. The carers tell you at "
                "pickup. Details: %(link)s"
            )
        else:
            text = _("%(person)s asks you to collect %(child)s today. One-time code: %(code)s")
        return "【FFS】" + text % values


def messages_allowed(child: Child) -> bool:
    """Whether the child's family agreed to messages (the active consent covers them)."""
    return Consent.objects.active().filter(child=child, covers_messages=True).exists()


def notify_guardians(
    *,
    kind: str,
    event: str,
    child: Child,
    site: Site,
    person: object,
    at: datetime,
    relation: object = "",
) -> list[Notice]:
    """Write a notice of ``event`` to each guardian of ``child``'s family, in the caller's
    transaction; suppressed when the family did not agree to messages. ``person`` (with their
    ``relation``) is who came, or the kind of incident. A second call for the same event and
    guardian writes nothing. Two statements when the family did not agree to messages."""
    time = timezone.localtime(at).strftime("%H:%M")
    with translation.override(MESSAGE_LANGUAGE):
        who = " ".join(str(part) for part in (relation, person) if str(part)) or "—"
    guardians = (
        Worker.objects.filter(family_id=child.family_id)
        .exclude(mobile="")
        .annotate(
            allowed=Exists(Consent.objects.active().filter(child=child, covers_messages=True))
        )
    )
    written = []
    for guardian in guardians:
        allowed = guardian.allowed
        values = {"child": child.name, "time": time, "person": who}
        link = parent_link(guardian) if allowed else ""
        written.append(
            Notice(
                event=event,
                kind=kind,
                family_id=child.family_id,
                child=child,
                site=site,
                guardian=guardian,
                mobile=guardian.mobile,
                channel=settings.NOTICE_BACKEND,
                status=NoticeStatus.QUEUED if allowed else NoticeStatus.SUPPRESSED,
                params=[values["child"], values["time"], values["person"], link],
                body=_text(kind, {**values, "link": link}),
            )
        )
    # One notice per event and guardian: a second write of the same event adds nothing.
    Notice.objects.bulk_create(written, ignore_conflicts=True)
    return written


def notify_delegate(
    *, event: str, child: Child, site: Site, parent: Worker, mobile: str, code: str
) -> Notice | None:
    """The one-time code, to the adult a parent named to collect ``child`` today."""
    allowed = messages_allowed(child)
    values = {"child": child.name, "person": parent.name, "code": code}
    notice = Notice(
        event=event,
        kind=NoticeKind.DELEGATE_CODE,
        family_id=child.family_id,
        child=child,
        site=site,
        mobile=mobile,
        channel=settings.NOTICE_BACKEND,
        status=NoticeStatus.QUEUED if allowed else NoticeStatus.SUPPRESSED,
        params=[values["person"], values["child"], code],
        body=_text(NoticeKind.DELEGATE_CODE, values),
    )
    return notice if insert_or_nothing(notice) else None


# Delivering --------------------------------------------------------------------------------


def hand_over_queued(send: Callable[[int], object], limit: int = 500) -> int:
    """Hand queued notices to workers (``send(notice_id)`` queues the task). A broker that
    cannot be reached leaves them queued for the next tick. Returns how many were handed."""
    now = clock.now()
    ids = list(
        Notice.objects.filter(status=NoticeStatus.QUEUED)
        .exclude(handed_at__gt=now - HAND_AGAIN_AFTER)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    handed = 0
    for pk in ids:
        try:
            send(pk)
        except Exception:  # the broker is down: the notice stays queued, the next tick retries
            logger.warning("notice %s not handed to a worker: broker unreachable", pk)
            break
        Notice.objects.filter(pk=pk).update(handed_at=now)
        handed += 1
    return handed


def claim(notice_id: int) -> Notice | None:
    """Take a queued or failed notice for sending; None when another attempt has it or it was
    sent. A single conditional UPDATE, so two workers can never both win."""
    claimed = Notice.objects.filter(
        pk=notice_id, status__in=[NoticeStatus.QUEUED, NoticeStatus.FAILED]
    ).update(status=NoticeStatus.SENDING, claimed_at=clock.now(), attempts=F("attempts") + 1)
    if not claimed:
        return None
    return Notice.objects.get(pk=notice_id)


def deliver(notice_id: int) -> bool:
    """Send one notice through its channel. False when there was nothing to send (claimed
    elsewhere, sent or suppressed). A provider's failure marks the notice failed, so a retry
    can claim it, and is raised for the task to retry with back-off."""
    notice = claim(notice_id)
    if notice is None:
        return False
    try:
        backends.backend_for(notice.channel).send(notice)
    except Exception as error:
        Notice.objects.filter(pk=notice.pk).update(
            status=NoticeStatus.FAILED, last_error=str(error)[:500]
        )
        raise
    Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.SENT, sent_at=clock.now())
    return True
