"""Messages to families: the outbox rows written inside the act that causes them, the
parent's signed link put in each, and their delivery, claimed so each goes out once."""

import logging
import time
import uuid
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from enrollment.models import Child, Consent, Enrollment, EnrollmentStatus, Site, Worker
from ffs_portal import audit
from ffs_portal.lib import clock
from ffs_portal.lib.db import insert_or_nothing
from ffs_portal.notices import backends
from ffs_portal.notices.models import (
    SAFETY_KINDS,
    WRITTEN_ONLY_WHEN_SENT,
    Notice,
    NoticeKind,
    NoticeStatus,
    ParentLink,
    SuppressedReason,
)

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
    payload = link.key.bytes + int(time.time()).to_bytes(TIMESTAMP_BYTES, "big")
    token = urlsafe_b64encode(payload + _mac(payload)).decode()
    return settings.PORTAL_URL + reverse("notices:today", kwargs={"token": token})


# A link's token: the link row's key, when it was made and a MAC of both, in 44 characters,
# so that a message with its link fits in two SMS segments.
TIMESTAMP_BYTES = 5
MAC_BYTES = 12  # HMAC-SHA256 cut to 96 bits
TOKEN_BYTES = 16 + TIMESTAMP_BYTES + MAC_BYTES


def _mac(payload: bytes) -> bytes:
    return salted_hmac(LINK_SALT, payload, algorithm="sha256").digest()[:MAC_BYTES]


def guardian_for_token(token: str) -> Worker | None:
    """The guardian whose link this is, or None when it was tampered with, has expired or
    was revoked."""
    try:
        raw = urlsafe_b64decode(token.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None
    if len(raw) != TOKEN_BYTES:
        return None
    payload, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    if not constant_time_compare(mac, _mac(payload)):
        return None
    made = int.from_bytes(payload[16:], "big")
    if time.time() - made > timedelta(days=settings.PARENT_LINK_DAYS).total_seconds():
        return None
    link = (
        ParentLink.objects.select_related("guardian__family__factory")
        .filter(key=uuid.UUID(bytes=payload[:16]), revoked_at__isnull=True)
        .first()
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
        if kind == NoticeKind.ARRIVED:
            text = _("%(child)s arrived at the space at %(time)s. Details: %(link)s")
        elif kind == NoticeKind.COLLECTED:
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
        elif kind == NoticeKind.NOT_COLLECTED:
            text = _(
                "%(child)s has not been collected: the space closed at %(time)s. Please come "
                "or call the carers. Details: %(link)s"
            )
        elif kind == NoticeKind.NOT_ARRIVED:
            text = _(
                "%(child)s has not arrived at the space (usually there by %(time)s). If the "
                "child stays at home today, please tell the carers. Details: %(link)s"
            )
        elif kind == NoticeKind.HEALTH_RED_CARD:
            # Never the temperature or what was seen: health data stays in the space.
            text = _(
                "%(child)s was not admitted at the morning health check (%(time)s). Please call "
                "the carers. Details: %(link)s"
            )
        elif kind == NoticeKind.ANNOUNCEMENT:
            text = _("%(site)s: %(text)s")
        elif kind == NoticeKind.TRAINING:
            text = _(
                'You are invited to the parent training "%(course)s" on %(time)s at '
                "%(place)s. Details: %(link)s"
            )
        else:
            text = _("%(person)s asks you to collect %(child)s today. One-time code: %(code)s")
        return "【FFS】" + text % values


def messages_allowed(child: Child) -> bool:
    """Whether the child's family agreed to messages (the active consent covers them)."""
    return Consent.objects.active().filter(child=child, covers_messages=True).exists()


def with_preferences(guardians: QuerySet, consents: QuerySet) -> QuerySet:
    """``guardians`` with the family's preferences from the newest of ``consents`` (active,
    covering messages; may refer to each guardian as OuterRef): ``allowed``, ``muted``,
    ``quiet_from`` and ``quiet_until``, in the same statement."""
    newest = consents.order_by("-recorded_at")
    return guardians.annotate(
        allowed=Exists(newest),
        muted=Subquery(newest.values("muted_messages")[:1]),
        quiet_from=Subquery(newest.values("quiet_from")[:1]),
        quiet_until=Subquery(newest.values("quiet_until")[:1]),
    )


def in_quiet_hours(moment: datetime, start, end) -> bool:
    """Whether ``moment`` (local time) falls in quiet hours from ``start`` to ``end``, which
    may run past midnight (22:00–07:00)."""
    if start is None or end is None:
        return False
    now = timezone.localtime(moment).time()
    return start <= now < end if start <= end else now >= start or now < end


def decision(guardian: Worker, kind: str) -> tuple[str, str]:
    """Queued, or suppressed and why, for a guardian annotated by ``with_preferences``. The
    safety messages go out whenever the family agreed to messages at all."""
    if not guardian.allowed:  # type: ignore[attr-defined]
        return NoticeStatus.SUPPRESSED, SuppressedReason.NO_CONSENT
    if kind in SAFETY_KINDS:
        return NoticeStatus.QUEUED, ""
    if kind in (guardian.muted or []):  # type: ignore[attr-defined]
        return NoticeStatus.SUPPRESSED, SuppressedReason.NOT_CHOSEN
    if in_quiet_hours(clock.now(), guardian.quiet_from, guardian.quiet_until):  # type: ignore[attr-defined]
        return NoticeStatus.SUPPRESSED, SuppressedReason.QUIET_HOURS
    return NoticeStatus.QUEUED, ""


def _to_guardian(guardian: Worker, decided: tuple[str, str], **fields) -> Notice:
    status, reason = decided
    assert guardian.family_id is not None  # a family's guardian
    return Notice(
        guardian=guardian,
        family_id=guardian.family_id,
        mobile=guardian.mobile,
        channel=settings.NOTICE_BACKEND,
        status=status,
        suppressed_reason=reason,
        **fields,
    )


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
    guardian writes nothing. One statement for an "arrived" that would not go out."""
    time = timezone.localtime(at).strftime("%H:%M")
    with translation.override(MESSAGE_LANGUAGE):
        who = " ".join(str(part) for part in (relation, person) if str(part)) or "—"
    # The preferences are the child's (its newest consent), the same for every guardian:
    # read once, and the guardians not at all when an "arrived" could not go out.
    consent = (
        Consent.objects.active()
        .filter(child=child, covers_messages=True)
        .order_by("-recorded_at")
        .values("muted_messages", "quiet_from", "quiet_until")
        .first()
    )
    if kind in WRITTEN_ONLY_WHEN_SENT and (
        consent is None or kind in (consent["muted_messages"] or [])
    ):
        return []
    preferences = {
        "allowed": consent is not None,
        "muted": consent and consent["muted_messages"],
        "quiet_from": consent and consent["quiet_from"],
        "quiet_until": consent and consent["quiet_until"],
    }
    guardians = list(Worker.objects.filter(family_id=child.family_id).exclude(mobile=""))
    for guardian in guardians:
        vars(guardian).update(preferences)  # as with_preferences annotates them
    written = []
    for guardian in guardians:
        status, reason = decision(guardian, kind)
        if status != NoticeStatus.QUEUED and kind in WRITTEN_ONLY_WHEN_SENT:
            continue
        values = {"child": child.name, "time": time, "person": who}
        link = parent_link(guardian) if status == NoticeStatus.QUEUED else ""
        written.append(
            _to_guardian(
                guardian,
                (status, reason),
                event=event,
                kind=kind,
                child=child,
                site=site,
                params=[values["child"], values["time"], values["person"], link],
                body=_text(kind, {**values, "link": link}),
            )
        )
    # One notice per event and guardian: a second write of the same event adds nothing.
    if written:
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
        suppressed_reason="" if allowed else SuppressedReason.NO_CONSENT,
        params=[values["person"], values["child"], code],
        body=_text(NoticeKind.DELEGATE_CODE, values),
    )
    return notice if insert_or_nothing(notice) else None


def notify_invited(*, session, workers: list[Worker]) -> list[Notice]:
    """The invitation to a parent training ``session``, to each of ``workers`` who belongs to
    a family (suppressed when no child of the family has a consent covering messages). In
    the caller's transaction; one notice per session and worker."""
    guardians = with_preferences(
        Worker.objects.filter(pk__in=[w.pk for w in workers], family__isnull=False)
        .exclude(mobile="")
        .order_by("pk"),
        Consent.objects.active().filter(
            child__family_id=OuterRef("family_id"), covers_messages=True
        ),
    )
    values = {
        "course": session.course.name,
        "time": timezone.localtime(session.starts_at).strftime("%m-%d %H:%M"),
        "place": session.place,
    }
    written = []
    for guardian in guardians:
        status, reason = decision(guardian, NoticeKind.TRAINING)
        link = parent_link(guardian) if status == NoticeStatus.QUEUED else ""
        written.append(
            _to_guardian(
                guardian,
                (status, reason),
                event=f"training:{session.key}",
                kind=NoticeKind.TRAINING,
                params=[values["course"], values["time"], values["place"], link],
                body=_text(NoticeKind.TRAINING, {**values, "link": link}),
            )
        )
    if written:
        Notice.objects.bulk_create(written, ignore_conflicts=True)
    return written


CODE_MASK = "••••••"

# Announcements longer than this would take more than two SMS segments.
ANNOUNCEMENT_MAX_LENGTH = 100


@transaction.atomic
def announce(*, site: Site, text: str, by) -> list[Notice]:
    """The lead's announcement (a typhoon closure, a holiday) to each guardian of every
    family with a child enrolled in a term of ``site`` not yet ended; suppressed for a
    family that did not agree to messages. One notice per guardian however many children."""
    event = f"announcement:{uuid.uuid4()}"
    enrolled = Enrollment.objects.filter(
        term__site=site, term__ends_on__gte=clock.today(), status=EnrollmentStatus.ENROLLED
    )
    guardians = with_preferences(
        Worker.objects.filter(
            pk__in=Worker.objects.filter(family__children__enrollments__in=enrolled).values("pk")
        )
        .exclude(mobile="")
        .order_by("pk"),
        Consent.objects.active().filter(
            child__family_id=OuterRef("family_id"),
            covers_messages=True,
            child__enrollments__in=enrolled,
        ),
    )
    values = {"site": site.name, "text": " ".join(text.split())[:ANNOUNCEMENT_MAX_LENGTH]}
    body = _text(NoticeKind.ANNOUNCEMENT, values)
    written = [
        _to_guardian(
            guardian,
            decision(guardian, NoticeKind.ANNOUNCEMENT),
            event=event,
            kind=NoticeKind.ANNOUNCEMENT,
            site=site,
            params=[values["site"], values["text"]],
            body=body,
        )
        for guardian in guardians
    ]
    Notice.objects.bulk_create(written, ignore_conflicts=True)
    audit.record(
        actor=by, action="notices.announced", factory=site.factory, site=site.pk, to=len(written)
    )
    return written


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
    handed: list[int] = []
    for pk in ids:
        try:
            send(pk)
        except Exception:  # the broker is down: the notice stays queued, the next tick retries
            logger.warning("notice %s not handed to a worker: broker unreachable", pk)
            break
        handed.append(pk)
    # One statement for the batch (a closing's thousand notices), not one per notice.
    Notice.objects.filter(pk__in=handed).update(handed_at=now)
    return len(handed)


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
    sent = {"status": NoticeStatus.SENT, "sent_at": clock.now()}
    if notice.kind == NoticeKind.DELEGATE_CODE:
        # Once handed to the provider, the code is the delegate's: the outbox keeps no copy
        # that a list of messages could show.
        code = notice.params[-1]
        sent["body"] = notice.body.replace(code, CODE_MASK)
        sent["params"] = [*notice.params[:-1], CODE_MASK]
    Notice.objects.filter(pk=notice.pk).update(**sent)
    return True
