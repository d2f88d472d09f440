"""What a site's page adds to the dashboard's figures: the last two weeks day by day, who
was collected late, what happened, and whether the staff on duty are enough."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from attendance.models import AttendanceRecord, Incident, RollCall
from enrollment.models import Site
from ffs_portal import access
from ffs_portal.lib import clock
from ffs_portal.notices import selectors as notice_selectors
from ffs_portal.outcomes.dashboard import Scope
from ffs_portal.outcomes.figures import Figures
from ffs_portal.outcomes.models import SiteDay
from ffs_portal.outcomes.tables import DAY, INT, SHARE, Column, Table
from staff import selectors as staff_selectors

RECENT_DAYS = 14


def days_table(site: Site, scope: Scope) -> Table:
    """The last two weeks, one row per day the site was open, from the day table (one query)."""
    start = scope.today - timedelta(days=RECENT_DAYS)
    columns = [
        Column(pgettext("calendar date", "Day"), DAY),
        Column(_("Child-days expected"), INT),
        Column(_("Attended"), INT),
        Column(_("Attendance rate"), SHARE),
        Column(_("Absent: ill"), INT),
        Column(_("Absent: with family"), INT),
        Column(_("Absent: reason unknown"), INT),
        Column(_("Not recorded"), INT),
        Column(_("Late pickups"), INT),
        Column(_("Not checked out"), INT),
        Column(_("Incidents"), INT),
        Column(_("Refused pickups"), INT),
        Column(_("Minutes over ratio"), INT),
    ]
    table = Table("days", _("The last two weeks, day by day"), columns)
    days = SiteDay.objects.filter(site=site, day__gte=start, day__lte=scope.yesterday).order_by(
        "-day"
    )
    for day in days:
        figures = Figures.from_row(day.__dict__, prefix="")
        table.rows.append(
            [
                day.day,
                figures.expected,
                figures.attended,
                figures.rate,
                figures.absent_ill,
                figures.absent_family,
                figures.absent_unknown,
                figures.unrecorded,
                figures.late_pickups,
                figures.not_checked_out,
                figures.incidents,
                figures.refused_pickups,
                figures.minutes_over_ratio,
            ]
        )
    return table


@dataclass
class LatePickup:
    day: date
    child: str
    checked_out_at: datetime | None
    closes: time | None


def late_pickups(user, site: Site, scope: Scope) -> list[LatePickup]:
    """Who was collected after closing time in the last 7 days (two queries)."""
    start, end = scope.last_7_days
    closing = dict(site.opening_hours.values_list("weekday", "closes"))
    records = (
        access.scoped(user, AttendanceRecord)
        .filter(site=site, day__gte=start, day__lte=scope.today, late=True)
        .select_related("child")
        .order_by("-day", "-checked_out_at")
    )
    return [
        LatePickup(r.day, r.child.name, r.checked_out_at, closing.get(r.day.weekday()))
        for r in records
    ]


def incidents(user, site: Site, scope: Scope) -> list[Incident]:
    start, _end = scope.last_7_days
    return list(
        access.scoped(user, Incident)
        .filter(site=site, occurred_at__date__gte=start)
        .select_related("child")
        .order_by("-occurred_at")
    )


@dataclass
class RollCallSummary:
    roll_call: RollCall
    people: int
    accounted: int
    # Seconds from the start until the last person was accounted for, when all were.
    seconds: int | None


def roll_calls(user, site: Site, scope: Scope) -> list[RollCallSummary]:
    """The site's roll calls of the last twelve months, drills and real ones, each with how
    many were accounted for and how long it took (one query)."""
    rows = (
        access.scoped(user, RollCall)
        .filter(site=site, started_at__date__gte=scope.today - timedelta(days=365))
        .select_related("started_by")
        .annotate(
            people=Count("entries"),
            accounted=Count("entries", filter=Q(entries__accounted_at__isnull=False)),
            last_accounted=Max("entries__accounted_at"),
        )
        .order_by("-started_at")[:20]
    )
    return [
        RollCallSummary(
            roll_call=row,
            people=row.people,
            accounted=row.accounted,
            seconds=int((row.last_accounted - row.started_at).total_seconds())
            if row.people and row.accounted == row.people
            else None,
        )
        for row in rows
    ]


def details(user, site: Site, scope: Scope) -> dict:
    days = days_table(site, scope)
    return {
        "days_table": days,
        "site_tables": {"days": days},
        "on_duty": list(staff_selectors.on_duty(site)),
        "late_pickups": late_pickups(user, site, scope),
        "incidents": incidents(user, site, scope),
        "roll_calls": roll_calls(user, site, scope),
        # Messages to the site's families today: (sent, failed).
        "messages_today": notice_selectors.sent_and_failed([site.pk], clock.today()).get(
            site.pk, (0, 0)
        ),
    }
