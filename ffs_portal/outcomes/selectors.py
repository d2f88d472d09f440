"""Reads about program outcomes: program years, sponsors, parents' satisfaction and worker
retention. Each costs a fixed number of queries whatever the number of factories."""

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Avg, Count, Exists, F, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from attendance.models import AttendanceRecord, AttendanceStatus
from enrollment.models import (
    Enrollment,
    EnrollmentStatus,
    Factory,
    Family,
    SiteKind,
    Term,
    Worker,
)
from ffs_portal import access
from ffs_portal.outcomes import services
from ffs_portal.outcomes.lookups import Ids
from ffs_portal.outcomes.models import (
    SATISFIED_FROM,
    SURVEY_QUESTIONS,
    ParentSurvey,
    ProgramYear,
    Sponsor,
    Sponsorship,
    Support,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The share of satisfied parents the program reached in 2017: the reference on every page.
SATISFACTION_REFERENCE = 0.99
# Children with a place: they used the space (or were meant to).
PLACED = [EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED]


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# Program years -------------------------------------------------------------------------


@dataclass
class ProgramYearRow:
    factory: Factory
    program: str
    year: int
    sites: int = 0
    first_year: int | None = None
    support: str = ""
    note: str = ""
    sponsors: list[str] = field(default_factory=list)

    @property
    def ran(self) -> bool:
        return self.sites > 0

    @property
    def returning(self) -> bool:
        return self.first_year is not None and self.first_year < self.year

    @property
    def program_label(self) -> "StrOrPromise":
        return SiteKind(self.program).label

    @property
    def support_label(self) -> "StrOrPromise":
        return Support(self.support).label if self.support else ""


@dataclass
class ProgramYearSummary:
    program: str
    factories: int = 0
    new: int = 0
    returning: int = 0
    supported: int = 0
    self_run: int = 0
    not_recorded: int = 0

    @property
    def program_label(self) -> "StrOrPromise":
        return SiteKind(self.program).label


def program_years_available(user) -> list[int]:
    years = set(
        access.scoped(user, Term).values_list("starts_on__year", flat=True).distinct().order_by()
    )
    years |= set(access.scoped(user, ProgramYear).values_list("year", flat=True).distinct())
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)


def program_years(user, year: int) -> tuple[list[ProgramYearRow], list[ProgramYearSummary]]:
    """Which factories ran FFS and ASC in ``year`` (a site of theirs had a term starting that
    year), new or returning (a term of the same program in an earlier year), with their
    support and sponsors. Four queries."""
    factories = {f.pk: f for f in access.scoped(user, Factory)}
    years_run = (
        Term.objects.filter(site__factory__in=factories.keys(), starts_on__year__lte=year)
        .values("site__factory", "site__kind")
        .annotate(
            first=Min("starts_on__year"),
            sites=Count("site", distinct=True, filter=Q(starts_on__year=year)),
        )
        .order_by()
    )
    rows: dict[tuple[int, str], ProgramYearRow] = {}
    for entry in years_run:
        if not entry["sites"]:
            continue
        key = (entry["site__factory"], entry["site__kind"])
        rows[key] = ProgramYearRow(
            factory=factories[key[0]],
            program=key[1],
            year=year,
            sites=entry["sites"],
            first_year=entry["first"],
        )
    for recorded in ProgramYear.objects.filter(factory__in=factories.keys(), year=year):
        key = (recorded.factory_id, recorded.program)
        row = rows.setdefault(
            key, ProgramYearRow(factory=factories[key[0]], program=key[1], year=year)
        )
        row.support, row.note = recorded.support, recorded.note
    sponsorships = (
        Sponsorship.objects.filter(factory__in=factories.keys(), year=year)
        .select_related("sponsor")
        .order_by("sponsor__name")
    )
    for sponsorship in sponsorships:
        key = (sponsorship.factory_id, sponsorship.program)
        row = rows.setdefault(
            key, ProgramYearRow(factory=factories[key[0]], program=key[1], year=year)
        )
        row.sponsors.append(sponsorship.sponsor.name)
    ordered = sorted(rows.values(), key=lambda r: (r.program, r.factory.name))
    summaries = {kind: ProgramYearSummary(program=kind) for kind in SiteKind.values}
    for row in ordered:
        if not row.ran:
            continue
        summary = summaries[row.program]
        summary.factories += 1
        summary.returning += row.returning
        summary.new += not row.returning
        summary.supported += row.support == Support.IETP
        summary.self_run += row.support == Support.SELF_RUN
        summary.not_recorded += not row.support
    return ordered, list(summaries.values())


# Sponsors ------------------------------------------------------------------------------


def sponsors(user) -> QuerySet[Sponsor]:
    return access.scoped(user, Sponsor).annotate(
        factories=Count("sponsorships__factory", distinct=True),
        last_year=Min("sponsorships__year"),
    )


def sponsor_years(user, sponsor: Sponsor) -> list[int]:
    """The years a sponsor's report exists for, as far as the user may read it."""
    return list(
        access.scoped(user, sponsor.sponsorships.all())
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )


def sponsorships(user, sponsor: Sponsor) -> QuerySet[Sponsorship]:
    return access.scoped(user, sponsor.sponsorships.select_related("factory")).order_by(
        "-year", "factory__name", "program"
    )


# Parents' satisfaction -----------------------------------------------------------------


@dataclass
class Satisfaction:
    """Survey figures for a set of terms: response rate and share of satisfied families."""

    families: int = 0  # families with a child placed in the term (one answer each per term)
    responses: int = 0
    satisfied: int = 0
    averages: dict = field(default_factory=dict)

    @property
    def response_rate(self) -> float | None:
        return share(self.responses, self.families)

    @property
    def satisfaction_rate(self) -> float | None:
        return share(self.satisfied, self.responses)

    @property
    def reference(self) -> float:
        return SATISFACTION_REFERENCE

    def add(self, other: "Satisfaction") -> None:
        weights = self.responses, other.responses
        for question in SURVEY_QUESTIONS:
            values = [
                (avg, n)
                for avg, n in (
                    (self.averages.get(question), weights[0]),
                    (other.averages.get(question), weights[1]),
                )
                if avg is not None and n
            ]
            if values:
                self.averages[question] = sum(a * n for a, n in values) / sum(n for _a, n in values)
        self.families += other.families
        self.responses += other.responses
        self.satisfied += other.satisfied


def satisfaction_by(terms: QuerySet[Term] | Ids, *keys: str) -> dict:
    """Survey figures over the given terms per site (no ``keys``) or per any fields of the
    term's site (``"factory"``, ``"kind"``), in two queries. A family with children in two of
    the terms counts twice: it is asked once per term."""
    keys = keys or ("site",)
    paths = [k if k == "site" else f"site__{k}" for k in keys]
    fields = [f"term__{path}" for path in paths]

    def key_of(row):
        values = tuple(row[f] for f in fields)
        return values[0] if len(values) == 1 else values

    result: dict = defaultdict(Satisfaction)
    # Ids from a dashboard go in as one parameter (see outcomes.lookups).
    in_terms: dict[str, QuerySet[Term] | Ids] = (
        {"term__any": terms} if isinstance(terms, Ids) else {"term__in": terms}
    )
    families = (
        Enrollment.objects.filter(**in_terms, status__in=PLACED)
        .values("term", *fields)
        .annotate(n=Count("child__family", distinct=True))
        .order_by()
    )
    for row in families:
        result[key_of(row)].families += row["n"]
    answered = (
        ParentSurvey.objects.filter(**in_terms, answered_at__isnull=False)
        .values(*fields)
        .annotate(
            n=Count("pk"),
            satisfied=Count("pk", filter=Q(overall__gte=SATISFIED_FROM)),
            **{f"avg_{q}": Avg(q) for q in SURVEY_QUESTIONS},
        )
        .order_by()
    )
    for row in answered:
        figures = result[key_of(row)]
        figures.responses = row["n"]
        figures.satisfied = row["satisfied"]
        figures.averages = {q: row[f"avg_{q}"] for q in SURVEY_QUESTIONS}
    return result


def satisfaction_total(parts) -> Satisfaction:
    total = Satisfaction()
    for part in parts:
        total.add(part)
    return total


def survey_to_offer(site, child, today: date | None = None) -> Term | None:
    """The term whose parents' survey the tablet may offer a child's family at pickup: the
    child's term at this site while its survey is open, if the family has not answered."""
    from ffs_portal.outcomes.services import survey_kiosk_open

    today = today or timezone.localdate()
    terms = Term.objects.filter(
        site=site,
        enrollments__child=child,
        enrollments__status__in=PLACED,
        starts_on__lte=today,
    ).exclude(
        Exists(
            ParentSurvey.objects.filter(
                term=OuterRef("pk"), family=child.family_id, answered_at__isnull=False
            )
        )
    )
    return next((t for t in terms.order_by("-ends_on") if survey_kiosk_open(t, today)), None)


@dataclass
class SurveyFamily:
    family: Family
    workers: str
    children: str
    survey: ParentSurvey | None


def survey_families(user, term: Term) -> list[SurveyFamily]:
    """The families asked about a term, with their survey (answered or not), for HR."""
    placed = Enrollment.objects.filter(term=term, status__in=PLACED)
    families = (
        access.scoped(user, Family)
        .filter(Exists(placed.filter(child__family=OuterRef("pk"))))
        .prefetch_related("workers", "children")
        .order_by("pk")
    )
    surveys = {s.family_id: s for s in ParentSurvey.objects.filter(term=term)}
    placed_children = set(placed.values_list("child_id", flat=True))
    return [
        SurveyFamily(
            family=family,
            workers="、".join(w.name for w in family.workers.all()),
            children="、".join(c.name for c in family.children.all() if c.pk in placed_children),
            survey=surveys.get(family.pk),
        )
        for family in families
    ]


# Worker retention ----------------------------------------------------------------------

RETENTION_MONTHS = (3, 6, 12)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class Cohort:
    """Workers employed on the start day; of those observable k months later, how many
    were still employed."""

    workers: int = 0
    observable: dict = field(default_factory=lambda: dict.fromkeys(RETENTION_MONTHS, 0))
    retained: dict = field(default_factory=lambda: dict.fromkeys(RETENTION_MONTHS, 0))

    def rate(self, months: int) -> float | None:
        return share(self.retained[months], self.observable[months])

    def add(self, other: "Cohort") -> None:
        self.workers += other.workers
        for months in RETENTION_MONTHS:
            self.observable[months] += other.observable[months]
            self.retained[months] += other.retained[months]


@dataclass
class RetentionRow:
    """Retention over some workers: one factory's (below), or all factories' together."""

    users: Cohort = field(default_factory=Cohort)
    others: Cohort = field(default_factory=Cohort)
    unknown_hire_date: int = 0

    def difference(self, months: int) -> float | None:
        users, others = self.users.rate(months), self.others.rate(months)
        if users is None or others is None:
            return None
        return users - others

    @property
    def periods(self):
        return [
            (m, self.users.rate(m), self.others.rate(m), self.difference(m))
            for m in RETENTION_MONTHS
        ]


@dataclass(kw_only=True)
class FactoryRetention(RetentionRow):
    factory: Factory
    start: date


def retention(
    factories: QuerySet[Factory], year: int, *, program: str = "", today: date | None = None
) -> tuple[list[FactoryRetention], RetentionRow]:
    """3-, 6- and 12-month retention of workers whose children used a space against workers
    of the same factories whose children did not, in three queries.

    For each factory that ran the program in ``year``, the start day is the first day of its
    first term starting that year. Both groups hold the factory's workers employed on the
    start day (hired on or before it, not left before it); the first group, those with a
    child checked in on at least one day of one of the factory's terms starting that year.
    A worker is retained at k months when still employed k months after the start day;
    only workers whose k months have passed by today count for k."""
    today = today or timezone.localdate()
    terms = Term.objects.filter(site__factory__in=factories, starts_on__year=year)
    if program:
        terms = terms.filter(site__kind=program)
    starts = dict(
        terms.values("site__factory")
        .annotate(start=Min("starts_on"))
        .values_list("site__factory", "start")
    )
    by_factory = {f.pk: f for f in Factory.objects.filter(pk__in=starts.keys())}
    used = AttendanceRecord.objects.filter(
        child__family=OuterRef("family"),
        status__in=[AttendanceStatus.PRESENT, AttendanceStatus.COLLECTED],
        site__terms__in=terms,
        day__gte=F("site__terms__starts_on"),
        day__lte=F("site__terms__ends_on"),
    )
    workers = (
        Worker.objects.filter(factory__in=starts.keys())
        .annotate(used=Exists(used))
        .values_list("factory", "hire_date", "leave_date", "used")
    )
    rows = {
        pk: FactoryRetention(factory=by_factory[pk], start=start) for pk, start in starts.items()
    }
    for factory_id, hired, left, used_space in workers:
        row = rows[factory_id]
        start = row.start
        if hired is None:
            row.unknown_hire_date += 1
            continue
        if hired > start or (left is not None and left < start):
            continue
        cohort = row.users if used_space else row.others
        cohort.workers += 1
        for months in RETENTION_MONTHS:
            until = add_months(start, months)
            if until > today:
                continue
            cohort.observable[months] += 1
            cohort.retained[months] += left is None or left >= until
    ordered = sorted(rows.values(), key=lambda r: r.factory.name)
    total = RetentionRow()
    for row in ordered:
        total.users.add(row.users)
        total.others.add(row.others)
        total.unknown_hire_date += row.unknown_hire_date
    return ordered, total


def open_surveys(family_id: int, day: date) -> list[Term]:
    """Terms of the family's children whose parents' survey is open on ``day`` and that the
    family has not answered yet: what the parents' page asks about."""
    terms = (
        Term.objects.filter(
            enrollments__child__family_id=family_id,
            enrollments__status__in=[EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED],
        )
        .exclude(surveys__family_id=family_id, surveys__answered_at__isnull=False)
        .select_related("site")
        .distinct()
        .order_by("ends_on", "pk")
    )
    return [term for term in terms if services.survey_kiosk_open(term, day)]
