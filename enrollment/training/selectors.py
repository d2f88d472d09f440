"""Reads for parent training: sessions, who to invite, and the program's reach."""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from enrollment.models import (
    Child,
    Enrollment,
    EnrollmentStatus,
    Factory,
    LivesWith,
    Term,
    Worker,
    normalise_employee_no,
)
from enrollment.training.models import (
    Invitation,
    SessionAttendance,
    SessionFeedback,
    TrainingSession,
)
from ffs_portal import access

# A child who usually lives away from the parents, in the home village or at a boarding school.
AWAY_FROM_PARENTS = [
    LivesWith.GRANDPARENTS_VILLAGE,
    LivesWith.RELATIVES_VILLAGE,
    LivesWith.ALONE_OR_BOARDING,
]


def year_bounds(year: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(date(year, 1, 1), time.min, tzinfo=tz),
        datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=tz),
    )


def left_behind_children(year: int) -> QuerySet[Child]:
    """Children who live away from their parents, or who have no place in a space this year."""
    # The year's terms as plain ids: joined to terms inside the correlated subquery, the
    # planner scans every term once per child (a third of a second on program-scale data).
    terms = list(
        Term.objects.filter(
            starts_on__lte=date(year, 12, 31), ends_on__gte=date(year, 1, 1)
        ).values_list("pk", flat=True)
    )
    with_place = Enrollment.objects.filter(
        child=OuterRef("pk"),
        status__in=[EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED],
        term__in=terms,
    )
    return Child.objects.filter(Q(lives_with__in=AWAY_FROM_PARENTS) | ~Exists(with_place))


def left_behind_parents(year: int) -> QuerySet[Worker]:
    children = left_behind_children(year).filter(family=OuterRef("family"))
    return Worker.objects.filter(family__isnull=False).filter(Exists(children))


def sessions(user) -> QuerySet[TrainingSession]:
    return (
        access.scoped(user, TrainingSession)
        .select_related("course", "factory")
        .annotate(
            invited=Count("invitations", distinct=True),
            attended=Count("attendances", distinct=True),
        )
        .order_by("-starts_at")
    )


def invite_candidates(session: TrainingSession, *, left_behind_only: bool, query: str = ""):
    """Workers of the session's factory still at work, parents of left-behind children first."""
    year = timezone.localtime(session.starts_at).year
    workers = (
        Worker.objects.filter(factory=session.factory)
        .filter(Q(leave_date__isnull=True) | Q(leave_date__gte=timezone.localdate()))
        .annotate(
            parent_of_left_behind=Exists(
                left_behind_children(year).filter(family=OuterRef("family"))
            ),
            invited=Exists(session.invitations.filter(worker=OuterRef("pk"))),
        )
        .order_by("-parent_of_left_behind", "department", "name")
    )
    if left_behind_only:
        workers = workers.filter(parent_of_left_behind=True)
    query = query.strip()
    if query:
        workers = workers.filter(Q(name__icontains=query) | Q(employee_no__icontains=query))
    return workers


# The desk is a tablet in the open: a name is found by two characters or more, an employee
# number only whole, and only among those invited, so nobody can list the factory.
MIN_NAME_CHARACTERS = 2


def sign_in_matches(session: TrainingSession, query: str, limit: int = 12):
    """The session's invitees matching at least two characters of a name, or a whole
    employee number (the badge shows it)."""
    query = query.strip()
    if len(query) < MIN_NAME_CHARACTERS:
        return Worker.objects.none()
    return (
        Worker.objects.filter(factory=session.factory)
        .filter(Exists(session.invitations.filter(worker=OuterRef("pk"))))
        .filter(Q(name__icontains=query) | Q(employee_no__iexact=normalise_employee_no(query)))
        .annotate(
            signed_in=Exists(session.attendances.filter(worker=OuterRef("pk"))),
            invited=Exists(session.invitations.filter(worker=OuterRef("pk"))),
        )
        .order_by("name")[:limit]
    )


@dataclass
class Reach:
    """Training's reach over some factories: one factory's (below), or all together."""

    sessions_held: int = 0
    attendances: int = 0
    workers_trained: int = 0
    repeat_workers: int = 0
    left_behind_parents: int = 0
    left_behind_reached: int = 0
    feedback_responses: int = 0
    feedback_average: float | None = None

    @property
    def left_behind_share(self) -> float | None:
        if not self.left_behind_parents:
            return None
        return self.left_behind_reached / self.left_behind_parents

    @property
    def repeat_share(self) -> float | None:
        return self.repeat_workers / self.workers_trained if self.workers_trained else None

    @property
    def response_rate(self) -> float | None:
        return self.feedback_responses / self.attendances if self.attendances else None


@dataclass(kw_only=True)
class FactoryReach(Reach):
    factory: Factory


def reach(factories: QuerySet[Factory], year: int) -> list[FactoryReach]:
    """Per factory and year: sessions held, workers trained, share of parents of left-behind
    children reached, repeat attendance and feedback. A handful of queries, whatever the size."""
    start, end = year_bounds(year)
    # A session is held when someone came to it.
    held = TrainingSession.objects.filter(
        factory__in=factories, starts_at__gte=start, starts_at__lt=end
    ).filter(Exists(SessionAttendance.objects.filter(session=OuterRef("pk"))))
    rows = {f.pk: FactoryReach(factory=f) for f in factories}
    for row in held.values("factory").annotate(n=Count("id")):
        rows[row["factory"]].sessions_held = row["n"]
    per_worker = (
        SessionAttendance.objects.filter(session__in=held)
        .values("worker", "session__factory")
        .annotate(n=Count("id"))
    )
    for row in per_worker:
        reach_row = rows[row["session__factory"]]
        reach_row.attendances += row["n"]
        reach_row.workers_trained += 1
        reach_row.repeat_workers += row["n"] >= 2
    attended = SessionAttendance.objects.filter(session__in=held, worker=OuterRef("pk"))
    parents = (
        left_behind_parents(year)
        .filter(factory__in=factories)
        .filter(Q(leave_date__isnull=True) | Q(leave_date__gte=start.date()))
        .annotate(attended=Exists(attended))
        .values("factory")
        .annotate(total=Count("id"), reached=Count("id", filter=Q(attended=True)))
    )
    for row in parents:
        rows[row["factory"]].left_behind_parents = row["total"]
        rows[row["factory"]].left_behind_reached = row["reached"]
    feedback = (
        SessionFeedback.objects.filter(attendance__session__in=held)
        .values("attendance__session__factory")
        .annotate(
            n=Count("id"),
            # Not "average": the model has a property of that name.
            mean=Avg((F("usefulness") + F("clarity") + F("will_apply")) / 3.0),
        )
    )
    for row in feedback:
        reach_row = rows[row["attendance__session__factory"]]
        reach_row.feedback_responses = row["n"]
        reach_row.feedback_average = row["mean"]
    return sorted(rows.values(), key=lambda r: r.factory.name)


def total(rows: list[FactoryReach]) -> Reach:
    """The program-wide line under the per-factory table (shares recomputed, not averaged)."""
    summed = Reach()
    weighted = 0.0
    for row in rows:
        for field in (
            "sessions_held",
            "attendances",
            "workers_trained",
            "repeat_workers",
            "left_behind_parents",
            "left_behind_reached",
            "feedback_responses",
        ):
            setattr(summed, field, getattr(summed, field) + getattr(row, field))
        if row.feedback_average is not None:
            weighted += row.feedback_average * row.feedback_responses
    if summed.feedback_responses:
        summed.feedback_average = weighted / summed.feedback_responses
    return summed


def invitations(guardian: Worker) -> list[Invitation]:
    """The parent training sessions a guardian is invited to that have not ended."""
    return list(
        Invitation.objects.filter(worker=guardian, session__ends_at__gte=timezone.now())
        .select_related("session__course")
        .order_by("session__starts_at")
    )
