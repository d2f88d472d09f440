"""Every write to families, children, consent and enrolment. Each service is one
transaction and writes its audit entry inside it."""

from datetime import date, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import (
    ACTIVE_ENROLLMENT_STATUSES,
    Adult,
    Child,
    ClosedDay,
    Consent,
    Enrollment,
    EnrollmentStatus,
    Factory,
    Family,
    OpeningHours,
    PickupPermission,
    Room,
    Site,
    Term,
    Weekday,
    Worker,
    check_date_of_birth,
    muted_by_default,
    new_card_code,
    new_card_token,
    new_pickup_code,
    normalise_employee_no,
)
from ffs_portal import audit
from ffs_portal.models import Role

MAX_WORKERS_PER_FAMILY = 2


def _touch(family: Family) -> None:
    family.updated_at = timezone.now()
    family.save(update_fields=["updated_at"])


def _changed_fields(instance, fields: dict) -> list[str]:
    changed = []
    for field, value in fields.items():
        if getattr(instance, field) != value:
            setattr(instance, field, value)
            changed.append(field)
    return changed


@transaction.atomic
def family_create(*, factory: Factory, by, hr_notes: str = "") -> Family:
    family = Family.objects.create(factory=factory, hr_notes=hr_notes)
    audit.record(actor=by, action="family.created", family=family)
    return family


@transaction.atomic
def family_register(*, factory: Factory, by, children=(), **worker_fields) -> Family:
    """Register a family with its first worker and, in the same step, its children
    (each a dict of the child's fields): all of it, or nothing."""
    family = family_create(factory=factory, by=by)
    worker_save(family=family, by=by, **worker_fields)
    for fields in children:
        child_save(family=family, by=by, **fields)
    return family


def _employee_no_taken(factory: Factory, employee_no: str, worker: Worker | None = None) -> bool:
    # As the database compares them (employee_no_unique_in_factory): case aside.
    others = Worker.objects.filter(factory=factory, employee_no__iexact=employee_no)
    if worker is not None and worker.pk:
        others = others.exclude(pk=worker.pk)
    return others.exists()


def _employee_no_error(employee_no: str) -> ValidationError:
    return ValidationError(
        {
            "employee_no": _(
                "Employee no. %(no)s is already registered in this factory. Search for it in "
                "the families, or check the number."
            )
            % {"no": employee_no}
        }
    )


@transaction.atomic
def worker_save(*, family: Family, by, worker: Worker | None = None, **fields) -> Worker:
    """Add a worker (a parent employed by the factory) to a family, or change one."""
    if "employee_no" in fields:
        fields["employee_no"] = normalise_employee_no(fields["employee_no"])
    if worker is None:
        if family.workers.count() >= MAX_WORKERS_PER_FAMILY:
            raise ValidationError(
                _("A family has at most two workers. Add other adults as relatives instead.")
            )
        employee_no = fields.get("employee_no", "")
        if _employee_no_taken(family.factory, employee_no):
            raise _employee_no_error(employee_no)
        worker = Worker(factory=family.factory, family=family)
        _changed_fields(worker, fields)
        worker.full_clean()
        worker.save()
        audit.record(actor=by, action="worker.created", family=family)
    else:
        # Compared with the stored row: a form may already have changed the instance given.
        worker = Worker.objects.select_for_update().get(pk=worker.pk)
        changed = _changed_fields(worker, fields)
        if "employee_no" in changed and _employee_no_taken(
            worker.factory, worker.employee_no, worker
        ):
            raise _employee_no_error(worker.employee_no)
        worker.full_clean()
        worker.save()
        audit.record(actor=by, action="worker.changed", family=family, fields=changed)
    _touch(family)
    return worker


def _photos_allowed(child: Child) -> bool:
    consent = active_consent(child) if child.pk else None
    return consent is not None and consent.covers_photos


def _remove_photo(owner) -> None:
    if owner.photo:
        storage, name = owner.photo.storage, owner.photo.name
        # The file goes only once the change is committed.
        transaction.on_commit(lambda: storage.delete(name))
    owner.photo = ""


def _set_photo(owner, photo, allowed: bool = True) -> None:
    """A new photo replaces the old one; False (the form's "clear") or a photo without
    consent to photos removes it; None leaves it as it is."""
    if photo is False or (photo and not allowed):
        _remove_photo(owner)
    elif photo and photo != owner.photo:
        _remove_photo(owner)
        owner.photo = photo


@transaction.atomic
def child_save(*, family: Family, by, child: Child | None = None, **fields) -> Child:
    """Register a child in a family, or change a child's record."""
    if "date_of_birth" in fields:
        check_date_of_birth(fields["date_of_birth"])
    if "name" in fields:
        fields["name"] = fields["name"].strip()
    creating = child is None
    if child is None:
        child = Child(family=family)
    else:
        # Compared with the stored row: a form may already have changed the instance given,
        # and the audit entry must name the fields that really changed.
        child = Child.objects.select_for_update().get(pk=child.pk)
    if "photo" in fields:
        _set_photo(child, fields.pop("photo"), allowed=_photos_allowed(child))
    changed = _changed_fields(child, fields)
    child.index_name()
    child.updated_at = timezone.now()
    child.full_clean(exclude=["family"])
    child.save()
    if creating:
        audit.record(actor=by, action="child.created", child=child)
    else:
        # Field names only: the audit trail must not copy medical notes or hukou.
        audit.record(actor=by, action="child.changed", child=child, fields=changed)
    _touch(family)
    return child


@transaction.atomic
def adult_save(*, family: Family, by, adult: Adult | None = None, **fields) -> Adult:
    """Add or change an adult known to the family (grandparent, relative, neighbour…)."""
    if "name" in fields:
        fields["name"] = fields["name"].strip()
    creating = adult is None
    if adult is None:
        adult = Adult(family=family)
    if "photo" in fields:
        _set_photo(adult, fields.pop("photo"))
    changed = _changed_fields(adult, fields)
    clash = Adult.objects.filter(family=family, name=adult.name).exclude(pk=adult.pk)
    if clash.exists():
        raise ValidationError(
            {"name": _("%(name)s is already listed in this family.") % {"name": adult.name}}
        )
    adult.full_clean(exclude=["family"])
    adult.save()
    audit.record(
        actor=by,
        action="adult.created" if creating else "adult.changed",
        family=family,
        fields=changed,
    )
    _touch(family)
    return adult


@transaction.atomic
def adult_register(
    *, family: Family, by, adult: Adult | None = None, may_collect=(), must_not_collect=(), **fields
) -> Adult:
    """Save an adult and, for each child of the family, whether they may collect the child."""
    adult = adult_save(family=family, by=by, adult=adult, **fields)
    allowed_ids = {child.pk for child in may_collect}
    refused_ids = {child.pk for child in must_not_collect}
    if allowed_ids & refused_ids:
        raise ValidationError(_("An adult cannot be on both lists for the same child."))
    for child in family.children.all():
        if child.pk in allowed_ids or child.pk in refused_ids:
            existing = child.pickups.filter(adult=adult).first()
            pickup_set(
                child=child,
                adult=adult,
                allowed=child.pk in allowed_ids,
                valid_from=existing.valid_from if existing else None,
                valid_to=existing.valid_to if existing else None,
                note=existing.note if existing else "",
                by=by,
            )
        else:
            for permission in child.pickups.filter(adult=adult):
                pickup_remove(permission=permission, by=by)
    return adult


@transaction.atomic
def pickup_set(
    *,
    child: Child,
    adult: Adult,
    allowed: bool,
    by,
    valid_from: date | None = None,
    valid_to: date | None = None,
    note: str = "",
) -> PickupPermission:
    """Say whether ``adult`` may collect ``child``. One rule per child and adult: moving an
    adult from one list to the other replaces the rule."""
    if adult.family_id != child.family_id:
        raise ValidationError(_("This adult belongs to another family."))
    if valid_from and valid_to and valid_to < valid_from:
        raise ValidationError({"valid_to": _("The end date is before the start date.")})
    permission, created = PickupPermission.objects.select_for_update().get_or_create(
        child=child,
        adult=adult,
        defaults={"allowed": allowed, "valid_from": valid_from, "valid_to": valid_to, "note": note},
    )
    if not created:
        permission.allowed = allowed
        permission.valid_from = valid_from
        permission.valid_to = valid_to
        permission.note = note
        permission.save(update_fields=["allowed", "valid_from", "valid_to", "note"])
    audit.record(
        actor=by,
        action="pickup.allowed" if allowed else "pickup.not_allowed",
        child=child,
        adult=adult.name,
    )
    _touch(child.family)
    return permission


@transaction.atomic
def pickup_remove(*, permission: PickupPermission, by) -> None:
    child = permission.child
    audit.record(actor=by, action="pickup.removed", child=child, adult=permission.adult.name)
    permission.delete()
    _touch(child.family)


@transaction.atomic
def adults_register(*, family: Family, by, adults) -> list[Adult]:
    """Several adults of a family at once, each with the children they may or must not
    collect (the arguments of ``adult_register``): all of them, or none."""
    return [adult_register(family=family, by=by, **fields) for fields in adults]


@transaction.atomic
def card_reissue(*, child: Child, by) -> Child:
    """A lost card: the child gets a new QR and a new short code; the old card stops
    working at once, and the reissue is recorded."""
    child.card_token = new_card_token()
    child.card_code = new_card_code()
    while Child.objects.filter(card_code=child.card_code).exclude(pk=child.pk).exists():
        child.card_code = new_card_code()
    child.save(update_fields=["card_token", "card_code"])
    audit.record(actor=by, action="child.card_reissued", child=child)
    _touch(child.family)
    return child


@transaction.atomic
def pickup_code_renew(*, person: Worker | Adult, by) -> Worker | Adult:
    """A lost pickup card (or a code others heard): the person gets a new code at once; the
    old one is refused at the door. Print the family's pickup cards again."""
    old = person.pickup_code
    while person.pickup_code == old:
        person.pickup_code = new_pickup_code()
    person.save(update_fields=["pickup_code"])
    family = person.family
    audit.record(
        actor=by,
        action="pickup_code.renewed",
        family=family,
        factory=family.factory if family else None,
        person=person.name,
    )
    return person


def has_pickup_adult(child: Child, on: date) -> bool:
    """True when someone may collect the child: a worker of the family or an allowed adult."""
    if child.family.workers.exists():
        return True
    return any(p.is_valid_on(on) for p in child.pickups.all())


@transaction.atomic
def consent_record(
    *,
    child: Child,
    given_by: str,
    given_by_relation: str,
    given_on: date,
    by,
    covers_care: bool = True,
    covers_photos: bool = False,
    covers_reporting: bool = False,
    covers_messages: bool = False,
    covers_health: bool = False,
    muted_messages: list[str] | None = None,
    quiet_from: time | None = None,
    quiet_until: time | None = None,
    text_version: str,
) -> Consent:
    """Record a guardian's consent; a consent already on file is replaced (kept as history)."""
    if given_on > timezone.localdate():
        raise ValidationError({"given_on": _("The consent cannot be signed in the future.")})
    if not covers_care:
        raise ValidationError(
            {"covers_care": _("Consent to care is required for a child to join a space.")}
        )
    now = timezone.now()
    Consent.objects.filter(child=child, withdrawn_at__isnull=True).update(
        withdrawn_at=now, withdrawn_by=by
    )
    consent = Consent.objects.create(
        child=child,
        given_by=given_by.strip(),
        given_by_relation=given_by_relation,
        given_on=given_on,
        covers_care=covers_care,
        covers_photos=covers_photos,
        covers_reporting=covers_reporting,
        covers_messages=covers_messages,
        covers_health=covers_health,
        muted_messages=muted_by_default() if muted_messages is None else muted_messages,
        quiet_from=quiet_from,
        quiet_until=quiet_until,
        text_version=text_version,
        recorded_by=by,
    )
    if not covers_photos and child.photo:
        _remove_photo(child)
        child.save(update_fields=["photo"])
    audit.record(actor=by, action="consent.recorded", child=child, version=text_version)
    _touch(child.family)
    return consent


@transaction.atomic
def consent_record_many(*, children, by, **arguments) -> list[Consent]:
    """One signed form for several children of a family: a consent for each, all or none."""
    return [consent_record(child=child, by=by, **arguments) for child in children]


@transaction.atomic
def consent_withdraw(*, consent: Consent, by) -> list[Enrollment]:
    """Withdraw consent. Without consent a child cannot be cared for, so the child's active
    enrolments are withdrawn too (freeing their places). Returns those enrolments."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is not None:
        return []
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = by
    consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
    child = consent.child
    if child.photo:
        _remove_photo(child)
        child.save(update_fields=["photo"])
    audit.record(actor=by, action="consent.withdrawn", child=child)
    withdrawn = []
    for enrollment in Enrollment.objects.filter(child=child, status__in=ACTIVE_ENROLLMENT_STATUSES):
        enrollment_withdraw(enrollment=enrollment, by=by)
        withdrawn.append(enrollment)
    return withdrawn


def active_consent(child: Child) -> Consent | None:
    return child.consents.filter(withdrawn_at__isnull=True).first()


def _enrollment_problems(child: Child, term: Term) -> list[str]:
    site = term.site
    problems = []
    if active_consent(child) is None:
        problems.append(_("There is no guardian consent on file for %(child)s. Record it first."))
    if not has_pickup_adult(child, term.starts_on):
        problems.append(
            _("Nobody may collect %(child)s yet. Add a worker or an adult who may collect.")
        )
    age = child.age_on(term.starts_on)
    if not site.min_age <= age <= site.max_age:
        problems.append(
            _(
                "%(child)s will be %(age)s on the first day of the term; %(site)s takes "
                "children aged %(min)s to %(max)s."
            )
        )
    if term.ends_on < timezone.localdate():
        problems.append(_("This term is over."))
    if Enrollment.objects.filter(
        child=child, term=term, status__in=ACTIVE_ENROLLMENT_STATUSES
    ).exists():
        problems.append(_("%(child)s already has a place or a waitlist entry in this term."))
    facts = {
        "child": child.name,
        "age": age,
        "site": site.name,
        "min": site.min_age,
        "max": site.max_age,
    }
    return [problem % facts for problem in problems]


@transaction.atomic
def enrollment_apply(*, child: Child, term: Term, by) -> Enrollment:
    """Enrol a child in a term; a full term puts the child on its waitlist, in order."""
    if term.site.factory_id != child.family.factory_id:
        raise ValidationError(_("This term belongs to another factory's site."))
    # Lock the term: two HR staff enrolling into the last place get one place, one waitlist.
    term = Term.objects.select_for_update().select_related("site").get(pk=term.pk)
    problems = _enrollment_problems(child, term)
    if problems:
        raise ValidationError(problems)
    enrolled = term.enrollments.filter(status=EnrollmentStatus.ENROLLED).count()
    status = (
        EnrollmentStatus.ENROLLED if enrolled < term.site.capacity else EnrollmentStatus.WAITLISTED
    )
    enrollment = Enrollment.objects.create(child=child, term=term, status=status)
    audit.record(actor=by, action=f"enrollment.{status}", child=child, term=term.name)
    _touch(child.family)
    return enrollment


@transaction.atomic
def enrollment_apply_many(*, children, term: Term, by) -> list[Enrollment]:
    """Enrol several children in one term, in the order given (capacity and waitlist as
    for one). All or none: a child who cannot be enrolled stops the step, with every
    child's reasons in one message."""
    if any(term.site.factory_id != child.family.factory_id for child in children):
        raise ValidationError(_("This term belongs to another factory's site."))
    term = Term.objects.select_for_update().select_related("site").get(pk=term.pk)
    problems = [problem for child in children for problem in _enrollment_problems(child, term)]
    if problems:
        raise ValidationError(problems)
    return [enrollment_apply(child=child, term=term, by=by) for child in children]


def _set_status(enrollment: Enrollment, status: str, by) -> None:
    enrollment.status = status
    enrollment.status_changed_at = timezone.now()
    enrollment.save(update_fields=["status", "status_changed_at"])
    audit.record(
        actor=by, action=f"enrollment.{status}", child=enrollment.child, term=enrollment.term.name
    )
    _touch(enrollment.child.family)


@transaction.atomic
def enrollment_withdraw(*, enrollment: Enrollment, by) -> Enrollment | None:
    """Withdraw a child from a term. A place freed goes to the first child on the waitlist,
    who is returned (or None)."""
    Term.objects.select_for_update().get(pk=enrollment.term_id)
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status not in ACTIVE_ENROLLMENT_STATUSES:
        raise ValidationError(_("This enrolment is already closed."))
    freed_place = enrollment.status == EnrollmentStatus.ENROLLED
    _set_status(enrollment, EnrollmentStatus.WITHDRAWN, by)
    if not freed_place:
        return None
    return _fill_places(enrollment.term, by)


def _fill_places(term: Term, by) -> Enrollment | None:
    """Move children from the waitlist into free places, first come first served."""
    promoted = None
    enrolled = term.enrollments.filter(status=EnrollmentStatus.ENROLLED).count()
    waiting = term.enrollments.filter(status=EnrollmentStatus.WAITLISTED).select_related(
        "child__family"
    )
    for candidate in waiting.order_by("applied_at", "id")[: max(term.site.capacity - enrolled, 0)]:
        _set_status(candidate, EnrollmentStatus.ENROLLED, by)
        promoted = promoted or candidate
    return promoted


@transaction.atomic
def enrollment_promote(*, enrollment: Enrollment, by) -> Enrollment:
    """Give a waitlisted child a place now (HR's choice, e.g. a sibling), if one is free."""
    term = Term.objects.select_for_update().select_related("site").get(pk=enrollment.term_id)
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status not in (EnrollmentStatus.WAITLISTED, EnrollmentStatus.APPLIED):
        raise ValidationError(_("Only a child on the waitlist can be given a place."))
    if term.enrollments.filter(status=EnrollmentStatus.ENROLLED).count() >= term.site.capacity:
        raise ValidationError(
            _(
                "%(site)s is full for this term (%(capacity)s places). Withdraw a child first or "
                "ask the coordinator to raise the capacity."
            )
            % {"site": term.site.name, "capacity": term.site.capacity}
        )
    _set_status(enrollment, EnrollmentStatus.ENROLLED, by)
    return enrollment


@transaction.atomic
def factory_save(*, by, factory: Factory | None = None, **fields) -> Factory:
    creating = factory is None
    factory = factory or Factory()
    changed = _changed_fields(factory, fields)
    factory.full_clean()
    factory.save()
    audit.record(
        actor=by,
        action="factory.created" if creating else "factory.changed",
        factory=factory,
        fields=changed,
    )
    if creating and by is not None and by.role == Role.COORDINATOR and not by.all_factories:
        # A coordinator of named factories oversees the factory they bring in: without it
        # they could not add its site or invite its HR.
        by.factories.add(factory)
    return factory


@transaction.atomic
def site_save(
    *, factory: Factory, by, site: Site | None = None, hours: dict, rooms=(), **fields
) -> Site:
    """Save a site with its opening hours ({weekday: (opens, closes)}) and rooms
    ([(room or None, name, min_age, max_age, delete)])."""
    creating = site is None
    site = site or Site(factory=factory)
    changed = _changed_fields(site, fields)
    site.full_clean()
    site.save()
    site.opening_hours.exclude(weekday__in=list(hours)).delete()
    for weekday, (opens, closes) in hours.items():
        if closes <= opens:
            raise ValidationError(
                _("On %(day)s the site closes before it opens.") % {"day": Weekday(weekday).label}
            )
        OpeningHours.objects.update_or_create(
            site=site, weekday=weekday, defaults={"opens": opens, "closes": closes}
        )
    for room, name, min_age, max_age, delete in rooms:
        if room is not None and delete:
            room.delete()
        elif room is not None:
            room.name, room.min_age, room.max_age = name, min_age, max_age
            room.full_clean(exclude=["site"])
            room.save()
        elif name and not delete:
            room = Room(site=site, name=name, min_age=min_age, max_age=max_age)
            room.full_clean(exclude=["site"])
            room.save()
    audit.record(
        actor=by,
        action="site.created" if creating else "site.changed",
        factory=factory,
        site=site.name,
        fields=changed,
    )
    return site


@transaction.atomic
def term_save(*, site: Site, by, term: Term | None = None, closed_days=(), **fields) -> Term:
    creating = term is None
    term = term or Term(site=site)
    changed = _changed_fields(term, fields)
    term.full_clean(exclude=["site"])
    term.save()
    term.closed_days.exclude(date__in=closed_days).delete()
    for day in closed_days:
        ClosedDay.objects.get_or_create(term=term, date=day)
    audit.record(
        actor=by,
        action="term.created" if creating else "term.changed",
        factory=site.factory,
        term=term.name,
        fields=changed,
    )
    return term
