"""Compute the per-site-per-day figures (``SiteDay``) from attendance, incidents, refusals
and the minutes over ratio that ``staff`` records (``RatioDay``).

A site-day exists when the site was open (a term running, the weekday open, not a closed
day) or when anything was recorded there that day. Children expected: those enrolled (or
completed) in a term running that day, plus any other child with a record that day (a child
withdrawn since, say). Every expected child is attended (checked in: present or collected),
absent (by reason) or unrecorded (neither)."""

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from attendance.models import (
    AbsenceReason,
    AttendanceRecord,
    AttendanceStatus,
    Incident,
    RefusedPickup,
)
from enrollment.models import ClosedDay, Enrollment, EnrollmentStatus, OpeningHours, Site, Term
from ffs_portal.outcomes.figures import SUMMED
from ffs_portal.outcomes.models import SiteDay
from staff.models import RatioDay

PLACED = [EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED]
ATTENDED = [AttendanceStatus.PRESENT, AttendanceStatus.COLLECTED]


def _days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def listed(site_ids, start: date, end: date, children=None) -> dict[tuple[int, date], int]:
    """Children on each site's list per open day (three queries and a walk over the days);
    only those among ``children`` (a queryset of child ids) when it is given."""
    terms = list(
        Term.objects.filter(site__in=site_ids, starts_on__lte=end, ends_on__gte=start).only(
            "pk", "site", "starts_on", "ends_on"
        )
    )
    enrollments = Enrollment.objects.filter(term__in=[t.pk for t in terms], status__in=PLACED)
    if children is not None:
        enrollments = enrollments.filter(child__in=children)
    per_term = dict(
        enrollments.values("term")
        .annotate(n=Count("child", distinct=True))
        .values_list("term", "n")
        .order_by()
    )
    closed = defaultdict(set)
    for term_id, day in ClosedDay.objects.filter(
        term__in=[t.pk for t in terms], date__gte=start, date__lte=end
    ).values_list("term", "date"):
        closed[term_id].add(day)
    weekdays = defaultdict(set)
    for site_id, weekday in OpeningHours.objects.filter(site__in=site_ids).values_list(
        "site", "weekday"
    ):
        weekdays[site_id].add(weekday)
    result: dict[tuple[int, date], int] = {}
    for term in terms:
        for day in _days(max(term.starts_on, start), min(term.ends_on, end)):
            if term.opens_on(day, closed[term.pk], weekdays[term.site_id]):
                key = (term.site_id, day)
                result[key] = result.get(key, 0) + per_term.get(term.pk, 0)
    return result


def compute(site_ids, start: date, end: date, children=None) -> dict[tuple[int, date], dict]:
    """The figures of every site-day in the range, in eight grouped queries. With
    ``children`` (a queryset of child ids), the figures of those children only (the minutes
    over ratio stay the site's)."""
    figures: dict[tuple[int, date], dict] = defaultdict(lambda: dict.fromkeys(SUMMED, 0))
    for key, n in listed(site_ids, start, end, children).items():
        figures[key]["expected"] = n
    in_range = {"site__in": site_ids, "day__gte": start, "day__lte": end}
    if children is not None:
        in_range["child__in"] = children
    attended = Q(status__in=ATTENDED)
    absent = Q(status=AttendanceStatus.ABSENT)
    records = (
        AttendanceRecord.objects.filter(**in_range)
        .values("site", "day")
        .annotate(
            attended=Count("pk", filter=attended),
            absent_ill=Count("pk", filter=absent & Q(absence_reason=AbsenceReason.ILL)),
            absent_family=Count("pk", filter=absent & Q(absence_reason=AbsenceReason.WITH_FAMILY)),
            absent_unknown=Count(
                "pk",
                filter=absent
                & ~Q(absence_reason__in=[AbsenceReason.ILL, AbsenceReason.WITH_FAMILY]),
            ),
            late_pickups=Count("pk", filter=Q(late=True)),
            not_checked_out=Count("pk", filter=Q(closed_without_check_out=True)),
        )
        .order_by()
    )
    for row in records:
        target = figures[(row["site"], row["day"])]
        for name in ("attended", "absent_ill", "absent_family", "absent_unknown"):
            target[name] = row[name]
        target["late_pickups"] = row["late_pickups"]
        target["not_checked_out"] = row["not_checked_out"]
    # Records of children not on that day's list: they are expected too.
    on_list = Enrollment.objects.filter(
        child=OuterRef("child"),
        term__site=OuterRef("site"),
        status__in=PLACED,
        term__starts_on__lte=OuterRef("day"),
        term__ends_on__gte=OuterRef("day"),
    )
    unlisted = (
        AttendanceRecord.objects.filter(**in_range)
        .filter(Q(status__in=ATTENDED) | absent)
        .exclude(Exists(on_list))
        .values("site", "day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in unlisted:
        figures[(row["site"], row["day"])]["expected"] += row["n"]
    incidents = Incident.objects.filter(
        site__in=site_ids, occurred_at__date__gte=start, occurred_at__date__lte=end
    )
    if children is not None:
        incidents = incidents.filter(child__in=children)
    incidents = incidents.values("site", "occurred_at__date").annotate(n=Count("pk")).order_by()
    for row in incidents:
        figures[(row["site"], row["occurred_at__date"])]["incidents"] = row["n"]
    refused = RefusedPickup.objects.filter(**in_range).values("site", "day").annotate(n=Count("pk"))
    for row in refused.order_by():
        figures[(row["site"], row["day"])]["refused_pickups"] = row["n"]
    site_range = {"site__in": site_ids, "day__gte": start, "day__lte": end}
    for site_id, day, minutes in RatioDay.objects.filter(**site_range).values_list(
        "site", "day", "minutes_over"
    ):
        if (site_id, day) in figures:
            figures[(site_id, day)]["minutes_over_ratio"] = minutes
    for values in figures.values():
        recorded = (
            values["attended"]
            + values["absent_ill"]
            + values["absent_family"]
            + values["absent_unknown"]
        )
        values["expected"] = max(values["expected"], recorded)
        values["unrecorded"] = values["expected"] - recorded
    return figures


def rebuild(*, start: date, end: date, site_ids=None) -> int:
    """Write the site-days of the range (and remove those that no longer exist). Returns
    how many were written."""
    if site_ids is None:
        site_ids = list(Site.objects.values_list("pk", flat=True))
    site_ids = list(site_ids)
    figures = compute(site_ids, start, end)
    now = timezone.now()
    rows = [
        SiteDay(site_id=site_id, day=day, computed_at=now, **values)
        for (site_id, day), values in figures.items()
    ]
    _remove_stale(site_ids, start, end, set(figures))
    SiteDay.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["site", "day"],
        update_fields=[*SUMMED, "computed_at"],
    )
    return len(rows)


def _remove_stale(site_ids, start, end, keep: set) -> None:
    stale = [
        pk
        for pk, site_id, day in SiteDay.objects.filter(
            site__in=site_ids, day__gte=start, day__lte=end
        ).values_list("pk", "site", "day")
        if (site_id, day) not in keep
    ]
    if stale:
        SiteDay.objects.filter(pk__in=stale).delete()
