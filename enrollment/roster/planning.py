"""Compare a checked roster with what the portal holds, and say what an import would do.

Workers are matched by factory and employee no., children by family, name and date of
birth, adults by family and name. Nothing is written here.
"""

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Adult, Child, Factory, Family, PickupPermission, Term, Worker
from enrollment.roster.columns import COLUMNS_BY_KEY, normalise
from enrollment.roster.parsing import Problem, Row, check_rows
from enrollment.roster.reading import RawSheet
from enrollment.roster.selectors import Existing, roster_existing

CREATE = "create"
UPDATE = "update"
UNCHANGED = "unchanged"


def _changes(instance, fields: dict) -> list[str]:
    """The fields whose value differs; empty values in the file never erase what is there."""
    return [name for name, value in fields.items() if value and getattr(instance, name) != value]


@dataclass
class RecordPlan:
    """What an import does to one record: create it, update the fields that changed, or
    leave it as it is."""

    existing: Worker | Child | Adult | None
    fields: dict
    changed: list[str] = field(default_factory=list)

    @property
    def action(self) -> str:
        if self.existing is None:
            return CREATE
        return UPDATE if self.changed else UNCHANGED


class WorkerPlan(RecordPlan):
    existing: Worker | None


@dataclass
class ChildPlan(RecordPlan):
    existing: Child | None
    # A consent to record (the fields of ``Consent``), and the terms to enrol the child in.
    consent: dict | None = None
    terms: dict[int, Term] = field(default_factory=dict)

    @property
    def action(self) -> str:
        if self.existing is None:
            return CREATE
        return UPDATE if self.changed or self.consent or self.terms else UNCHANGED


@dataclass
class AdultPlan(RecordPlan):
    existing: Adult | None
    new_pickups: int = 0

    @property
    def action(self) -> str:
        if self.existing is None:
            return CREATE
        return UPDATE if self.changed or self.new_pickups else UNCHANGED


@dataclass
class PickupPlan:
    child: ChildPlan
    adult: AdultPlan
    existing: PickupPermission | None

    @property
    def action(self) -> str:
        return CREATE if self.existing is None else UNCHANGED


@dataclass
class FamilyPlan:
    employee_no: str
    existing: Family | None
    worker: WorkerPlan
    children: dict[tuple, ChildPlan] = field(default_factory=dict)
    adults: dict[str, AdultPlan] = field(default_factory=dict)
    pickups: dict[tuple, PickupPlan] = field(default_factory=dict)

    @property
    def action(self) -> str:
        if self.existing is None:
            return CREATE
        parts: list[WorkerPlan | ChildPlan | AdultPlan | PickupPlan] = [
            self.worker,
            *self.children.values(),
            *self.adults.values(),
            *self.pickups.values(),
        ]
        return UPDATE if any(part.action != UNCHANGED for part in parts) else UNCHANGED


@dataclass
class RosterPlan:
    """What importing a whole roster into a factory would do: its rows as checked, and a
    plan per family."""

    factory: Factory
    sheet: RawSheet
    rows: list[Row]
    families: list[FamilyPlan]
    row_actions: dict[int, str]

    @property
    def problems(self) -> list[Problem]:
        return [problem for row in self.rows for problem in row.problems]

    @property
    def problem_rows(self) -> list[Row]:
        return [row for row in self.rows if row.problems]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not any(row.problems for row in self.rows)

    @property
    def good_rows(self) -> list[Row]:
        return [row for row in self.rows if not row.problems]

    def counts(self) -> dict[str, dict[str, int]]:
        counts = {
            kind: {CREATE: 0, UPDATE: 0, UNCHANGED: 0}
            for kind in ("families", "workers", "children", "adults", "consents", "enrolments")
        }
        for family in self.families:
            counts["families"][family.action] += 1
            counts["workers"][family.worker.action] += 1
            for child in family.children.values():
                counts["children"][child.action] += 1
                counts["consents"][CREATE] += 1 if child.consent else 0
                counts["enrolments"][CREATE] += len(child.terms)
            for adult in family.adults.values():
                counts["adults"][adult.action] += 1
        return counts

    @property
    def changes_anything(self) -> bool:
        return any(family.action != UNCHANGED for family in self.families)


def build_plan(*, factory: Factory, sheet: RawSheet, today: date | None = None) -> RosterPlan:
    """Check ``sheet`` and say what importing it into ``factory`` would create or change."""
    today = today or timezone.localdate()
    rows = check_rows(sheet, today)
    existing = roster_existing(
        factory=factory, employee_nos={row.employee_no for row in rows if row.employee_no}
    )
    _check_registered_names(rows, existing)
    notes = {row.number: list(row.notes) for row in rows}
    # A row may show a problem only once planned (an adult the family refuses, a term the
    # child is too old for). Plan again without it, so that the good rows alone are planned
    # and "import the good rows" writes nothing of a rejected row.
    for _attempt in range(3):
        families: dict[str, FamilyPlan] = {}
        row_actions = {}
        planned = [row for row in rows if not row.problems]
        for row in planned:
            row.notes = list(notes[row.number])
            family = families.get(row.employee_no)
            if family is None:
                family = families[row.employee_no] = _family_plan(row, existing)
            row_actions[row.number] = _plan_row(row, family, existing, today)
        if not any(row.problems for row in planned):
            break
    return RosterPlan(
        factory=factory,
        sheet=sheet,
        rows=rows,
        families=list(families.values()),
        row_actions=row_actions,
    )


def _check_registered_names(rows: list[Row], existing: Existing) -> None:
    for row in rows:
        worker = existing.workers.get(row.employee_no)
        if worker is None and row.employee_no:
            # A worker not yet registered needs a name and a mobile; a registered one may
            # leave them empty (an empty cell changes nothing).
            for key, value in (("worker_name", row.worker_name), ("mobile", row.mobile)):
                if not value and not row.problem_in(key):
                    row.problem(
                        key,
                        _("Fill in %(column)s: employee no. %(no)s is not registered yet.")
                        % {"column": COLUMNS_BY_KEY[key].label, "no": row.employee_no},
                    )
        if worker and row.worker_name and worker.name != row.worker_name:
            row.problem(
                "worker_name",
                _(
                    "Employee no. %(no)s is registered to %(name)s in the portal. Correct the "
                    "name, or the employee no. if this is another worker."
                )
                % {"no": row.employee_no, "name": worker.name},
            )


def _family_plan(row: Row, existing: Existing) -> FamilyPlan:
    worker = existing.workers.get(row.employee_no)
    fields = {
        "employee_no": row.employee_no,
        "name": row.worker_name,
        "mobile": row.mobile,
        "department": row.department,
        "hukou_province": row.province,
    }
    if worker is None:
        return FamilyPlan(row.employee_no, None, WorkerPlan(None, fields))
    changed = _changes(worker, fields)
    if worker.family_id is None:
        changed.append("family")
    return FamilyPlan(row.employee_no, worker.family, WorkerPlan(worker, fields, changed))


def _plan_row(row: Row, family: FamilyPlan, existing: Existing, today: date) -> str:
    """Add the row's child, pickup adult and pickup rule to the family's plan; return what
    the row does as a whole."""
    worker = family.worker
    if worker.existing is not None:
        # Later rows of a worker may fill in what earlier ones left empty.
        for name, value in (("department", row.department), ("hukou_province", row.province)):
            if value and not worker.fields[name]:
                worker.fields[name] = value
                if getattr(worker.existing, name) != value and name not in worker.changed:
                    worker.changed.append(name)
    else:
        worker.fields["department"] = worker.fields["department"] or row.department
        worker.fields["hukou_province"] = worker.fields["hukou_province"] or row.province
    family_id = family.existing.pk if family.existing else None
    child = None
    if row.has_child:
        key = (row.child_name, row.date_of_birth)
        child = family.children.get(key)
        if child is None:
            child = family.children[key] = _child_plan(row, family_id, existing)
        if row.consent_date:
            _plan_consent(row, family, child, existing)
        if row.term:
            _plan_term(row, child, existing, today)
    pickup = UNCHANGED
    if row.pickup_name:
        # A row with a pickup adult and no child is a problem (parsing), never planned.
        assert child is not None
        pickup = _plan_pickup(row, family, family_id, child, existing)
    main = child.action if child else worker.action
    if main == CREATE:
        return CREATE
    return UPDATE if UPDATE in (main, worker.action) or pickup != UNCHANGED else UNCHANGED


def _plan_consent(row: Row, family: FamilyPlan, child: ChildPlan, existing: Existing) -> None:
    on_file = existing.consents.get(child.existing.pk) if child.existing else None
    if on_file is not None:
        if (on_file.given_on, on_file.text_version) != (row.consent_date, row.consent_version):
            row.notes.append(
                _(
                    "%(child)s already has a consent on file, signed on %(date)s; it is kept. "
                    "To record a new one, use the family page."
                )
                % {"child": row.child_name, "date": on_file.given_on.isoformat()}
            )
        return
    if child.consent is not None:
        return
    worker = family.worker
    signer = row.consent_signer or worker.fields["name"] or getattr(worker.existing, "name", "")
    child.consent = {
        "given_by": signer,
        "given_by_relation": row.consent_relation,
        "given_on": row.consent_date,
        "text_version": row.consent_version,
    }


def _term_named(row: Row, terms: list[Term]) -> Term | None:
    """The factory's term the row names (with its site where two sites have one of that
    name), or None with the row's problem said."""
    found = [t for t in terms if normalise(t.name) == normalise(row.term)]
    if row.site:
        found = [t for t in found if normalise(t.site.name) == normalise(row.site)]
    if len(found) == 1:
        return found[0]
    if not found:
        names = "、".join(sorted({t.name for t in terms})) or "—"
        row.problem(
            "site"
            if row.site and any(normalise(t.name) == normalise(row.term) for t in terms)
            else "term",
            _(
                "This factory has no term “%(term)s”%(at)s. Write the term's name as the portal "
                "shows it: %(names)s."
            )
            % {
                "term": row.term,
                "at": f" ({row.site})" if row.site else "",
                "names": names,
            },
        )
        return None
    row.problem(
        "term",
        _("Several sites have a term called “%(term)s”. Write the site in the column %(column)s.")
        % {"term": row.term, "column": COLUMNS_BY_KEY["site"].label},
    )
    return None


def _plan_term(row: Row, child: ChildPlan, existing: Existing, today: date) -> None:
    term = _term_named(row, existing.terms)
    if term is None:
        return
    if child.existing and (child.existing.pk, term.pk) in existing.enrolled:
        return  # enrolled, waiting, withdrawn or done: the import changes nothing
    if term.ends_on < today:
        row.problem("term", _("The term %(term)s is over.") % {"term": term.name})
        return
    has_consent = child.consent or (child.existing and child.existing.pk in existing.consents)
    if not has_consent:
        row.problem(
            "term",
            _(
                "%(child)s has no guardian consent yet. Fill in the consent columns in this "
                "row, or record the consent on the family page first."
            )
            % {"child": row.child_name},
        )
        return
    site = term.site
    if row.date_of_birth is None:  # a problem of the row already
        return
    age = Child(date_of_birth=row.date_of_birth).age_on(term.starts_on)
    if not site.min_age <= age <= site.max_age:
        row.problem(
            "term",
            _(
                "%(child)s will be %(age)s on the first day of the term; %(site)s takes "
                "children aged %(min)s to %(max)s."
            )
            % {
                "child": row.child_name,
                "age": age,
                "site": site.name,
                "min": site.min_age,
                "max": site.max_age,
            },
        )
        return
    child.terms[term.pk] = term


def _child_plan(row: Row, family_id: int | None, existing: Existing) -> ChildPlan:
    fields = {
        "name": row.child_name,
        "sex": row.sex,
        "date_of_birth": row.date_of_birth,
        "allergies": row.allergies,
        "hukou_province": row.province,
    }
    known = existing.children.get(family_id, []) if family_id is not None else []
    for child in known:
        if child.name == row.child_name and child.date_of_birth == row.date_of_birth:
            # The hukou of a registered child is kept: it may differ from the parent's.
            fields.pop("hukou_province")
            return ChildPlan(child, fields, _changes(child, fields))
    for child in known:
        if child.name == row.child_name:
            row.notes.append(
                _(
                    "This family already has a child called %(name)s born on %(date)s; this row "
                    "adds a second child. If the date of birth was corrected, correct it on the "
                    "family page instead and remove this row."
                )
                % {"name": child.name, "date": child.date_of_birth.isoformat()}
            )
    return ChildPlan(None, fields)


def _plan_pickup(
    row: Row, family: FamilyPlan, family_id: int | None, child: ChildPlan, existing
) -> str:
    worker_names = {family.worker.fields["name"]}
    worker_names |= {w.name for w in existing.family_workers.get(family_id, [])}
    if row.pickup_name in worker_names:
        row.notes.append(
            _("%(name)s is a worker of this family; workers may always collect their children.")
            % {"name": row.pickup_name}
        )
        return UNCHANGED
    adult = family.adults.get(row.pickup_name)
    if adult is None:
        fields = {
            "name": row.pickup_name,
            "relation": row.pickup_relation,
            "mobile": row.pickup_mobile,
        }
        known = existing.adults.get(family_id, {}).get(row.pickup_name)
        changed = _changes(known, fields) if known else []
        adult = family.adults[row.pickup_name] = AdultPlan(known, fields, changed)
    pickup_key = (child.fields["name"], child.fields["date_of_birth"], row.pickup_name)
    if pickup_key in family.pickups:
        return family.pickups[pickup_key].action
    permission = None
    if child.existing and adult.existing:
        permission = existing.pickups.get((child.existing.pk, adult.existing.pk))
    if permission is not None and not permission.allowed:
        row.problem(
            "pickup_name",
            _(
                "%(adult)s is on the list of adults who must not collect %(child)s. Remove the "
                "pickup adult from this row, or change the lists on the family page first."
            )
            % {"adult": row.pickup_name, "child": row.child_name},
        )
        return UNCHANGED
    pickup = family.pickups[pickup_key] = PickupPlan(child, adult, permission)
    if pickup.action == CREATE:
        adult.new_pickups += 1
    return pickup.action if adult.action == UNCHANGED else adult.action
