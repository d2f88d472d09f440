"""Anonymising children's data: one child at a time, in its own transaction, audited without
a name; the nightly run over every child due, claimed once per day."""

import json
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.health.models import HealthCheck, MedicineAuthorisation
from attendance.models import (
    AttendanceRecord,
    Incident,
    PickupDelegate,
    RefusedPickup,
    RollCallEntry,
)
from attendance.tablet.models import OfflineAct
from enrollment.models import (
    ACTIVE_ENROLLMENT_STATUSES,
    Adult,
    Child,
    Consent,
    Enrollment,
    EnrollmentStatus,
    Family,
    PickupPermission,
    Worker,
    new_card_code,
    new_card_token,
    new_pickup_code,
)
from enrollment.training.models import SessionFeedback
from ffs_portal import audit
from ffs_portal.models import AuditEntry
from ffs_portal.notices.models import Notice, ParentLink
from ffs_portal.outcomes.models import ParentSurvey
from ffs_portal.retention.models import (
    ChildOnFile,
    RetentionHold,
    RetentionRun,
    RunStatus,
    RunTrigger,
)

logger = logging.getLogger(__name__)

# What stands in for a name or a free text once anonymised. Stored, so lists show it as it
# is; Chinese, the portal's first language.
CHILD_PLACEHOLDER = "匿名儿童"
ADULT_PLACEHOLDER = "匿名成人"
PARENT_PLACEHOLDER = "匿名家长"
REMOVED = "已匿名"
# An anonymised worker keeps a well-formed mobile (the table requires one) that no phone
# has: mainland mobiles never start with 100.
NO_MOBILE_PREFIX = "100"

LEASE = timedelta(hours=2)


@dataclass
class Anonymised:
    """What anonymising one child did."""

    child: Child
    family_too: bool
    already: bool = False
    # The reason as recorded: without any name or number it held.
    reason: str = ""


@dataclass
class RunReport:
    children: int = 0
    families: int = 0
    held: int = 0
    failed: int = 0
    factories: dict = field(default_factory=dict)
    held_keys: list = field(default_factory=list)
    failed_keys: list = field(default_factory=list)

    def count(self, factory_id: int, what: str) -> None:
        line = self.factories.setdefault(str(factory_id), {"children": 0, "families": 0, "held": 0})
        line[what] += 1


def _scrub_text(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REMOVED)
    return text


def _scrub_json(value, secrets: list[str]):
    """The same JSON with every secret replaced, in keys and values at any depth."""
    return json.loads(_scrub_text(json.dumps(value, ensure_ascii=False), secrets))


def _remove_file(file_field) -> None:
    if file_field:
        storage, name = file_field.storage, file_field.name
        # The file goes only once the change is committed.
        transaction.on_commit(lambda: storage.delete(name))


def _secrets_of(child: Child, adults: list, workers: list) -> list[str]:
    """The names, mobiles and numbers that identify the child and the people around it,
    longest first (a full name before the given name inside it)."""
    values = {child.name, child.emergency_contact_name, child.emergency_contact_mobile}
    values.update(Consent.objects.filter(child=child).values_list("given_by", flat=True))
    for delegate in PickupDelegate.objects.filter(child=child):
        values.update([delegate.name, delegate.mobile])
    for person in [*adults, *workers]:
        values.update([person.name, person.mobile])
    for worker in workers:
        values.add(worker.employee_no)
    return sorted((v for v in values if v and len(v) >= 2), key=len, reverse=True)


def _family_goes_too(child: Child) -> bool:
    """The family's adults are anonymised with its last child: a family with a child still
    on file keeps them."""
    return not (
        Child.objects.filter(family_id=child.family_id, anonymised_at__isnull=True)
        .exclude(pk=child.pk)
        .exists()
    )


def child_anonymise(*, child: Child, by=None, reason: str = "", run=None) -> Anonymised:
    """Anonymise one child's personal information and, with the family's last child, the
    family's adults; keep every row the figures count (attendance days, incidents, refused
    pickups, enrolments, consents). Idempotent: an anonymised child is left as it is."""
    with transaction.atomic():
        child = Child.objects.select_for_update().select_related("family").get(pk=child.pk)
        if child.anonymised_at is not None:
            return Anonymised(child=child, family_too=False, already=True)
        family = Family.objects.select_for_update().get(pk=child.family_id)
        family_too = _family_goes_too(child)
        pickup_adults = list(
            Adult.objects.filter(pickups__child=child, is_guardian=False).exclude(
                pickups__child__in=Child.objects.filter(
                    family=family, anonymised_at__isnull=True
                ).exclude(pk=child.pk)
            )
        )
        adults = list(family.adults.all()) if family_too else pickup_adults
        workers = list(family.workers.all()) if family_too else []
        secrets = _secrets_of(child, adults, workers)
        # A family that stays keeps its adults; nothing of this child remains in its records.
        secrets_in_family = secrets if family_too else [child.name]
        now = timezone.now()

        _anonymise_child_row(child, now)
        _anonymise_child_records(child, secrets, now)
        PickupPermission.objects.filter(child=child).delete()
        for adult in adults:
            _anonymise_adult(adult)
        if family_too:
            _anonymise_family(family, workers, secrets, now)
        else:
            _scrub_family_texts(family, secrets_in_family)
        _scrub_audit(family, secrets)
        recorded_reason = _scrub_text(reason, secrets)
        audit.record(
            actor=by,
            action="child.anonymised",
            child=child,
            family=family,
            family_too=family_too,
            reason=recorded_reason,
            run=run.pk if run is not None else None,
        )
    return Anonymised(child=child, family_too=family_too, reason=recorded_reason)


def _anonymise_child_row(child: Child, now) -> None:
    _remove_file(child.photo)
    child.name = f"{CHILD_PLACEHOLDER} {str(child.key)[:4].upper()}"
    child.name_initials = ""
    child.name_pinyin = ""
    child.date_of_birth = child.date_of_birth.replace(month=1, day=1)
    child.hukou_province = ""
    child.lives_with = ""
    child.school = ""
    child.grade = ""
    child.allergies = ""
    child.medical_notes = ""
    child.emergency_contact_name = ""
    child.emergency_contact_mobile = ""
    child.photo = ""
    # The printed card stops working.
    child.card_token = new_card_token()
    child.card_code = new_card_code()
    child.anonymised_at = now
    child.updated_at = now
    child.save()


def _anonymise_child_records(child: Child, secrets: list[str], now) -> None:
    # A child anonymised on request loses any place still to come.
    Enrollment.objects.filter(child=child, status__in=ACTIVE_ENROLLMENT_STATUSES).update(
        status=EnrollmentStatus.WITHDRAWN, status_changed_at=now
    )
    Consent.objects.filter(child=child).update(given_by=REMOVED)
    for record in AttendanceRecord.objects.filter(child=child).exclude(collector_signature=""):
        _remove_file(record.collector_signature)
    AttendanceRecord.objects.filter(child=child).update(
        dropped_off_by_name="",
        collected_by_name="",
        collected_by_relation="",
        absence_note="",
        collector_signature="",
    )
    RefusedPickup.objects.filter(child=child).update(name="", relation="", note="")
    Incident.objects.filter(child=child).update(description=REMOVED, action_taken=REMOVED)
    Incident.objects.filter(child=child).exclude(review_note="").update(review_note=REMOVED)
    Incident.objects.filter(child=child).exclude(acknowledged_by_name="").update(
        acknowledged_by_name=REMOVED
    )
    Incident.objects.filter(child=child).exclude(parent_informed_by="").update(
        parent_informed_by=REMOVED
    )
    HealthCheck.objects.filter(child=child).update(signs=[], note="", temperature=None)
    MedicineAuthorisation.objects.filter(child=child).update(
        medicine=REMOVED, dose=REMOVED, signed_by=REMOVED
    )
    RollCallEntry.objects.filter(child=child).update(name=CHILD_PLACEHOLDER, group="")
    PickupDelegate.objects.filter(child=child).update(name=REMOVED, relation="", mobile="")
    OfflineAct.objects.filter(child=child).update(message="")
    for hold in RetentionHold.objects.filter(child=child):
        hold.reason = _scrub_text(hold.reason, secrets)
        hold.save(update_fields=["reason"])
    for notice in Notice.objects.filter(child=child):
        _scrub_notice(notice, secrets, blank=True)


def _scrub_notice(notice: Notice, secrets: list[str], *, blank: bool) -> None:
    """A message about the child says nothing any more; one to the family loses the
    secrets it carries."""
    if blank:
        notice.body = REMOVED
        notice.params = []
        # The table keeps one notice per event and number when no guardian is named: a
        # number of its own, which no phone has.
        notice.mobile = "" if notice.guardian_id else f"0{notice.pk:010d}"[-11:]
    else:
        notice.body = _scrub_text(notice.body, secrets)
        notice.params = _scrub_json(notice.params, secrets)
    notice.save(update_fields=["body", "params", "mobile"])


def _anonymise_adult(adult: Adult) -> None:
    _remove_file(adult.photo)
    adult.name = f"{ADULT_PLACEHOLDER}{adult.pk}"
    adult.mobile = ""
    adult.photo = ""
    adult.pickup_code = new_pickup_code()
    adult.save(update_fields=["name", "mobile", "photo", "pickup_code"])


def _anonymise_family(family: Family, workers: list[Worker], secrets: list[str], now) -> None:
    for worker in workers:
        worker.name = f"{PARENT_PLACEHOLDER}{worker.pk}"
        worker.mobile = f"{NO_MOBILE_PREFIX}{worker.pk:08d}"[-11:]
        worker.employee_no = f"ANON-{worker.pk}"
        worker.department = ""
        worker.shift = ""
        worker.hukou_province = ""
        worker.pickup_code = new_pickup_code()
        worker.save(
            update_fields=[
                "name",
                "mobile",
                "employee_no",
                "department",
                "shift",
                "hukou_province",
                "pickup_code",
            ]
        )
    # A link to the parents' page opens nothing any more.
    ParentLink.objects.filter(guardian__in=workers).delete()
    for notice in Notice.objects.filter(family=family):
        _scrub_notice(notice, secrets, blank=True)
    ParentSurvey.objects.filter(family=family).exclude(comment="").update(comment="")
    # A parent's comment on a training session may name the child or the parent.
    for feedback in SessionFeedback.objects.filter(attendance__worker__in=workers).exclude(
        comment=""
    ):
        if any(secret in feedback.comment for secret in secrets):
            feedback.comment = _scrub_text(feedback.comment, secrets)
            feedback.save(update_fields=["comment"])
    family.hr_notes = ""
    family.updated_at = now
    family.save(update_fields=["hr_notes", "updated_at"])


def _scrub_family_texts(family: Family, secrets: list[str]) -> None:
    """A family that stays keeps its records, without the anonymised child's name."""
    for notice in Notice.objects.filter(family=family).exclude(child__isnull=False):
        _scrub_notice(notice, secrets, blank=False)
    if any(secret in family.hr_notes for secret in secrets):
        family.hr_notes = _scrub_text(family.hr_notes, secrets)
        family.save(update_fields=["hr_notes"])
    for survey in ParentSurvey.objects.filter(family=family).exclude(comment=""):
        if any(secret in survey.comment for secret in secrets):
            survey.comment = _scrub_text(survey.comment, secrets)
            survey.save(update_fields=["comment"])


def _scrub_audit(family: Family, secrets: list[str]) -> None:
    """Audit entries keep who did what and when; the names and numbers in their details
    go (any entry of the factory: an import or an export may have named the family)."""
    if not secrets:
        return
    carries = Q(pk__in=[])
    for secret in secrets:
        carries |= Q(text__contains=secret)
    entries = (
        AuditEntry.objects.filter(factory_id=family.factory_id)
        .annotate(text=Cast("details", TextField()))
        .filter(carries)
    )
    for entry in entries.only("pk", "details"):
        entry.details = _scrub_json(entry.details, secrets)
        entry.save(update_fields=["details"])


# The nightly run -----------------------------------------------------------------------


def claim_nightly(day: date) -> RetentionRun | None:
    """The night's run for this process, or None when another process has it or it is done.
    The run row is unique per day and taken with one conditional UPDATE, so two beats (or a
    task delivered twice) never both run it; a run whose process died is taken back once
    its lease has run out."""
    run, _created = RetentionRun.objects.get_or_create(day=day, trigger=RunTrigger.NIGHTLY)
    now = timezone.now()
    claimed = (
        RetentionRun.objects.filter(pk=run.pk)
        .filter(
            Q(status__in=[RunStatus.QUEUED, RunStatus.FAILED])
            | Q(status=RunStatus.RUNNING, lease_until__lt=now)
        )
        .update(status=RunStatus.RUNNING, started_at=now, lease_until=now + LEASE)
    )
    if not claimed:
        return None
    return RetentionRun.objects.get(pk=run.pk)


def retention_run_nightly(*, day: date) -> RetentionRun | None:
    """Anonymise every child due that day, each in its own transaction; held children are
    skipped and counted. Returns the run with its report, or None when it was not ours."""
    run = claim_nightly(day)
    if run is None:
        return None
    report = RunReport()
    held = set(ChildOnFile.objects.due_on(day).held_on(day).values_list("pk", flat=True))
    # The list is taken first: each child is then anonymised in a transaction of its own.
    due = list(ChildOnFile.objects.due_on(day).select_related("family").order_by("pk"))
    try:
        for child in due:
            if child.pk in held:
                report.held += 1
                report.held_keys.append(str(child.key))
                report.count(child.family.factory_id, "held")
                continue
            try:
                done = child_anonymise(child=child, run=run)
            except Exception:
                logger.exception("retention: child %s could not be anonymised", child.key)
                report.failed += 1
                report.failed_keys.append(str(child.key))
                continue
            if done.already:
                continue
            report.children += 1
            report.count(child.family.factory_id, "children")
            if done.family_too:
                report.families += 1
                report.count(child.family.factory_id, "families")
    finally:
        _settle(run, report, RunStatus.DONE if report.failed == 0 else RunStatus.FAILED)
    return run


def _settle(run: RetentionRun, report: RunReport, status: str) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.lease_until = None
    run.children = report.children
    run.families = report.families
    run.held = report.held
    run.failed = report.failed
    run.report = {
        "factories": report.factories,
        "held": report.held_keys,
        "failed": report.failed_keys,
    }
    run.save()


def child_anonymise_on_request(*, child: Child, by, reason: str) -> RetentionRun:
    """The guardian asked: anonymise the child now, recorded as a run of its own with the
    reason."""
    reason = reason.strip()
    if not reason:
        raise ValueError(_("Say why the child's data is anonymised now."))
    hold = RetentionHold.objects.active_on(timezone.localdate()).filter(child=child).first()
    if hold is not None:
        raise ValueError(
            _(
                "This child's data is on hold until %(day)s (%(reason)s). Lift the hold on "
                "the retention page first, if it may end."
            )
            % {"day": hold.until.isoformat(), "reason": hold.reason}
        )
    with transaction.atomic():
        run = RetentionRun.objects.create(
            day=timezone.localdate(),
            trigger=RunTrigger.REQUEST,
            status=RunStatus.RUNNING,
            by=by,
            reason=REMOVED,
            started_at=timezone.now(),
        )
        done = child_anonymise(child=child, by=by, reason=reason, run=run)
        report = RunReport()
        factory_id = done.child.family.factory_id
        if not done.already:
            report.children = 1
            report.count(factory_id, "children")
            if done.family_too:
                report.families = 1
                report.count(factory_id, "families")
        run.reason = (done.reason or REMOVED)[:300]
        _settle(run, report, RunStatus.DONE)
    return run


def hold_place(*, child: Child, reason: str, until: date, by, incident=None) -> RetentionHold:
    """Keep a child's data past its retention period until ``until``."""
    reason = reason.strip()
    if until < timezone.localdate():
        raise ValueError(_("The end date of a hold cannot be in the past."))
    with transaction.atomic():
        hold = RetentionHold.objects.create(
            child=child, incident=incident, reason=reason, until=until, placed_by=by
        )
        audit.record(
            actor=by,
            action="retention.hold_placed",
            child=child,
            until=until.isoformat(),
            incident=str(incident.key) if incident else None,
        )
    return hold


def hold_lift(*, hold: RetentionHold, by) -> RetentionHold:
    with transaction.atomic():
        updated = RetentionHold.objects.filter(pk=hold.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now(), lifted_by=by
        )
        if updated:
            audit.record(actor=by, action="retention.hold_lifted", child=hold.child)
        hold.refresh_from_db()
    return hold
