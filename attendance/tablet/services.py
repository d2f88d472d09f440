"""Every write about the shared tablets: registering and revoking them, unlocking one with a
staff PIN. Each write is one transaction with its audit entry."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance import selectors as board_selectors
from attendance import services as attendance_services
from attendance.models import (
    AttendanceRecord,
    AttendanceStatus,
    RefusalReason,
    RollCallEntry,
)
from attendance.tablet.models import OfflineAct, OfflineActKind, OfflineOutcome, Tablet
from attendance.tablet.selectors import unlock_candidates
from enrollment.models import Adult, Child, Site
from ffs_portal import audit
from ffs_portal.lib import clock, throttle
from ffs_portal.models import AuditEntry, User
from staff import services as staff_services

# Wrong PINs typed on one tablet before it stops taking PINs for a while (a child playing
# with the pad must not lock every worker out; someone trying PINs must be slowed down).
DEVICE_PIN_FAILURES = 10
DEVICE_PIN_WINDOW = timedelta(minutes=10)
# How often a tablet's "last seen" is written, at most.
SEEN_EVERY = timedelta(minutes=1)


def _audit(tablet: Tablet, by, action: str, **details) -> None:
    audit.record(
        actor=by,
        action=action,
        factory=tablet.site.factory,
        site=tablet.site_id,
        tablet=tablet.name,
        device=str(tablet.key),
        **details,
    )


@transaction.atomic
def tablet_register(*, site: Site, name: str, by) -> Tablet:
    """Make a browser one of ``site``'s shared tablets; the view gives it the cookie."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the tablet a name, e.g. 小班 平板.")})
    if Tablet.objects.filter(site=site, name=name, revoked_at__isnull=True).exists():
        raise ValidationError(
            {"name": _("This space has a tablet called %(name)s already.") % {"name": name}}
        )
    tablet = Tablet.objects.create(site=site, name=name, registered_by=by)
    _audit(tablet, by, "tablet.registered")
    return tablet


@transaction.atomic
def tablet_revoke(*, tablet: Tablet, by) -> Tablet:
    """A lost or retired tablet: its cookie stops working at once (the next request of a
    session on it is signed out)."""
    tablet = Tablet.objects.select_for_update().get(pk=tablet.pk)
    if tablet.revoked_at is None:
        tablet.revoked_at = clock.now()
        tablet.revoked_by = by
        tablet.save(update_fields=["revoked_at", "revoked_by"])
        _audit(tablet, by, "tablet.revoked")
    return tablet


@transaction.atomic
def site_tablet_settings_save(
    *,
    site: Site,
    by,
    tablet_lock_minutes: int,
    pickup_code_required: bool,
    pickup_signature: bool,
    health_check: str | None = None,
    not_arrived_minutes: int | None = None,
) -> Site:
    """The site lead's choices for the site's tablets, the health check at arrival and when
    parents hear a child has not arrived (each unchanged when not given)."""
    site.tablet_lock_minutes = tablet_lock_minutes
    if not_arrived_minutes is not None:
        site.not_arrived_minutes = not_arrived_minutes
    site.pickup_code_required = pickup_code_required
    site.pickup_signature = pickup_signature
    if health_check:
        site.health_check = health_check
    site.full_clean(validate_unique=False)
    site.save(
        update_fields=[
            "tablet_lock_minutes",
            "pickup_code_required",
            "pickup_signature",
            "health_check",
            "not_arrived_minutes",
        ]
    )
    audit.record(
        actor=by,
        action="site.tablet_settings_changed",
        factory=site.factory,
        site=site.pk,
        lock_minutes=tablet_lock_minutes,
        pickup_code=pickup_code_required,
        signature=pickup_signature,
        health_check=site.health_check,
        not_arrived_minutes=site.not_arrived_minutes,
    )
    return site


def tablet_seen(tablet: Tablet) -> None:
    now = clock.now()
    if tablet.last_seen_at is None or now - tablet.last_seen_at >= SEEN_EVERY:
        Tablet.objects.filter(pk=tablet.pk).update(last_seen_at=now)
        tablet.last_seen_at = now


def _device_key(tablet: Tablet) -> str:
    return f"tablet-pin:{tablet.pk}"


def tablet_unlock(*, tablet: Tablet, person: str, pin: str) -> User:
    """The person who unlocks ``tablet`` with their PIN: someone on its site's staff, with
    the right PIN, neither they nor the tablet paused for too many wrong PINs. Every
    refusal is recorded (outside any transaction: a refusal must stay counted)."""
    if (cache.get(_device_key(tablet)) or 0) >= DEVICE_PIN_FAILURES:
        _audit(tablet, None, "tablet.pin_refused", person="", why="device_paused")
        raise ValidationError(
            _(
                "Too many wrong PINs on this tablet. It takes PINs again in a few minutes; "
                "a worker can sign in with their password meanwhile."
            )
        )
    user = unlock_candidates(tablet.site).filter(pk=person if str(person).isdigit() else 0).first()
    if user is None:
        # Someone not on this space's staff: the same answer as a wrong PIN.
        _wrong_pin(tablet, None, "not_staff")
        raise ValidationError(_("Wrong PIN."))
    try:
        staff_services.pin_check(staff_services.profile_for(user), pin)
    except ValidationError:
        _wrong_pin(tablet, user, "wrong_pin")
        raise
    _audit(tablet, user, "tablet.unlocked")
    return user


def _wrong_pin(tablet: Tablet, user, why: str) -> None:
    """Record a wrong PIN and count it against the tablet."""
    _audit(tablet, None, "tablet.pin_refused", person=user.username if user else "", why=why)
    throttle.allow(_device_key(tablet), limit=DEVICE_PIN_FAILURES, window=DEVICE_PIN_WINDOW)


def tablet_locked(*, tablet: Tablet, user, idle: bool) -> None:
    _audit(tablet, user, "tablet.locked", idle=idle)


# Acts made offline -------------------------------------------------------------------------

# An act older than this when it arrives is not applied: the site lead is asked to look.
OLDEST_OFFLINE_ACT = timedelta(hours=48)
# A tablet clock off by more than this is shown to the site lead.
CLOCK_SKEW_SHOWN = timedelta(minutes=5)


@dataclass
class OfflineActIn:
    """An act as the tablet sends it (checked by the view before any is applied)."""

    key: uuid.UUID
    kind: str
    child: uuid.UUID | None
    by: int
    device_time: datetime
    data: dict


@dataclass
class Replayed:
    key: uuid.UUID
    outcome: str
    message: str
    child: uuid.UUID | None = None
    status: str | None = None
    seq: int | None = None


def replay(
    *,
    tablet: Tablet,
    acts: list[OfflineActIn],
    sent_at: datetime,
    tell: Callable[[int], object] | None = None,
) -> list[Replayed]:
    """Apply, in their order, the acts a tablet made while it could not reach the portal.
    Each is applied once (its key), as it happened on the tablet (its time corrected by how
    far the tablet's clock was off), and answered: applied, already done, a conflict (shown
    to the site lead, never overwriting what another tablet did) or refused. ``tell`` is
    given the id of an act the site lead must hear about at once."""
    arrived = clock.now()
    skew = arrived - sent_at
    return [_replay_one(tablet, act, arrived, skew, tell) for act in acts]


def _replay_one(tablet, act: OfflineActIn, arrived, skew, tell) -> Replayed:
    done = OfflineAct.objects.filter(key=act.key).select_related("child").first()
    if done is not None:
        if done.tablet_id != tablet.pk:
            return Replayed(
                act.key, OfflineOutcome.REFUSED, _("This act came from another tablet.")
            )
        return _answer(done)
    happened = min(act.device_time + skew, arrived)
    row = OfflineAct(
        key=act.key,
        tablet=tablet,
        site=tablet.site,
        kind=act.kind,
        device_time=act.device_time,
        happened_at=happened,
        arrived_at=arrived,
        skew_seconds=int(skew.total_seconds()),
        needs_review=abs(skew) > CLOCK_SKEW_SHOWN,
    )
    try:
        with transaction.atomic():
            row.by = _offline_user(tablet, act.by, happened)
            row.child = _offline_child(tablet.site, act.child, happened) if act.child else None
            if arrived - happened > OLDEST_OFFLINE_ACT:
                raise ValidationError(
                    _(
                        "This act was made more than two days ago and was not applied. The "
                        "site lead checks the day's records by hand."
                    )
                )
            row.outcome, row.message, flagged = _apply_offline(row, act.data)
            row.needs_review = row.needs_review or flagged or row.outcome == OfflineOutcome.CONFLICT
            row.save()
    except ValidationError as error:
        row.outcome = OfflineOutcome.REFUSED
        row.message = " ".join(error.messages)[:300]
        row.needs_review = True
        row.save()
        flagged = False
    if flagged and tell is not None:
        transaction.on_commit(lambda: tell(row.pk))
    return _answer(row)


def _offline_user(tablet: Tablet, user_id: int, happened: datetime) -> User:
    """The worker who made the act: on the site's staff, and who unlocked this very tablet
    with their PIN the same day (only they can unlock it offline)."""
    user = unlock_candidates(tablet.site).filter(pk=user_id).first()
    unlocked = AuditEntry.objects.filter(
        action="tablet.unlocked",
        actor_id=user_id,
        details__device=str(tablet.key),
        at__date=timezone.localdate(happened),
    )
    if user is None or not unlocked.exists():
        raise ValidationError(
            _("The person who made this act had not unlocked this tablet that day.")
        )
    return user


def _offline_child(site: Site, key: uuid.UUID, happened: datetime) -> Child:
    child = (
        Child.objects.select_related("family__factory")
        .filter(key=key, enrollments__term__site=site)
        .distinct()
        .first()
    )
    if child is None:
        raise ValidationError(_("This child is not on this space's list."))
    return child


def _apply_offline(row: OfflineAct, data: dict) -> tuple[str, str, bool]:
    """Carry one act out; its outcome, what to say of it, and whether the lead must hear
    of it at once."""
    site, child, by, at, key = row.site, row.child, row.by, row.happened_at, row.key
    if row.kind == OfflineActKind.ROLL_CALL_MARK:
        entry = RollCallEntry.objects.filter(
            key=str(data.get("entry", "")),
            roll_call__key=str(data.get("roll_call", "")),
            roll_call__site=site,
        ).first()
        if entry is None:
            raise ValidationError(_("This roll call is not one of this space's."))
        attendance_services.roll_call_mark(
            entry=entry, accounted=bool(data.get("accounted")), by=by, at=at
        )
        return OfflineOutcome.APPLIED, "", False
    assert child is not None
    if row.kind == OfflineActKind.CHECK_IN:
        result = attendance_services.check_in(
            site=site,
            child=child,
            by=by,
            key=key,
            at=at,
            dropped_off_by=board_selectors.family_person(child, data.get("dropped_off_by", "")),
        )
        if result.changed or result.retried:
            return OfflineOutcome.APPLIED, "", False
        if result.record is not None:
            attendance_services.check_in_earlier(record=result.record, at=at, by=by)
        return OfflineOutcome.DONE, _("Another tablet had checked this child in."), False
    if row.kind == OfflineActKind.CHECK_OUT:
        collector = board_selectors.family_person(child, data.get("collector", ""))
        if collector is None:
            raise ValidationError(_("The adult chosen is not one of this family's."))
        result = attendance_services.check_out_as_happened(
            site=site,
            child=child,
            collector=collector,
            by=by,
            at=at,
            key=key,
            pickup_code=str(data.get("pickup_code", "")),
            incidents_acknowledged=bool(data.get("acknowledged")),
        )
        if result.retried:
            return OfflineOutcome.APPLIED, "", False
        if not result.changed:
            return (
                OfflineOutcome.CONFLICT,
                _("Another tablet had recorded who collected this child: that record stands."),
                False,
            )
        if result.flags:
            return OfflineOutcome.CONFLICT, _flag_words(result.flags, collector.name), True
        return OfflineOutcome.APPLIED, "", False
    if row.kind == OfflineActKind.REFUSAL:
        adult = board_selectors.family_person(child, f"adult:{data.get('adult', '')}")
        attendance_services.refuse_pickup(
            site=site,
            child=child,
            by=by,
            key=key,
            at=at,
            reason=data.get("reason", RefusalReason.NOT_LISTED),
            adult=adult if isinstance(adult, Adult) else None,
            name=str(data.get("name", ""))[:50],
            relation=str(data.get("relation", ""))[:50],
        )
        return OfflineOutcome.APPLIED, "", False
    if row.kind == OfflineActKind.ABSENCE:
        try:
            attendance_services.mark_absent(
                site=site,
                child=child,
                by=by,
                key=key,
                at=at,
                reason=data.get("reason", ""),
                note=str(data.get("note", ""))[:200],
            )
        except ValidationError as error:
            return OfflineOutcome.CONFLICT, " ".join(error.messages), False
        return OfflineOutcome.APPLIED, "", False
    attendance_services.report_incident(
        site=site,
        child=child,
        by=by,
        key=key,
        kind=data.get("kind", ""),
        occurred_at=at,
        description=str(data.get("description", ""))[:2000],
        action_taken=str(data.get("action_taken", ""))[:2000],
    )
    return OfflineOutcome.APPLIED, "", False


def _flag_words(flags: list[str], name: str) -> str:
    words = {
        RefusalReason.NOT_ALLOWED: _("%(name)s is on the not-allowed list."),
        RefusalReason.EXPIRED: _("%(name)s's permission was not valid that day."),
        RefusalReason.NOT_LISTED: _("%(name)s is not on the list of adults who may collect."),
        RefusalReason.WRONG_CODE: _("The pickup code was not %(name)s's."),
        attendance_services.Flag.NO_SIGNATURE: _("%(name)s did not sign."),
        attendance_services.Flag.INCIDENT_NOT_TOLD: _("%(name)s was not told of an incident."),
    }
    said = " ".join(str(words[flag]) % {"name": name} for flag in flags if flag in words)
    return (_("Handed over while offline, though: %(why)s") % {"why": said})[:300]


def _answer(row: OfflineAct) -> Replayed:
    record = None
    if row.child_id is not None:
        record = (
            AttendanceRecord.objects.filter(
                child_id=row.child_id, site=row.site, day=timezone.localdate(row.happened_at)
            )
            .only("status")
            .first()
        )
    return Replayed(
        key=row.key,
        outcome=row.outcome,
        message=row.message,
        child=row.child.key if row.child is not None else None,
        status=record.status if record else (AttendanceStatus.EXPECTED if row.child_id else None),
    )


@transaction.atomic
def offline_act_reviewed(*, act: OfflineAct, by) -> OfflineAct:
    act = OfflineAct.objects.select_for_update().get(pk=act.pk)
    if act.reviewed_at is None:
        act.reviewed_at = clock.now()
        act.reviewed_by = by
        act.save(update_fields=["reviewed_at", "reviewed_by"])
        _audit(act.tablet, by, "tablet.offline_act_reviewed", act=str(act.key))
    return act
