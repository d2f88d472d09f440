"""Reads of families, children and enrolments, always through the access scope."""

import calendar
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, cast

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import (
    ACTIVE_ENROLLMENT_STATUSES,
    Adult,
    Child,
    Consent,
    Enrollment,
    EnrollmentStatus,
    Family,
    PickupPermission,
    Term,
    Worker,
)
from ffs_portal import access, audit
from ffs_portal.models import AuditEntry

FAMILY_PAGE_SIZE = 50


def _children_with_status():
    return Child.objects.order_by("date_of_birth").prefetch_related(
        Prefetch(
            "consents",
            queryset=Consent.objects.filter(withdrawn_at__isnull=True),
            to_attr="active_consents",
        ),
        Prefetch(
            "enrollments",
            queryset=Enrollment.objects.select_related("term__site").order_by("-term__starts_on"),
        ),
    )


def family_search(
    user,
    *,
    query: str = "",
    consent_missing: bool = False,
    status: str = "",
    term: Term | None = None,
) -> QuerySet[Family]:
    """The user's families, newest change first, each with workers, children, their active
    consent and enrolments prefetched (a constant number of queries per page)."""
    families = access.scoped(user, Family)
    query = query.strip()
    if query:
        q_lower = query.lower()
        children = Child.objects.filter(family=OuterRef("pk")).filter(
            Q(name__icontains=query)
            | Q(name_initials__startswith=q_lower)
            | Q(name_pinyin__startswith=q_lower)
        )
        workers = Worker.objects.filter(family=OuterRef("pk")).filter(
            Q(name__icontains=query) | Q(employee_no__icontains=query) | Q(mobile__contains=query)
        )
        adults = Adult.objects.filter(family=OuterRef("pk")).filter(
            Q(name__icontains=query) | Q(mobile__contains=query)
        )
        families = families.filter(Exists(children) | Exists(workers) | Exists(adults))
    if consent_missing:
        without_consent = Child.objects.filter(family=OuterRef("pk")).exclude(
            Exists(Consent.objects.filter(child=OuterRef("pk"), withdrawn_at__isnull=True))
        )
        families = families.filter(Exists(without_consent))
    if status or term:
        enrollments = Enrollment.objects.filter(child__family=OuterRef("pk"))
        if status:
            enrollments = enrollments.filter(status=status)
        if term:
            enrollments = enrollments.filter(term=term)
        families = families.filter(Exists(enrollments))
    return (
        families.select_related("factory")
        .prefetch_related(
            Prefetch("workers", queryset=Worker.objects.order_by("name")),
            Prefetch("children", queryset=_children_with_status()),
        )
        .order_by("-updated_at", "-pk")
    )


def family_for_page(user, key) -> Family:
    """One family with everything its page shows, or a 404 outside the user's scope."""
    queryset = (
        access.scoped(user, Family)
        .select_related("factory")
        .prefetch_related(
            Prefetch("workers", queryset=Worker.objects.order_by("name")),
            Prefetch("adults", queryset=Adult.objects.order_by("name")),
            Prefetch(
                "children",
                queryset=_children_with_status().prefetch_related(
                    Prefetch(
                        "pickups",
                        queryset=PickupPermission.objects.select_related("adult").order_by(
                            "-allowed", "adult__name"
                        ),
                    ),
                    Prefetch(
                        "consents",
                        queryset=Consent.objects.order_by("-recorded_at"),
                        to_attr="all_consents",
                    ),
                ),
            ),
        )
    )
    return access.get_scoped_or_404(user, queryset, key=key)


VIEW_ACTIONS = audit.READ_ACTIONS


def family_history(family: Family, limit: int = 50):
    """Changes to the family's records, newest first (views are summarised apart)."""
    return (
        AuditEntry.objects.filter(family=family)
        .exclude(action__in=VIEW_ACTIONS)
        .select_related("actor", "child")
        .order_by("-at", "-pk")[:limit]
    )


def family_viewers(family: Family):
    """Who has looked at the children's records: per person, how often and when last."""
    return (
        AuditEntry.objects.filter(family=family, action__in=VIEW_ACTIONS)
        .values("actor__username", "actor__last_name", "actor__first_name")
        .annotate(times=Count("id"), last=Max("at"))
        .order_by("-last")
    )


def open_terms(user, family: Family) -> QuerySet[Term]:
    """Terms of the family's factory that have not ended, to enrol a child in."""
    return (
        access.scoped(user, Term)
        .filter(site__factory=family.factory, ends_on__gte=timezone.localdate())
        .select_related("site")
        .annotate(
            enrolled=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ENROLLED)),
            waiting=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.WAITLISTED)),
        )
        .order_by("starts_on", "site__name")
    )


if TYPE_CHECKING:

    class ChildWithConsent(Child):
        """A child as ``family_children_with_consent`` reads it."""

        active_consents: list[Consent]
        placed: bool

        class Meta:
            abstract = True


def family_children_with_consent(family: Family) -> "list[ChildWithConsent]":
    """The family's children for its consent and enrolment steps: each with its active
    consent (``active_consents``) and whether it already has a place or a waitlist entry in
    a term not yet over (``placed``). Two queries."""
    today = timezone.localdate()
    placed = Enrollment.objects.filter(
        child=OuterRef("pk"), status__in=ACTIVE_ENROLLMENT_STATUSES, term__ends_on__gte=today
    )
    children = list(
        family.children.order_by("date_of_birth")
        .annotate(placed=Exists(placed))
        .prefetch_related(
            Prefetch(
                "consents",
                queryset=Consent.objects.filter(withdrawn_at__isnull=True),
                to_attr="active_consents",
            )
        )
    )
    return cast("list[ChildWithConsent]", children)


def _years_before(day: date, years: int) -> date:
    # 29 February in a year without one: the 28th (as ``age_on`` counts birthdays).
    year = day.year - years
    if (day.month, day.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return day.replace(year=year)


def term_candidates(user, term: Term) -> QuerySet[Child]:
    """Children of the term's factory whom HR may enrol in it from the term's page: with a
    guardian's consent, of an age the site takes on the first day, and neither placed nor
    waiting in this term already. By name, with the family's workers."""
    site = term.site
    first_day = term.starts_on
    # Born between these days: min_age to max_age years old on the first day.
    youngest = _years_before(first_day, site.min_age)
    oldest = _years_before(first_day, site.max_age + 1)
    return (
        access.scoped(user, Child)
        .filter(family__factory_id=site.factory_id)
        .filter(date_of_birth__lte=youngest, date_of_birth__gt=oldest)
        .filter(Exists(Consent.objects.filter(child=OuterRef("pk"), withdrawn_at__isnull=True)))
        .exclude(
            Exists(
                Enrollment.objects.filter(
                    child=OuterRef("pk"), term=term, status__in=ACTIVE_ENROLLMENT_STATUSES
                )
            )
        )
        .prefetch_related(Prefetch("family__workers", queryset=Worker.objects.order_by("name")))
        .select_related("family")
        .order_by("name", "date_of_birth")
    )


def term_roster(term: Term) -> dict:
    """Enrolled children and the waitlist, in order, of one term."""
    enrollments = (
        term.enrollments.filter(status__in=ACTIVE_ENROLLMENT_STATUSES)
        .select_related("child__family", "room")
        .order_by("applied_at", "id")
    )
    enrolled = [e for e in enrollments if e.status == EnrollmentStatus.ENROLLED]
    waiting = [e for e in enrollments if e.status != EnrollmentStatus.ENROLLED]
    return {
        "enrolled": enrolled,
        "waiting": waiting,
        "free": max(term.site.capacity - len(enrolled), 0),
    }


def term_children(term: Term) -> QuerySet[Child]:
    """Children with a place in the term, youngest last, with their enrolments."""
    return (
        _children_with_status()
        .filter(enrollments__term=term, enrollments__status=EnrollmentStatus.ENROLLED)
        .select_related("family")
        .order_by("name")
    )


def cards_for(children) -> list[dict]:
    """What each child's card shows: name, the site of the current enrolment, photo, QR."""
    from enrollment.cards import qr_svg

    today = timezone.localdate()
    cards = []
    for child in children:
        enrollments = [
            e
            for e in child.enrollments.all()
            if e.status in ACTIVE_ENROLLMENT_STATUSES and e.term.ends_on >= today
        ]
        current = min(enrollments, key=lambda e: e.term.starts_on, default=None)
        cards.append(
            {
                "child": child,
                "site": current.term.site if current else None,
                "term": current.term if current else None,
                "qr": qr_svg(child.card_token),
            }
        )
    return cards


@dataclass
class PickupCard:
    """One adult's pickup card: who they are, their code and the children they may collect."""

    person: Worker | Adult
    relation: str
    children: list[Child]

    @property
    def photo(self) -> bool:
        return isinstance(self.person, Adult) and bool(self.person.photo)


def pickup_cards(family: Family, today: date | None = None) -> list[PickupCard]:
    """A card for each parent (all the family's children) and each adult allowed to collect
    at least one child now or later. Three queries."""
    today = today or timezone.localdate()
    children = list(family.children.order_by("date_of_birth"))
    cards = [
        PickupCard(worker, str(_("Parent (factory worker)")), children)
        for worker in family.workers.order_by("name")
    ]
    allowed: dict[int, PickupCard] = {}
    for permission in (
        PickupPermission.objects.filter(child__family=family, allowed=True)
        .select_related("adult", "child")
        .order_by("adult__name", "child__date_of_birth")
    ):
        if permission.valid_to is not None and permission.valid_to < today:
            continue
        card = allowed.setdefault(
            permission.adult_id,
            PickupCard(permission.adult, permission.adult.get_relation_display(), []),
        )
        card.children.append(permission.child)
    return cards + list(allowed.values())


def adults_without_photo(user) -> QuerySet[Adult]:
    """Adults who may collect a child enrolled now, and whom no photo shows to the carer at
    the door: HR's list of photos to take."""
    enrolled = Enrollment.objects.filter(status__in=ACTIVE_ENROLLMENT_STATUSES).values("child")
    return (
        access.scoped(user, Adult)
        .filter(photo="", pickups__allowed=True, pickups__child__in=enrolled)
        .select_related("family")
        .prefetch_related("family__workers")
        .distinct()
        .order_by("family__workers__name", "name")
    )
