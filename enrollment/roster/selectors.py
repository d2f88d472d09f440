"""Reads for the roster: what the portal already holds for an import, and the rows of an
export. A fixed number of queries, however long the roster."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from enrollment.models import (
    Adult,
    Child,
    Consent,
    Enrollment,
    Factory,
    PickupPermission,
    Term,
    Worker,
)
from ffs_portal import access


@dataclass
class Existing:
    """Workers, children, adults and pickup rules of the families an import touches."""

    workers: dict[str, Worker] = field(default_factory=dict)  # employee no. → worker
    family_workers: dict[int, list[Worker]] = field(default_factory=lambda: defaultdict(list))
    children: dict[int, list[Child]] = field(default_factory=lambda: defaultdict(list))
    adults: dict[int, dict[str, Adult]] = field(default_factory=lambda: defaultdict(dict))
    pickups: dict[tuple[int, int], PickupPermission] = field(default_factory=dict)
    consents: dict[int, Consent] = field(default_factory=dict)  # child → active consent
    enrolled: set[tuple[int, int]] = field(default_factory=set)  # (child, term), any status
    terms: list[Term] = field(default_factory=list)  # the factory's terms, with their sites


def roster_existing(*, factory: Factory, employee_nos) -> Existing:
    """Seven queries for any number of employee numbers."""
    existing = Existing()
    employee_nos = list(employee_nos)
    if not employee_nos:
        return existing
    existing.terms = list(
        Term.objects.filter(site__factory=factory).select_related("site").order_by("-starts_on")
    )
    families = Worker.objects.filter(
        factory=factory, employee_no__in=employee_nos, family__isnull=False
    ).values("family_id")
    for worker in Worker.objects.filter(
        Q(factory=factory, employee_no__in=employee_nos) | Q(family_id__in=families)
    ).select_related("family"):
        if worker.employee_no in employee_nos:
            existing.workers[worker.employee_no] = worker
        if worker.family_id:
            existing.family_workers[worker.family_id].append(worker)
    for child in Child.objects.filter(family_id__in=families):
        existing.children[child.family_id].append(child)
    for adult in Adult.objects.filter(family_id__in=families):
        existing.adults[adult.family_id][adult.name] = adult
    for permission in PickupPermission.objects.filter(child__family_id__in=families):
        existing.pickups[(permission.child_id, permission.adult_id)] = permission
    for consent in Consent.objects.active().filter(child__family_id__in=families):
        existing.consents[consent.child_id] = consent
    existing.enrolled = set(
        Enrollment.objects.filter(child__family_id__in=families).values_list("child_id", "term_id")
    )
    return existing


def export_factories(user):
    """The factories whose roster ``user`` may export."""
    return access.scoped(user, Factory).order_by("name")


def roster_children(*, user, factory: Factory):
    """The children of ``factory`` that ``user`` may see, with what an export writes of
    them: the family's workers, the adults who may collect, consent and enrolments."""
    return (
        access.scoped(user, Child)
        .filter(family__factory=factory)
        .select_related("family")
        .prefetch_related(
            Prefetch("family__workers", queryset=Worker.objects.order_by("employee_no")),
            Prefetch(
                "pickups",
                queryset=PickupPermission.objects.filter(allowed=True)
                .select_related("adult")
                .order_by("adult__name"),
                to_attr="allowed_pickups",
            ),
            Prefetch(
                "consents",
                queryset=Consent.objects.filter(withdrawn_at__isnull=True),
                to_attr="active_consents",
            ),
            Prefetch(
                "enrollments",
                queryset=Enrollment.objects.select_related("term__site").order_by(
                    "-term__starts_on", "-applied_at"
                ),
                to_attr="latest_enrollments",
            ),
        )
    )


def roster_workers_without_children(*, user, factory: Factory):
    """Workers of ``factory`` registered without a child yet (an export lists them too)."""
    return (
        access.scoped(user, Worker)
        .filter(factory=factory)
        .filter(Q(family__isnull=True) | Q(family__children__isnull=True))
        .order_by("employee_no")
    )
