"""What the retention page shows, for the factories the user may see."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import cast

from django.db.models import Count, Max, OuterRef, QuerySet, Subquery

from enrollment.models import Child, Enrollment, SiteKind
from ffs_portal import access
from ffs_portal.retention.models import (
    ChildOnFile,
    ChildRetentionQuerySet,
    RetentionHold,
    RetentionRun,
    policy_months,
)

SOON_DAYS = 30


def children_on_file(user) -> ChildRetentionQuerySet:
    """The children the user may see, under the retention rules."""
    return cast(ChildRetentionQuerySet, access.scoped(user, ChildOnFile))


@dataclass
class Forecast:
    day: date
    due_now: int
    families_now: int
    held_now: int
    due_soon: int
    families_soon: int
    soon_until: date


def forecast(user, day: date) -> Forecast:
    """What the next run will do (children due now, families whose last child is among
    them), and what the following 30 days add."""
    children = children_on_file(user)
    due = children.due_on(day)
    held = due.held_on(day).count()
    soon_until = day + timedelta(days=SOON_DAYS)
    soon = children.due_on(soon_until).exclude(pk__in=due.values("pk"))
    return Forecast(
        day=day,
        due_now=due.count() - held,
        families_now=_families_emptied(due.exclude(pk__in=due.held_on(day).values("pk"))),
        held_now=held,
        due_soon=soon.count(),
        families_soon=_families_emptied(children.due_on(soon_until)) - _families_emptied(due),
        soon_until=soon_until,
    )


def _families_emptied(due: QuerySet) -> int:
    """Families all of whose children still on file are in ``due``."""
    on_file = (
        Child.objects.filter(family__in=due.values("family"), anonymised_at__isnull=True)
        .values("family")
        .annotate(n=Count("pk"))
    )
    due_by_family = dict(due.values("family").annotate(n=Count("pk")).values_list("family", "n"))
    return sum(1 for row in on_file if due_by_family.get(row["family"]) == row["n"])


@dataclass
class DryRunLine:
    key: str
    factory: str
    program: str
    last_term_ended: date | None
    held: bool
    family_too: bool


@dataclass
class DryRun:
    day: date
    lines: list[DryRunLine] = field(default_factory=list)

    @property
    def children(self) -> int:
        return sum(1 for line in self.lines if not line.held)

    @property
    def held(self) -> int:
        return sum(1 for line in self.lines if line.held)

    @property
    def families(self) -> int:
        return sum(1 for line in self.lines if line.family_too and not line.held)


def dry_run(user, day: date) -> DryRun:
    """What the run would do that day, child by child (keys only, never a name); writes
    nothing."""
    children = children_on_file(user)
    due = children.due_on(day)
    held = set(due.held_on(day).values_list("pk", flat=True))
    rows = list(
        due.select_related("family__factory")
        .annotate(
            last_ended=Max("enrollments__term__ends_on"),
            last_program=Subquery(
                Enrollment.objects.filter(child=OuterRef("pk"))
                .order_by("-term__ends_on")
                .values("term__site__kind")[:1]
            ),
        )
        .order_by("family__factory__name", "last_ended", "pk")
    )
    goes = {c.pk for c in rows if c.pk not in held}
    remaining = dict(
        Child.objects.filter(family__in={c.family_id for c in rows}, anonymised_at__isnull=True)
        .values("family")
        .annotate(n=Count("pk"))
        .values_list("family", "n")
    )
    going_by_family: dict[int, int] = {}
    for child in rows:
        if child.pk in goes:
            going_by_family[child.family_id] = going_by_family.get(child.family_id, 0) + 1
    kinds = dict(SiteKind.choices)
    return DryRun(
        day=day,
        lines=[
            DryRunLine(
                key=str(child.key),
                factory=child.family.factory.name,
                program=str(kinds.get(child.last_program, "—")),
                last_term_ended=child.last_ended,
                held=child.pk in held,
                family_too=going_by_family.get(child.family_id) == remaining.get(child.family_id),
            )
            for child in rows
        ],
    )


def policies() -> list[tuple[str, int]]:
    """Each program with the months its children's data is kept after the last term."""
    kinds = dict(SiteKind.choices)
    return [(str(kinds[program]), months) for program, months in policy_months().items()]


def runs(user, limit: int = 20) -> list[RetentionRun]:
    """Past runs, each with the figures of the factories the user may see."""
    factory_ids = {str(pk) for pk in access.factory_ids(user).values_list("pk", flat=True)}
    result = []
    for run in RetentionRun.objects.select_related("by").order_by("-day", "-pk"):
        lines = [v for k, v in (run.report.get("factories") or {}).items() if k in factory_ids]
        if run.trigger == "request" and not lines:
            continue
        run.seen_children = sum(line["children"] for line in lines)  # type: ignore[attr-defined]
        run.seen_families = sum(line["families"] for line in lines)  # type: ignore[attr-defined]
        run.seen_held = sum(line["held"] for line in lines)  # type: ignore[attr-defined]
        result.append(run)
        if len(result) >= limit:
            break
    return result


def holds(user, day: date) -> QuerySet[RetentionHold]:
    """Holds in force, on children the user may see."""
    return (
        access.scoped(user, RetentionHold.objects.active_on(day))
        .select_related("child__family__factory", "incident", "placed_by")
        .order_by("until")
    )
