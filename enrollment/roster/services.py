"""Every write of a roster: the import of a checked plan (all of it or nothing, with an audit
entry for each family, worker, child, adult and pickup rule it creates or changes) and the
record of an export."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import (
    Adult,
    Child,
    Consent,
    Enrollment,
    EnrollmentStatus,
    Factory,
    Family,
    PickupPermission,
    Term,
    Worker,
)
from enrollment.roster.planning import CREATE, RosterPlan, build_plan
from enrollment.roster.reading import RawSheet
from ffs_portal import audit
from ffs_portal.models import User


class RosterHasProblems(ValidationError):
    """The roster cannot be imported as it is; ``plan`` says where and why."""

    def __init__(self, plan: RosterPlan):
        super().__init__(
            _(
                "The roster has problems. Nothing was imported: correct the file and upload "
                "it again."
            )
        )
        self.plan = plan


@transaction.atomic
def roster_import(
    *, factory: Factory, sheet: RawSheet, by, today: date | None = None, good_rows_only=False
) -> RosterPlan:
    """Import a roster read from a file: check it again against the database, then write
    all of it or nothing; or, when HR chose so, the rows without problems (all of them or
    none), leaving the others to be corrected. Returns the plan that was carried out."""
    # One import at a time per factory: two HR staff importing the same roster get one copy.
    Factory.objects.select_for_update().get(pk=factory.pk)
    plan = build_plan(factory=factory, sheet=sheet, today=today)
    if not plan.ok and not (good_rows_only and plan.good_rows):
        raise RosterHasProblems(plan)
    counts = plan.counts()
    try:
        with transaction.atomic():
            _write(plan, by)
    except IntegrityError as error:
        raise ValidationError(
            _(
                "Someone changed these families while the roster was being imported, so nothing "
                "was imported. Open the preview again to see the roster as it is now."
            )
        ) from error
    audit.record(actor=by, action="roster.imported", factory=factory, counts=counts)
    return plan


@transaction.atomic
def roster_exported(
    *, factory: Factory, by, file_format: str, rows: int, reason: str, children
) -> None:
    """Record that ``by`` downloaded the roster of ``factory`` for ``reason`` (children's data
    left the portal): the download and a read of each child's record, in one INSERT."""
    audit.record_views(
        actor=by,
        children=children,
        action="child.exported",
        page="roster_export",
        factory_id=factory.pk,
        extra=[
            audit.entry(
                actor=by,
                action="roster.exported",
                factory=factory,
                format=file_format,
                rows=rows,
                reason=reason,
            )
        ],
    )


@dataclass
class _Import:
    """What one import has written so far, by the keys the plan uses, and its audit entries
    (written together at the end)."""

    plan: RosterPlan
    by: User | None
    now: datetime
    families: dict[str, Family] = field(default_factory=dict)
    children: dict[tuple, Child] = field(default_factory=dict)
    adults: dict[tuple, Adult] = field(default_factory=dict)
    entries: list = field(default_factory=list)

    def log(self, action: str, family: Family, child: Child | None = None, **details) -> None:
        self.entries.append(
            audit.entry(
                actor=self.by,
                action=action,
                factory=self.plan.factory,
                family=family,
                child=child,
                **details,
            )
        )


def _write(plan: RosterPlan, by) -> None:
    done = _Import(plan=plan, by=by, now=timezone.now())
    _write_families(done)
    _write_workers(done)
    _write_children(done)
    _write_adults(done)
    _write_pickups(done)
    _write_consents(done)
    _write_enrolments(done)
    touched = [
        done.families[f.employee_no].pk
        for f in plan.families
        if f.existing is not None and f.action != "unchanged"
    ]
    Family.objects.filter(pk__in=touched).update(updated_at=done.now)
    audit.record_many(done.entries)


def _checked(instance, *exclude):
    # Foreign keys are left out: checking them costs a query per row, and the database
    # checks them anyway.
    instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    return instance


def _write_families(done: _Import) -> None:
    plan = done.plan
    created = iter(
        Family.objects.bulk_create(
            [
                Family(factory=plan.factory, created_at=done.now, updated_at=done.now)
                for f in plan.families
                if not f.existing
            ],
            batch_size=500,
        )
    )
    for family_plan in plan.families:
        family = family_plan.existing or next(created)
        done.families[family_plan.employee_no] = family
        if not family_plan.existing:
            done.log("family.created", family)


def _write_workers(done: _Import) -> None:
    new, changed, changed_fields = [], [], set()
    for family_plan in done.plan.families:
        family, worker = done.families[family_plan.employee_no], family_plan.worker
        if worker.existing is None:
            instance = Worker(factory=done.plan.factory, family=family, **worker.fields)
            new.append(_checked(instance, "factory", "family"))
            done.log("worker.created", family)
        elif worker.changed:
            instance = worker.existing
            for name in worker.changed:
                setattr(instance, name, family if name == "family" else worker.fields[name])
            changed.append(_checked(instance, "factory", "family"))
            changed_fields.update(worker.changed)
            done.log("worker.changed", family, fields=[n for n in worker.changed if n != "family"])
    Worker.objects.bulk_create(new, batch_size=500)
    if changed:
        Worker.objects.bulk_update(changed, sorted(changed_fields), batch_size=500)


def _write_children(done: _Import) -> None:
    new, changed, changed_fields = [], [], {"updated_at"}
    for family_plan in done.plan.families:
        family = done.families[family_plan.employee_no]
        for key, child in family_plan.children.items():
            if child.existing is None:
                instance = Child(
                    family=family, created_at=done.now, updated_at=done.now, **child.fields
                )
                instance.index_name()
                new.append(_checked(instance, "family"))
            else:
                instance = child.existing
                if child.changed:
                    for name in child.changed:
                        setattr(instance, name, child.fields[name])
                    instance.updated_at = done.now
                    changed.append(_checked(instance, "family"))
                    changed_fields.update(child.changed)
                    done.log("child.changed", family, instance, fields=child.changed)
            done.children[(family_plan.employee_no, *key)] = instance
    Child.objects.bulk_create(new, batch_size=500)
    for instance in new:
        done.log("child.created", instance.family, instance)
    if changed:
        Child.objects.bulk_update(changed, sorted(changed_fields), batch_size=500)


def _write_adults(done: _Import) -> None:
    new, changed, changed_fields = [], [], set()
    for family_plan in done.plan.families:
        family = done.families[family_plan.employee_no]
        for name, adult in family_plan.adults.items():
            if adult.existing is None:
                instance = Adult(family=family, **adult.fields)
                new.append(_checked(instance, "family"))
                done.log("adult.created", family, fields=[f for f, v in adult.fields.items() if v])
            else:
                instance = adult.existing
                if adult.changed:
                    for field_name in adult.changed:
                        setattr(instance, field_name, adult.fields[field_name])
                    changed.append(_checked(instance, "family"))
                    changed_fields.update(adult.changed)
                    done.log("adult.changed", family, fields=adult.changed)
            done.adults[(family_plan.employee_no, name)] = instance
    Adult.objects.bulk_create(new, batch_size=500)
    if changed:
        Adult.objects.bulk_update(changed, sorted(changed_fields), batch_size=500)


def _write_pickups(done: _Import) -> None:
    permissions = []
    for family_plan in done.plan.families:
        no = family_plan.employee_no
        for (child_name, born, adult_name), pickup in family_plan.pickups.items():
            if pickup.action != CREATE:
                continue
            child = done.children[(no, child_name, born)]
            permissions.append(
                PickupPermission(child=child, adult=done.adults[(no, adult_name)], allowed=True)
            )
            done.log("pickup.allowed", child.family, child, adult=adult_name)
    PickupPermission.objects.bulk_create(permissions, batch_size=500)


def _write_consents(done: _Import) -> None:
    consents = []
    for family_plan in done.plan.families:
        for key, child in family_plan.children.items():
            if child.consent:
                instance = done.children[(family_plan.employee_no, *key)]
                consents.append(
                    Consent(
                        child=instance, recorded_by=done.by, recorded_at=done.now, **child.consent
                    )
                )
                done.log(
                    "consent.recorded",
                    instance.family,
                    instance,
                    version=child.consent["text_version"],
                )
    Consent.objects.bulk_create(consents, batch_size=500)


def _write_enrolments(done: _Import) -> None:
    """Places while a term has them, then the waitlist, in the roster's order, as
    ``enrollment_apply`` gives them one by one."""
    wanted = []
    for family_plan in done.plan.families:
        for key, child in family_plan.children.items():
            for term in child.terms.values():
                wanted.append((done.children[(family_plan.employee_no, *key)], term))
    if not wanted:
        return
    term_ids = sorted({term.pk for _child, term in wanted})
    # Locked like enrollment_apply locks one: places are counted once for everyone.
    list(Term.objects.select_for_update().filter(pk__in=term_ids).order_by("pk"))
    taken = dict(
        Enrollment.objects.filter(term_id__in=term_ids, status=EnrollmentStatus.ENROLLED)
        .values("term_id")
        .annotate(n=Count("id"))
        .values_list("term_id", "n")
    )
    enrolments = []
    for instance, term in wanted:
        if taken.get(term.pk, 0) < term.site.capacity:
            status = EnrollmentStatus.ENROLLED
            taken[term.pk] = taken.get(term.pk, 0) + 1
        else:
            status = EnrollmentStatus.WAITLISTED
        enrolments.append(
            Enrollment(
                child=instance,
                term=term,
                status=status,
                applied_at=done.now,
                status_changed_at=done.now,
            )
        )
        done.log(f"enrollment.{status}", instance.family, instance, term=term.name)
    Enrollment.objects.bulk_create(enrolments, batch_size=500)
