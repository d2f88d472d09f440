"""Every write of the tablet board: check-in, check-out, refusals, absences, incidents.

Each service is one transaction and writes its audit entry inside it. Acts on one child
lock that child's row first, so two tablets acting on the same child at once are served one
after the other and the second sees what the first did. None of them touches the Celery
broker: the board works with Redis down.
"""

import io
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image

from attendance import board_sql, selectors
from attendance.models import (
    AbsenceReason,
    ActionKey,
    AttendanceRecord,
    AttendanceStatus,
    BoardChange,
    HealthCard,
    Incident,
    IncidentKind,
    InformedHow,
    PickupDelegate,
    RefusalReason,
    RefusedPickup,
    RollCall,
    RollCallEntry,
    RollCallKind,
)
from enrollment.models import (
    Adult,
    Child,
    HealthCheckMode,
    PickupPermission,
    Relation,
    Site,
    Worker,
)
from ffs_portal import access, audit
from ffs_portal.lib import clock, db
from ffs_portal.lib.db import insert_or_nothing
from ffs_portal.notices import services as notices
from ffs_portal.notices.models import NoticeKind
from ffs_portal.validators import validate_mobile
from staff.models import DutyPeriod

# How long after a check-in the worker may take it back with one tap.
UNDO_SECONDS = 10
# Action keys are kept long enough to recognise any retry; the nightly job forgets older ones.
ACTION_KEY_DAYS = 2


@dataclass
class ActResult:
    """What a board act did to one child's day, for the answer the tablet gets.

    ``changed`` is True when this act changed the record. It is False when there was
    nothing to do: another tablet was first, or this is a retry of an act already carried
    out (``retried``: same action key), in which case ``refusal`` holds the refusal that act
    recorded, if it was one. ``problems`` says why a child of a group was not checked in."""

    child: Child
    record: AttendanceRecord | None
    changed: bool
    retried: bool = False
    refusal: RefusedPickup | None = None
    problems: list[str] = field(default_factory=list)
    # The board version this act gave the site, when it changed something.
    seq: int | None = None
    # Whether the child's tile shows an incident, when the act found out (else None).
    incident: bool | None = None
    # A hand-over recorded as it happened though a rule was not met (made offline): why.
    flags: list[str] = field(default_factory=list)


def _local_time(moment: datetime) -> str:
    return time_format(timezone.localtime(moment), "H:i")


def _lock_children(children) -> list[Child]:
    """Lock the children's rows, in id order so that two tablets never deadlock. Returns the
    children given (with their family and factory loaded), in that order."""
    by_pk = {child.pk: child for child in children}
    locked = list(
        Child.objects.select_for_update(no_key=True)
        .filter(pk__in=by_pk)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    _ensure_family(*(by_pk[pk] for pk in locked))
    return [by_pk[pk] for pk in locked]


def _ensure_family(*children: Child) -> None:
    """Load the family of children that lack it (for the audit entry)."""
    missing = [child for child in children if not _has_family(child)]
    if missing:
        families = {
            c.pk: c.family
            for c in Child.objects.select_related("family").filter(pk__in=[c.pk for c in missing])
        }
        for child in missing:
            child.family = families[child.pk]


def _has_family(child: Child) -> bool:
    return Child.family.is_cached(child)


def _claim(key: uuid.UUID | None, action: str, by) -> bool:
    """Remember that the action with ``key`` is being carried out. False when it was already:
    the caller then does nothing. One statement, safe under concurrency."""
    if key is None:
        return True
    user = by if by is not None and by.is_authenticated else None
    return insert_or_nothing(ActionKey(key=key, action=action, user=user, at=clock.now()))


def _not_expected(child: Child, site: Site, day: date) -> ValidationError:
    return ValidationError(
        _(
            "%(child)s is not expected at %(site)s on %(day)s: no enrolment in a term running "
            "that day, or the space is closed. Ask HR to check the enrolment."
        )
        % {"child": child.name, "site": site.name, "day": day.isoformat()}
    )


def _records(child: Child, site: Site, day: date) -> tuple[AttendanceRecord | None, list]:
    """Today's record at this site and any record still open elsewhere, in one query."""
    rows = list(
        AttendanceRecord.objects.filter(
            Q(site=site, day=day) | Q(status=AttendanceStatus.PRESENT), child=child
        )
    )
    today = next((r for r in rows if r.site_id == site.pk and r.day == day), None)
    others = [r for r in rows if r is not today]
    return today, others


def _close_forgotten(record: AttendanceRecord, by) -> None:
    """Close a record left open on an earlier day: nobody recorded who collected the child."""
    hours = selectors.opening_hours(record.site_id, record.day)
    closes = hours.closes if hours else datetime.max.time().replace(microsecond=0)
    record.status = AttendanceStatus.COLLECTED
    record.checked_out_at = timezone.make_aware(datetime.combine(record.day, closes))
    record.closed_without_check_out = True
    record.updated_at = clock.now()
    record.save(
        update_fields=["status", "checked_out_at", "closed_without_check_out", "updated_at"]
    )
    audit.record(
        actor=by,
        action="attendance.closed_without_check_out",
        child=record.child,
        site=record.site_id,
        day=record.day.isoformat(),
    )


def _person_fields(prefix: str, person: Worker | Adult | None, child: Child) -> dict:
    if person is None:
        return {f"{prefix}_worker": None, f"{prefix}_adult": None, f"{prefix}_name": ""}
    if person.family_id != child.family_id:
        raise ValidationError(_("This person belongs to another family."))
    return {
        f"{prefix}_worker": person if isinstance(person, Worker) else None,
        f"{prefix}_adult": person if isinstance(person, Adult) else None,
        f"{prefix}_name": person.name,
    }


def _check_in_locked(
    *,
    site: Site,
    child: Child,
    by,
    at: datetime,
    day: date,
    dropped_off_by: Worker | Adult | None = None,
    expected: bool | None = None,
    first_of_the_day: bool = False,
    health_card: str = "",
) -> ActResult:
    if health_card == HealthCard.RED:
        raise ValidationError(_("A child with a red card is not checked in."))
    if site.health_check == HealthCheckMode.REQUIRED and not health_card:
        raise ValidationError(
            _("%(child)s: do the morning health check first (tap the child's name).")
            % {"child": child.name}
        )
    if expected is None:
        expected = selectors.is_expected(site=site, child=child, day=day)
    fields = {
        "status": AttendanceStatus.PRESENT,
        "checked_in_at": at,
        "checked_in_by": by,
        "absence_reason": "",
        "absence_note": "",
        "marked_absent_at": None,
        "marked_absent_by": None,
        "updated_at": at,
        **_person_fields("dropped_off_by", dropped_off_by, child),
    }
    if health_card:
        fields["health_card"] = health_card
    record: AttendanceRecord | None
    # Most check-ins are a child's first act of the day: try the insert straight away.
    if first_of_the_day and expected:
        record = AttendanceRecord(site=site, child=child, day=day, **fields)
        if insert_or_nothing(record):
            _checked_in(site, child, record, by, at)
            return ActResult(child, record, changed=True)
    record, others = _records(child, site, day)
    if record is not None and record.status == AttendanceStatus.PRESENT:
        return ActResult(child, record, changed=False)
    if record is not None and record.health_card == HealthCard.RED:
        # Another tablet may have given the red card meanwhile: it stands.
        raise _red_card(child)
    if record is not None and record.status == AttendanceStatus.COLLECTED:
        # The attendance_collected_has_check_out constraint: collected means checked out.
        assert record.checked_out_at is not None
        raise ValidationError(
            _(
                "%(child)s was collected at %(time)s today. To bring %(child)s back in, ask "
                "the site lead."
            )
            % {"child": child.name, "time": _local_time(record.checked_out_at)}
        )
    if not expected:
        raise _not_expected(child, site, day)
    for other in others:
        if other.day < day:
            _close_forgotten(other, by)
        else:
            raise ValidationError(
                _(
                    "%(child)s is checked in at another space since %(time)s. Check "
                    "%(child)s out there first."
                )
                % {"child": child.name, "time": _local_time(other.checked_in_at)}
            )
    if record is None:
        record = AttendanceRecord(site=site, child=child, day=day, **fields)
        db.insert(record)
    else:
        _apply(record, fields)
    _checked_in(site, child, record, by, at)
    return ActResult(child, record, changed=True)


def _red_card(child: Child) -> ValidationError:
    return ValidationError(
        _(
            "%(child)s had a red card at today's health check and is not admitted. Call the "
            "parents to take %(child)s home."
        )
        % {"child": child.name}
    )


def _checked_in(site: Site, child: Child, record: AttendanceRecord, by, at: datetime) -> None:
    """What a check-in writes besides the record: its audit entry and, for a family that
    chose it, the "arrived" message."""
    _audit(by, "attendance.checked_in", site, child, at=at.isoformat())
    notices.notify_guardians(
        site=site,
        kind=NoticeKind.ARRIVED,
        event=f"arrived:{record.pk}",
        child=child,
        person=record.dropped_off_by_name,
        at=at,
    )


def _apply(record, fields: dict) -> None:
    """Set the fields on the record and save exactly those."""
    for name, value in fields.items():
        setattr(record, name, value)
    record.save(update_fields=list(fields))


def _audit(by, action: str, site: Site, child: Child, **details) -> None:
    """The audit entry of a board act on a child at a site (in the act's transaction)."""
    audit.record(
        actor=by,
        action=action,
        factory=site.factory,
        family=child.family,
        child=child,
        site=site.pk,
        **details,
    )


# A site's change log keeps its last few hundred versions: a tablet further behind is sent
# the whole board, which it would be anyway after a few minutes away.
BOARD_CHANGES_KEPT = 500
BOARD_CHANGES_PRUNED_EVERY = 200


def advance_board(site: Site, children=None) -> int:
    """Give the site's board its next version and log which children's tiles it changes;
    ``None``: not known (the log then says the whole board). Inside the act's transaction,
    which holds the site's row from here on, so the log is written in version order."""
    seq = site.next_board_seq()
    if children is None:
        BoardChange.objects.create(site=site, seq=seq, child=None)
    else:
        changes = [BoardChange(site=site, seq=seq, child_id=pk) for pk in {c.pk for c in children}]
        if len(changes) == 1:  # a tap: without the ORM's compiler
            db.insert(changes[0])
        else:
            BoardChange.objects.bulk_create(changes)
    if seq % BOARD_CHANGES_PRUNED_EVERY == 0:
        BoardChange.objects.filter(site=site, seq__lte=seq - BOARD_CHANGES_KEPT).delete()
    return seq


def _retried(child: Child, site: Site, day: date) -> ActResult:
    """The answer to an act whose key was used already: what the child's record is now."""
    return ActResult(child, _records(child, site, day)[0], changed=False, retried=True)


@transaction.atomic
def check_in(
    *,
    site: Site,
    child: Child,
    by,
    key: uuid.UUID | None = None,
    dropped_off_by: Worker | Adult | None = None,
    at: datetime | None = None,
    health_card: str = "",
) -> ActResult:
    """Check a child in at a site: expected (or absent) → present. Done already → unchanged.
    ``health_card`` is the card of the morning health check (green or yellow), if any."""
    at = at or clock.now()
    day = timezone.localdate(at)
    _ensure_family(child)
    expected, incident = board_sql.lock_expected_child(child, site, day)
    if not _claim(key, "check_in", by):
        return _retried(child, site, day)
    result = _check_in_locked(
        site=site,
        child=child,
        by=by,
        at=at,
        day=day,
        dropped_off_by=dropped_off_by,
        expected=expected,
        first_of_the_day=True,
        health_card=health_card,
    )
    if result.changed:
        result.seq = advance_board(site, [child])
        result.incident = incident
    return result


@transaction.atomic
def check_in_many(
    *, site: Site, children, by, key: uuid.UUID | None = None, at: datetime | None = None
) -> list[ActResult]:
    """Check a group in at once. A child who cannot be checked in is reported in that
    child's result (``problems``); the others are checked in."""
    at = at or clock.now()
    day = timezone.localdate(at)
    locked = _lock_children(children)
    if not _claim(key, "check_in_many", by):
        return [_retried(child, site, day) for child in locked]
    expected_ids = selectors.expected_child_ids(
        site=site, day=day, child_ids=[c.pk for c in locked]
    )
    results = []
    for child in locked:
        try:
            with transaction.atomic():
                result = _check_in_locked(
                    site=site,
                    child=child,
                    by=by,
                    at=at,
                    day=day,
                    expected=child.pk in expected_ids,
                )
        except ValidationError as error:
            result = ActResult(child, None, changed=False, problems=error.messages)
        results.append(result)
    _versioned(site, results)
    return results


@transaction.atomic
def refuse_admission(*, site: Site, child: Child, by, at: datetime | None = None) -> ActResult:
    """A red card at the health check: the child stays expected (not counted present) and no
    tablet can check the child in today."""
    at = at or clock.now()
    day = timezone.localdate(at)
    _lock_children([child])
    record, _others = _records(child, site, day)
    if record is not None and record.status in (
        AttendanceStatus.PRESENT,
        AttendanceStatus.COLLECTED,
    ):
        raise ValidationError(
            _("%(child)s is checked in already: the health check at arrival comes before.")
            % {"child": child.name}
        )
    if record is not None and record.health_card == HealthCard.RED:
        return ActResult(child, record, changed=False)
    if not selectors.is_expected(site=site, child=child, day=day):
        raise _not_expected(child, site, day)
    fields = {"health_card": HealthCard.RED, "updated_at": at}
    if record is None:
        record = AttendanceRecord.objects.create(site=site, child=child, day=day, **fields)
    else:
        _apply(record, fields)
    _audit(by, "attendance.not_admitted", site, child, at=at.isoformat())
    # The parents are called; with their agreement to messages they are told too (once a
    # day: the record is the day's).
    notices.notify_guardians(
        site=site,
        kind=NoticeKind.HEALTH_RED_CARD,
        event=f"health_red_card:{record.pk}",
        child=child,
        person="",
        at=at,
    )
    return ActResult(child, record, changed=True, seq=advance_board(site))


def _versioned(site: Site, results: list[ActResult]) -> None:
    """Give the site its next board version if any of the results changed something."""
    changed = [result for result in results if result.changed]
    if changed:
        seq = advance_board(site, [result.child for result in changed])
        for result in changed:
            result.seq = seq


@transaction.atomic
def undo_check_in(*, site: Site, children, by, at: datetime | None = None) -> list[ActResult]:
    """Take back check-ins made in the last few seconds (site leads: at any time that day).
    Children not checked in are left as they are."""
    at = at or clock.now()
    day = timezone.localdate(at)
    results = []
    for child in _lock_children(children):
        record, _others = _records(child, site, day)
        if record is None or record.status != AttendanceStatus.PRESENT:
            results.append(ActResult(child, record, changed=False))
            continue
        # The attendance_present_has_check_in constraint: present means checked in.
        assert record.checked_in_at is not None
        late = at - record.checked_in_at > timedelta(seconds=UNDO_SECONDS)
        if late and not access.can(by, access.LEAD_SITE):
            raise ValidationError(
                _(
                    "It is too late to undo %(child)s's check-in. If %(child)s is not here, "
                    "ask the site lead to correct it."
                )
                % {"child": child.name}
            )
        fields = {
            "status": AttendanceStatus.EXPECTED,
            "checked_in_at": None,
            "checked_in_by": None,
            "dropped_off_by_worker": None,
            "dropped_off_by_adult": None,
            "dropped_off_by_name": "",
            "updated_at": at,
        }
        _apply(record, fields)
        _audit(by, "attendance.check_in_undone", site, child)
        results.append(ActResult(child, record, changed=True))
    _versioned(site, results)
    return results


def refusal_message(reason: str, name: str, child: Child) -> str:
    """What the tablet says when a pickup is refused, for each reason."""
    names = {"name": name or _("This person"), "child": child.name}
    if reason == RefusalReason.NOT_ALLOWED:
        return _("%(name)s may NOT collect %(child)s. Do not hand %(child)s over.") % names
    if reason == RefusalReason.EXPIRED:
        return (
            _(
                "%(name)s's permission to collect %(child)s is not valid today. Do not hand "
                "%(child)s over."
            )
            % names
        )
    if reason == RefusalReason.WRONG_CODE:
        return (
            _(
                "The code %(name)s gave is not their pickup code. Do not hand %(child)s over: "
                "call the parents to check."
            )
            % names
        )
    return _("%(name)s is not on %(child)s's list. Do not hand %(child)s over.") % names


def _refusal_reason(child: Child, person: Worker | Adult, day: date) -> str | None:
    """Why ``person`` may not collect ``child`` on ``day``, or None when they may."""
    if person.family_id != child.family_id:
        return RefusalReason.NOT_LISTED
    if isinstance(person, Worker):
        return None
    permission = PickupPermission.objects.filter(child=child, adult=person).first()
    if permission is None:
        return RefusalReason.NOT_LISTED
    if not permission.allowed:
        return RefusalReason.NOT_ALLOWED
    if not permission.is_valid_on(day):
        return RefusalReason.EXPIRED
    return None


# A signature drawn on the tablet: a small PNG, nothing else.
SIGNATURE_MAX_BYTES = 300_000
SIGNATURE_MAX_SIDE = 2000


def _signature_file(data: bytes) -> ContentFile:
    if len(data) > SIGNATURE_MAX_BYTES:
        raise ValidationError(_("The signature is too large. Clear it and sign again."))
    try:
        image = Image.open(io.BytesIO(data))
        if image.format != "PNG" or max(image.size) > SIGNATURE_MAX_SIDE:
            raise ValueError(image.format)
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise ValidationError(
            _("The signature could not be read. Clear it and sign again.")
        ) from error
    return ContentFile(data, name="signature.png")


def _retried_refusal(child: Child, site: Site, day: date, key: uuid.UUID | None) -> ActResult:
    """A retried act that may have been a refusal: the refusal again, with the record now."""
    result = _retried(child, site, day)
    result.refusal = RefusedPickup.objects.filter(key=key).first() if key else None
    return result


@transaction.atomic
def check_out(
    *,
    site: Site,
    child: Child,
    collector: Worker | Adult,
    by,
    key: uuid.UUID | None = None,
    incidents_acknowledged: bool = False,
    pickup_code: str = "",
    signature: bytes = b"",
    at: datetime | None = None,
) -> ActResult:
    """Hand a present child to an adult who may collect them: present → collected.

    An adult who may not collect the child is refused: the refusal is recorded and returned
    (``refusal``), the child stays present; so is one whose pickup code does not match, where
    the site asks for codes. Asks for the adult's acknowledgement of any incident not yet
    acknowledged, and for their signature where the site asks for one."""
    at = at or clock.now()
    day = timezone.localdate(at)
    (child,) = _lock_children([child])
    if not _claim(key, "check_out", by):
        return _retried_refusal(child, site, day, key)
    record = _present_record(child, site, day)
    if record is None:
        return ActResult(child, _records(child, site, day)[0], changed=False)
    reason = _refusal_reason(child, collector, day)
    if reason is None and site.pickup_code_required:
        code = pickup_code.strip()
        if not code:
            raise ValidationError(
                _("Ask %(name)s for the 4-digit pickup code on their card and type it.")
                % {"name": collector.name}
            )
        if not secrets.compare_digest(code, collector.pickup_code):
            reason = RefusalReason.WRONG_CODE
    if reason is not None:
        refusal = _record_refusal(
            site=site,
            child=child,
            record=record,
            by=by,
            key=key,
            reason=reason,
            adult=collector if isinstance(collector, Adult) else None,
            name=collector.name,
            at=at,
        )
        return ActResult(child, record, changed=False, refusal=refusal, seq=site.board_seq)
    pending = _hand_over_asks(site, child, collector.name, signature, incidents_acknowledged)
    return _hand_over(
        site=site,
        child=child,
        record=record,
        collector=collector,
        by=by,
        at=at,
        pending=pending,
        code_checked=site.pickup_code_required,
        signature=signature if site.pickup_signature else b"",
    )


def _hand_over_asks(
    site: Site, child: Child, name: str, signature: bytes, incidents_acknowledged: bool
) -> list[Incident]:
    """What a hand-over asks of the adult: a signature where the site wants one, and the
    acknowledgement of incidents not yet acknowledged (returned, locked)."""
    if site.pickup_signature and not signature:
        raise ValidationError(
            _("Ask %(name)s to sign in the box, then confirm again.") % {"name": name}
        )
    pending = list(
        Incident.objects.select_for_update().filter(
            child=child, site=site, acknowledged_at__isnull=True
        )
    )
    if pending and not incidents_acknowledged:
        raise ValidationError(
            _(
                "Tell %(name)s what happened to %(child)s today and tick that they "
                "acknowledged it, then confirm again."
            )
            % {"name": name, "child": child.name}
        )
    return pending


def _present_record(child: Child, site: Site, day: date) -> AttendanceRecord | None:
    """Today's record of a child to hand over: None when collected already (nothing to do);
    an error when the child is not checked in."""
    record, _others = _records(child, site, day)
    if record is not None and record.status == AttendanceStatus.COLLECTED:
        return None
    if record is None or record.status != AttendanceStatus.PRESENT:
        raise ValidationError(
            _("%(child)s is not checked in, so cannot be checked out.") % {"child": child.name}
        )
    return record


@transaction.atomic
def check_out_to_delegate(
    *,
    site: Site,
    child: Child,
    delegate_key: uuid.UUID,
    code: str,
    by,
    key: uuid.UUID | None = None,
    incidents_acknowledged: bool = False,
    signature: bytes = b"",
    at: datetime | None = None,
) -> ActResult:
    """Hand a present child to the adult a parent named for today, who gives the one-time
    code the parent received. A wrong code is a recorded refusal; a code works once."""
    at = at or clock.now()
    day = timezone.localdate(at)
    (child,) = _lock_children([child])
    if not _claim(key, "check_out", by):
        return _retried_refusal(child, site, day, key)
    record = _present_record(child, site, day)
    if record is None:
        return ActResult(child, _records(child, site, day)[0], changed=False)
    delegate = (
        PickupDelegate.objects.select_for_update()
        .filter(child=child, day=day, key=delegate_key, used_at__isnull=True)
        .first()
    )
    if delegate is None:
        raise ValidationError(
            _("The parents' delegate for today has changed or collected already. Look again.")
        )
    if not code.strip():
        raise ValidationError(
            _("Ask %(name)s for the one-time code the parent gave them and type it.")
            % {"name": delegate.name}
        )
    if not check_password(code.strip(), delegate.code_hash):
        refusal = _record_refusal(
            site=site,
            child=child,
            record=record,
            by=by,
            key=key,
            reason=RefusalReason.WRONG_CODE,
            adult=None,
            name=delegate.name,
            relation=delegate.relation,
            at=at,
        )
        return ActResult(child, record, changed=False, refusal=refusal, seq=site.board_seq)
    pending = _hand_over_asks(site, child, delegate.name, signature, incidents_acknowledged)
    delegate.used_at = at
    delegate.save(update_fields=["used_at"])
    return _hand_over(
        site=site,
        child=child,
        record=record,
        collector=delegate,
        by=by,
        at=at,
        pending=pending,
        code_checked=True,
        signature=signature if site.pickup_signature else b"",
    )


def _hand_over(
    *,
    site: Site,
    child: Child,
    record: AttendanceRecord,
    collector: Worker | Adult | PickupDelegate,
    by,
    at: datetime,
    pending: list[Incident],
    code_checked: bool,
    signature: bytes,
    flags: list[str] | None = None,
) -> ActResult:
    """Record the hand-over of a present child to ``collector`` (the checks made), with the
    adult's acknowledgement of ``pending`` incidents."""
    day = timezone.localdate(at)
    for incident in pending:
        incident.acknowledged_at = at
        incident.acknowledged_by_name = collector.name
        incident.acknowledged_recorded_by = by
        incident.updated_at = at
        incident.save(
            update_fields=[
                "acknowledged_at",
                "acknowledged_by_name",
                "acknowledged_recorded_by",
                "updated_at",
            ]
        )
    hours = selectors.opening_hours(site.pk, day)
    late = hours is not None and timezone.localtime(at).time() > hours.closes
    if isinstance(collector, PickupDelegate):
        person = {
            "collected_by_worker": None,
            "collected_by_adult": None,
            "collected_by_name": collector.name,
        }
        relation = collector.relation
    else:
        person = _person_fields("collected_by", collector, child)
        relation = collector.relation if isinstance(collector, Adult) else "worker"
    fields = {
        "status": AttendanceStatus.COLLECTED,
        "checked_out_at": at,
        "checked_out_by": by,
        "late": late,
        "collected_by_relation": relation,
        "updated_at": at,
        **person,
        "pickup_code_checked": code_checked,
    }
    if signature:
        fields["collector_signature"] = _signature_file(signature)
    _apply(record, fields)
    _audit(
        by,
        "attendance.checked_out",
        site,
        child,
        late=late,
        incidents_acknowledged=len(pending),
        **({"flags": flags} if flags else {}),
    )
    notices.notify_guardians(
        site=site,
        kind=NoticeKind.COLLECTED,
        event=f"collected:{record.pk}",
        child=child,
        person=collector.name,
        relation=_relation_label(collector),
        at=at,
    )
    return ActResult(
        child, record, changed=True, seq=advance_board(site, [child]), flags=list(flags or [])
    )


def _relation_label(person: Worker | Adult | PickupDelegate):
    """Who the person is to the child, still to be translated (messages go out in Chinese)."""
    if isinstance(person, Adult):
        return Relation(person.relation).label
    if isinstance(person, PickupDelegate):
        return person.relation
    return gettext_lazy("Parent")


class Flag:
    """Why a hand-over made offline would have been refused online."""

    NOT_ALLOWED = RefusalReason.NOT_ALLOWED
    EXPIRED = RefusalReason.EXPIRED
    NOT_LISTED = RefusalReason.NOT_LISTED
    WRONG_CODE = RefusalReason.WRONG_CODE
    NO_SIGNATURE = "no_signature"
    INCIDENT_NOT_TOLD = "incident_not_told"


@transaction.atomic
def check_out_as_happened(
    *,
    site: Site,
    child: Child,
    collector: Worker | Adult,
    by,
    at: datetime,
    key: uuid.UUID | None = None,
    pickup_code: str = "",
    signature: bytes = b"",
    incidents_acknowledged: bool = False,
) -> ActResult:
    """A hand-over a tablet made offline, recorded as it happened: the child has gone. What
    would have stopped it online (the lists changed since the tablet last heard, a wrong
    code, no signature, an incident not told) does not undo it; it is returned in ``flags``
    for the site lead to look at. A child collected meanwhile by another tablet is returned
    unchanged (the first hand-over stands)."""
    day = timezone.localdate(at)
    (child,) = _lock_children([child])
    if not _claim(key, "check_out", by):
        return _retried(child, site, day)
    record, _others = _records(child, site, day)
    if record is None or record.status != AttendanceStatus.PRESENT:
        return ActResult(child, record, changed=False)
    flags = []
    reason = _refusal_reason(child, collector, day)
    if reason is not None:
        flags.append(reason)
    code_checked = bool(pickup_code.strip())
    if site.pickup_code_required and not secrets.compare_digest(
        pickup_code.strip(), collector.pickup_code
    ):
        flags.append(Flag.WRONG_CODE)
        code_checked = False
    if site.pickup_signature and not signature:
        flags.append(Flag.NO_SIGNATURE)
    pending = list(
        Incident.objects.select_for_update().filter(
            child=child, site=site, acknowledged_at__isnull=True
        )
    )
    if pending and not incidents_acknowledged:
        flags.append(Flag.INCIDENT_NOT_TOLD)
        pending = []
    return _hand_over(
        site=site,
        child=child,
        record=record,
        collector=collector,
        by=by,
        at=at,
        pending=pending,
        code_checked=code_checked,
        signature=signature,
        flags=flags,
    )


@transaction.atomic
def check_in_earlier(*, record: AttendanceRecord, at: datetime, by) -> AttendanceRecord:
    """Two tablets checked a child in, one of them offline: the earliest time stands."""
    record = AttendanceRecord.objects.select_for_update().get(pk=record.pk)
    if record.checked_in_at is not None and at < record.checked_in_at:
        was = record.checked_in_at
        _apply(record, {"checked_in_at": at, "updated_at": clock.now()})
        _audit(
            by,
            "attendance.check_in_time_corrected",
            record.site,
            record.child,
            was=was.isoformat(),
            now=at.isoformat(),
        )
        advance_board(record.site)
    return record


def _record_refusal(
    *,
    site: Site,
    child: Child,
    record: AttendanceRecord | None,
    by,
    key: uuid.UUID | None,
    reason: str,
    adult: Adult | None,
    name: str,
    at: datetime,
    relation: str = "",
    note: str = "",
) -> RefusedPickup:
    refusal = RefusedPickup.objects.create(
        site=site,
        child=child,
        attendance=record,
        key=key,
        day=timezone.localdate(at),
        at=at,
        by=by,
        adult=adult,
        name=(name or (adult.name if adult else "")).strip()[:50],
        relation=relation.strip()[:50],
        reason=reason,
        note=note.strip()[:200],
    )
    if record is not None:
        record.updated_at = at
        record.save(update_fields=["updated_at"])
    _audit(by, "attendance.pickup_refused", site, child, reason=reason)
    notices.notify_guardians(
        site=site,
        kind=NoticeKind.PICKUP_REFUSED,
        event=f"refused:{refusal.pk}",
        child=child,
        person=refusal.name or gettext_lazy("Someone"),
        relation=refusal.relation,
        at=at,
    )
    advance_board(site)
    return refusal


@transaction.atomic
def refuse_pickup(
    *,
    site: Site,
    child: Child,
    by,
    reason: str,
    key: uuid.UUID | None = None,
    adult: Adult | None = None,
    name: str = "",
    relation: str = "",
    note: str = "",
    at: datetime | None = None,
) -> ActResult:
    """Record that someone came for a child and was not given the child. A retry of the
    same act (same key) records nothing and answers with the refusal recorded first."""
    at = at or clock.now()
    day = timezone.localdate(at)
    if reason not in RefusalReason.values:
        raise ValidationError(_("Choose why the pickup was refused."))
    (child,) = _lock_children([child])
    if not _claim(key, "refuse_pickup", by):
        return _retried_refusal(child, site, day, key)
    if adult is not None and adult.family_id != child.family_id:
        adult = None
    record, _others = _records(child, site, day)
    refusal = _record_refusal(
        site=site,
        child=child,
        record=record,
        by=by,
        key=key,
        reason=reason,
        adult=adult,
        name=name,
        relation=relation,
        note=note,
        at=at,
    )
    return ActResult(child, record, changed=False, refusal=refusal, seq=site.board_seq)


@transaction.atomic
def mark_absent(
    *,
    site: Site,
    child: Child,
    reason: str,
    by,
    note: str = "",
    key: uuid.UUID | None = None,
    at: datetime | None = None,
) -> ActResult:
    """Mark an expected child absent, with a reason (ill, with family, unknown)."""
    at = at or clock.now()
    day = timezone.localdate(at)
    if reason not in dict(AbsenceReason.carers_choices()):
        raise ValidationError(_("Choose a reason: ill, with family or unknown."))
    (child,) = _lock_children([child])
    if not _claim(key, "mark_absent", by):
        return _retried(child, site, day)
    if not selectors.is_expected(site=site, child=child, day=day):
        _absent_record(child, site, day)  # checked in already: that error comes first
        raise _not_expected(child, site, day)
    record = _mark_absent(child, site, day, reason=reason, note=note, at=at, by=by)
    _audit(
        by,
        "attendance.absent",
        site,
        child,
        reason=reason,
    )
    return ActResult(child, record, changed=True, seq=advance_board(site, [child]))


def _absent_record(child: Child, site: Site, day: date) -> AttendanceRecord | None:
    """The child's record of ``day``, which may become absent (not when checked in)."""
    record, _others = _records(child, site, day)
    if record is not None and record.status in (
        AttendanceStatus.PRESENT,
        AttendanceStatus.COLLECTED,
    ):
        raise ValidationError(
            _("%(child)s has been checked in today, so cannot be absent.") % {"child": child.name}
        )
    return record


def _mark_absent(
    child: Child, site: Site, day: date, *, reason: str, note: str, at: datetime, by
) -> AttendanceRecord:
    record = _absent_record(child, site, day)
    fields = {
        "status": AttendanceStatus.ABSENT,
        "absence_reason": reason,
        "absence_note": note.strip()[:200],
        "marked_absent_at": at,
        "marked_absent_by": by,
        "updated_at": at,
    }
    if record is None:
        return AttendanceRecord.objects.create(site=site, child=child, day=day, **fields)
    _apply(record, fields)
    return record


@transaction.atomic
def clear_absence(*, site: Site, child: Child, by, at: datetime | None = None) -> ActResult:
    """The child is not absent after all: absent → expected."""
    at = at or clock.now()
    (child,) = _lock_children([child])
    record, _others = _records(child, site, timezone.localdate(at))
    if record is None or record.status != AttendanceStatus.ABSENT:
        return ActResult(child, record, changed=False)
    fields = {
        "status": AttendanceStatus.EXPECTED,
        "absence_reason": "",
        "absence_note": "",
        "marked_absent_at": None,
        "marked_absent_by": None,
        "updated_at": at,
    }
    _apply(record, fields)
    _audit(by, "attendance.absence_cleared", site, child)
    return ActResult(child, record, changed=True, seq=advance_board(site, [child]))


def _check_informed(at: datetime | None, informed_by: str, how: str, now: datetime) -> None:
    if at is None:
        return
    if not informed_by.strip():
        raise ValidationError(
            {"parent_informed_by": _("Say who informed the parent, or leave the time empty.")}
        )
    if at > now + timedelta(minutes=5):
        raise ValidationError({"parent_informed_at": _("This time is in the future.")})
    if how and how not in InformedHow.values:
        raise ValidationError({"parent_informed_how": _("Choose how the parent was informed.")})


@transaction.atomic
def report_incident(
    *,
    site: Site,
    child: Child,
    by,
    kind: str,
    occurred_at: datetime,
    description: str,
    action_taken: str,
    key: uuid.UUID | None = None,
    parent_informed_at: datetime | None = None,
    parent_informed_by: str = "",
    parent_informed_how: str = "",
) -> Incident | None:
    """Record an injury, illness or behaviour incident during care. None when this report
    (same key) was recorded already."""
    now = clock.now()
    if kind not in IncidentKind.values:
        raise ValidationError({"kind": _("Choose injury, illness or behaviour.")})
    if occurred_at > now + timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("This time is in the future.")})
    if not description.strip():
        raise ValidationError({"description": _("Describe what happened.")})
    if not action_taken.strip():
        raise ValidationError(
            {"action_taken": _("Describe the first aid or action taken, or write “none”.")}
        )
    _check_informed(parent_informed_at, parent_informed_by, parent_informed_how, now)
    (child,) = _lock_children([child])
    if not _claim(key, "report_incident", by):
        return None
    day = timezone.localdate(occurred_at)
    record, _others = _records(child, site, day)
    if record is None or record.checked_in_at is None:
        raise ValidationError(
            _(
                "%(child)s was not checked in at %(site)s on %(day)s. Check the date and "
                "time of the incident."
            )
            % {"child": child.name, "site": site.name, "day": day.isoformat()}
        )
    incident = Incident.objects.create(
        site=site,
        child=child,
        kind=kind,
        occurred_at=occurred_at,
        description=description.strip(),
        action_taken=action_taken.strip(),
        parent_informed_at=parent_informed_at,
        parent_informed_by=parent_informed_by.strip() if parent_informed_at else "",
        parent_informed_how=parent_informed_how if parent_informed_at else "",
        reported_at=now,
        reported_by=by,
        updated_at=now,
    )
    record.updated_at = now
    record.save(update_fields=["updated_at"])
    # The audit trail names the kind, never the medical details.
    _audit(
        by,
        "incident.reported",
        site,
        child,
        kind=kind,
        incident=str(incident.key),
    )
    # Which kind of incident, never what happened: the details are told at pickup.
    notices.notify_guardians(
        site=site,
        kind=NoticeKind.INCIDENT,
        event=f"incident:{incident.key}",
        child=child,
        person=IncidentKind(kind).label,
        at=occurred_at,
    )
    # The child's tile shows the incident.
    advance_board(site)
    return incident


@transaction.atomic
def incident_parent_informed(
    *, incident: Incident, by, at: datetime, informed_by: str, how: str = ""
) -> Incident:
    """Record that the parent was told, when and by whom (after the report)."""
    _check_informed(at, informed_by, how, clock.now())
    if at is None:
        raise ValidationError({"parent_informed_at": _("Give the time the parent was informed.")})
    incident = (
        Incident.objects.select_for_update().select_related("child__family").get(pk=incident.pk)
    )
    incident.parent_informed_at = at
    incident.parent_informed_by = informed_by.strip()
    incident.parent_informed_how = how
    incident.updated_at = clock.now()
    incident.save(
        update_fields=[
            "parent_informed_at",
            "parent_informed_by",
            "parent_informed_how",
            "updated_at",
        ]
    )
    audit.record(
        actor=by,
        action="incident.parent_informed",
        child=incident.child,
        incident=str(incident.key),
    )
    return incident


@transaction.atomic
def review_incident(*, incident: Incident, by, note: str = "") -> Incident:
    """The site lead has read the report (and may add a note)."""
    if not access.can(by, access.LEAD_SITE):
        raise ValidationError(_("Only the site lead reviews incidents."))
    incident = (
        Incident.objects.select_for_update().select_related("child__family").get(pk=incident.pk)
    )
    now = clock.now()
    incident.reviewed_at = now
    incident.reviewed_by = by
    incident.review_note = note.strip()
    incident.updated_at = now
    incident.save(update_fields=["reviewed_at", "reviewed_by", "review_note", "updated_at"])
    audit.record(
        actor=by, action="incident.reviewed", child=incident.child, incident=str(incident.key)
    )
    return incident


def close_forgotten_check_outs(*, before: date) -> int:
    """Close records left open on days before ``before`` (the nightly job). Returns how many."""
    closed = 0
    open_ids = AttendanceRecord.objects.filter(
        status=AttendanceStatus.PRESENT, day__lt=before
    ).values_list("pk", flat=True)
    for pk in list(open_ids):
        with transaction.atomic():
            record = (
                AttendanceRecord.objects.select_for_update(of=("self",))
                .select_related("child__family__factory")
                .get(pk=pk)
            )
            if record.status == AttendanceStatus.PRESENT:
                _close_forgotten(record, None)
                closed += 1
    return closed


def forget_action_keys(*, before: datetime) -> int:
    """Forget action keys older than any retry could be."""
    deleted, _details = ActionKey.objects.filter(at__lt=before).delete()
    return deleted


# Emergency roll call -----------------------------------------------------------------------


# What tells the leads and coordinators about a roll call once it is committed: the view
# passes the task that e-mails them (``tell(roll_call_id, "started" or "ended")``).
Tell = Callable[[int, str], object]


def roll_call_start(
    *,
    site: Site,
    kind: str,
    by,
    key: uuid.UUID | None = None,
    at: datetime | None = None,
    tell: Tell | None = None,
) -> tuple[RollCall, bool]:
    """Start a roll call of everyone in the space now: the children present and the staff
    on duty, each in the group to look in. A roll call already open at the site is joined
    instead (returned with False), whoever started it."""
    if kind not in RollCallKind.values:
        raise ValidationError(_("Choose a drill or an emergency."))
    at = at or clock.now()
    with transaction.atomic():
        roll_call = RollCall(key=key or uuid.uuid4(), site=site, kind=kind, started_at=at)
        roll_call.started_by = by if by is not None and by.is_authenticated else None
        if not insert_or_nothing(roll_call):
            return RollCall.objects.get(site=site, ended_at__isnull=True), False
        day = timezone.localdate(at)
        present = [
            record.child
            for record in AttendanceRecord.objects.filter(
                site=site, day=day, status=AttendanceStatus.PRESENT
            )
            .select_related("child")
            .order_by("child__name_pinyin")
        ]
        groups = selectors.child_groups(site, day, present)
        entries = [
            RollCallEntry(roll_call=roll_call, child=child, name=child.name, group=groups[child.pk])
            for child in present
        ]
        staff_group = _("Staff on duty")
        entries += [
            RollCallEntry(roll_call=roll_call, staff=period.user, name=str(period.user)[:50])
            for period in DutyPeriod.objects.filter(site=site, clock_out_at__isnull=True)
            .select_related("user")
            .order_by("user__last_name", "user__first_name")
        ]
        for entry in entries:
            if entry.staff_id:
                entry.group = staff_group
        RollCallEntry.objects.bulk_create(entries)
        audit.record(
            actor=by,
            action="roll_call.started",
            factory=site.factory,
            site=site.pk,
            kind=kind,
            people=len(entries),
        )
        if tell is not None:
            transaction.on_commit(lambda: tell(roll_call.pk, "started"))
    return roll_call, True


@transaction.atomic
def roll_call_mark(
    *, entry: RollCallEntry, accounted: bool, by, at: datetime | None = None
) -> RollCallEntry:
    """Mark a person accounted for (or take it back). The same mark twice changes nothing:
    the answer says how it stands. Marks of one roll call are taken one at a time, each with
    the roll call's next version."""
    roll_call = RollCall.objects.select_for_update().get(pk=entry.roll_call_id)
    if roll_call.ended_at is not None:
        raise ValidationError(_("This roll call has ended."))
    entry = RollCallEntry.objects.get(pk=entry.pk)
    if accounted and entry.accounted_at is None:
        entry.accounted_at = at or clock.now()
        entry.accounted_by = by
    elif not accounted and entry.accounted_at is not None:
        entry.accounted_at = None
        entry.accounted_by = None
    else:
        return entry
    entry.save(update_fields=["accounted_at", "accounted_by"])
    roll_call.seq += 1
    roll_call.save(update_fields=["seq"])
    return entry


@transaction.atomic
def roll_call_end(
    *,
    roll_call: RollCall,
    by,
    note: str = "",
    at: datetime | None = None,
    tell: Tell | None = None,
) -> RollCall:
    """End a roll call, whoever is still missing (they stay missing in its log)."""
    roll_call = RollCall.objects.select_for_update().get(pk=roll_call.pk)
    if roll_call.ended_at is not None:
        return roll_call
    roll_call.ended_at = max(at or clock.now(), roll_call.started_at)
    roll_call.ended_by = by
    roll_call.note = note.strip()[:300]
    roll_call.seq += 1
    roll_call.save(update_fields=["ended_at", "ended_by", "note", "seq"])
    missing = roll_call.entries.filter(accounted_at__isnull=True).count()
    audit.record(
        actor=by,
        action="roll_call.ended",
        factory=roll_call.site.factory,
        site=roll_call.site_id,
        missing=missing,
    )
    if tell is not None:
        transaction.on_commit(lambda: tell(roll_call.pk, "ended"))
    return roll_call


# What a parent does on their page -------------------------------------------------------


def _own_child(guardian: Worker, child: Child) -> None:
    if guardian.family_id is None or child.family_id != guardian.family_id:
        raise ValidationError(_("This child is not in your family."))


@transaction.atomic
def report_absence(
    *, guardian: Worker, child: Child, day: date, note: str = "", at: datetime | None = None
) -> AttendanceRecord:
    """A parent says ahead that their child will not come on ``day`` (today or later): the
    board shows the child absent, on leave as the parent reported."""
    at = at or clock.now()
    _own_child(guardian, child)
    if day < timezone.localdate(at):
        raise ValidationError(_("Choose today or a later day."))
    site = selectors.site_expecting(child, day)
    if site is None:
        raise ValidationError(
            _("%(child)s is not expected at the space that day.") % {"child": child.name}
        )
    (child,) = _lock_children([child])
    record = _mark_absent(child, site, day, reason=AbsenceReason.PARENT, note=note, at=at, by=None)
    _audit(None, "attendance.absence_reported_by_parent", site, child, day=day.isoformat())
    advance_board(site)
    return record


@transaction.atomic
def acknowledge_incident_by_parent(
    *, guardian: Worker, incident: Incident, at: datetime | None = None
) -> bool:
    """A parent read about an incident on their page and says so: acknowledged, as at a
    hand-over, in the parent's name (the hand-over then does not ask again). False when it
    was acknowledged already."""
    at = at or clock.now()
    child = incident.child
    _own_child(guardian, child)
    acknowledged = Incident.objects.filter(pk=incident.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=at, acknowledged_by_name=guardian.name, updated_at=at
    )
    if acknowledged:
        _audit(None, "incident.acknowledged_by_parent", incident.site, child, guardian=guardian.pk)
        advance_board(incident.site)
    return bool(acknowledged)


# A delegate's one-time code: six digits, told once.
DELEGATE_CODE_DIGITS = 6


@transaction.atomic
def name_delegate(
    *,
    guardian: Worker,
    child: Child,
    name: str,
    relation: str,
    mobile: str,
    at: datetime | None = None,
) -> tuple[PickupDelegate, str]:
    """A parent names an adult to collect their child today. Returns the delegate and the
    one-time code (kept only as a hash), which is also sent to the delegate's mobile. Naming
    someone else replaces the earlier delegate."""
    at = at or clock.now()
    day = timezone.localdate(at)
    _own_child(guardian, child)
    if not name.strip() or not relation.strip():
        raise ValidationError(_("Give the name of the person and who they are to the child."))
    validate_mobile(mobile)
    site = selectors.site_expecting(child, day)
    if site is None:
        raise ValidationError(
            _("%(child)s is not expected at the space today.") % {"child": child.name}
        )
    (child,) = _lock_children([child])
    code = f"{secrets.randbelow(10**DELEGATE_CODE_DIGITS):0{DELEGATE_CODE_DIGITS}d}"
    PickupDelegate.objects.filter(child=child, day=day).delete()
    delegate = PickupDelegate.objects.create(
        child=child,
        day=day,
        name=name.strip()[:50],
        relation=relation.strip()[:30],
        mobile=mobile,
        code_hash=make_password(code),
        named_by=guardian,
        named_at=at,
    )
    _audit(None, "attendance.delegate_named", site, child, guardian=guardian.pk)
    notices.notify_delegate(
        event=f"delegate:{delegate.key}",
        site=site,
        child=child,
        parent=guardian,
        mobile=mobile,
        code=code,
    )
    advance_board(site)
    return delegate, code
