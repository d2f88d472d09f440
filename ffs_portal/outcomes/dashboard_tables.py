"""The dashboards' tables, built once and shown on the page, in Excel and in CSV."""

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from enrollment.models import Factory, SiteKind
from enrollment.training.selectors import FactoryReach, Reach
from ffs_portal.lib import dates
from ffs_portal.outcomes.dashboard import SiteRow, TrendPoint
from ffs_portal.outcomes.figures import Figures
from ffs_portal.outcomes.selectors import (
    FactoryRetention,
    RetentionRow,
    Satisfaction,
    satisfaction_total,
)
from ffs_portal.outcomes.tables import (
    DAY,
    DECIMAL,
    FLAGS,
    INT,
    POINTS,
    SHARE,
    TEXT,
    Column,
    Link,
    Table,
)


@lru_cache(maxsize=4096)
def _site_url(pk: int) -> str:
    return reverse("outcomes:site", kwargs={"site": pk})


def _site_link(site, kinds: dict | None = None) -> Link:
    """The site's name, linking to its page, with its factory (and program) beneath."""
    sub = site.factory.name + (f" · {kinds[site.kind]}" if kinds else "")
    return Link(site.name, _site_url(site.pk), sub=sub)


def _kind_labels() -> dict[str, str]:
    """Short program names for narrow table columns."""
    return {
        SiteKind.FFS: pgettext("program, short", "FFS"),
        SiteKind.ASC: pgettext("program, short", "ASC"),
    }


def _difference(a, b):
    return None if a is None or b is None else a - b


def attention_table(rows: list[SiteRow]) -> Table:
    columns = [
        Column(_("Site"), TEXT),
        Column(_("Factory"), TEXT, page=False),
        Column(_("Program"), TEXT, page=False),
        Column(_("Present now"), INT),
        Column(_("On today's list"), INT),
        Column(
            _("Attendance today"),
            SHARE,
            _("Checked in today (present or collected) of the children on today's list."),
        ),
        Column(_("Last 7 days"), SHARE),
        Column(_("Term so far"), SHARE),
        Column(_("Minutes over ratio, 7 days"), INT),
        Column(_("Incidents, 7 days"), INT),
        Column(_("Refused pickups, 7 days"), INT),
        Column(_("Consent missing"), INT),
        Column(_("Needs attention"), FLAGS),
    ]
    table = Table("attention", _("Sites by need of attention"), columns)
    table.limit = 25
    kinds = _kind_labels()
    for row in rows:
        today = row.today
        table.rows.append(
            [
                _site_link(row.site, kinds),
                row.site.factory.name,
                kinds[row.site.kind],
                today.present if today.open else None,
                today.listed if today.open else None,
                today.rate,
                row.last_7.rate,
                row.term.rate,
                row.last_7.minutes_over_ratio,
                row.last_7.incidents + today.incidents,
                row.last_7.refused_pickups + today.refused_pickups,
                row.consent_missing,
                row.flags,
            ]
        )
    return table


def last_week_table(rows: list[SiteRow], week: tuple) -> Table:
    """Sites by attendance last week (ranked by ``dashboard.by_attendance_last_week``), with
    what the missed child-days were."""
    columns = [
        Column(_("Site"), TEXT),
        Column(_("Factory"), TEXT, page=False),
        Column(_("Attendance rate"), SHARE),
        Column(_("Against the term so far"), POINTS, _("Percentage points")),
        Column(_("Child-days attended"), INT),
        Column(_("Child-days expected"), INT),
        Column(_("Missed: ill"), INT),
        Column(_("Missed: with family"), INT),
        Column(_("Missed: absent, reason unknown"), INT),
        Column(_("Missed: not recorded"), INT),
        Column(_("Main reason"), TEXT),
        Column(_("Days open"), INT),
        Column(_("Incidents"), INT),
        Column(_("Minutes over ratio"), INT),
        Column(_("Late pickups"), INT),
    ]
    start, end = week
    title = _("Attendance last week, lowest first (%(week)s)") % {"week": dates.span(start, end)}
    table = Table("last_week", title, columns, limit=15)
    for row in rows:
        week_figures = row.last_week
        reason = week_figures.main_reason()
        table.rows.append(
            [
                _site_link(row.site),
                row.site.factory.name,
                week_figures.rate,
                _difference(week_figures.rate, row.term.rate),
                week_figures.attended,
                week_figures.expected,
                week_figures.absent_ill,
                week_figures.absent_family,
                week_figures.absent_unknown,
                week_figures.unrecorded,
                _("%(what)s (%(n)s of %(missed)s)")
                % {"what": reason[0], "n": reason[1], "missed": week_figures.missed}
                if reason
                else "",
                week_figures.days,
                week_figures.incidents,
                week_figures.minutes_over_ratio,
                week_figures.late_pickups,
            ]
        )
    table.highlight = set(range(min(3, len(table.rows))))
    table.note = _(
        "Missed child-days: expected but not attended, by what the tablet recorded: absent "
        "ill, absent with family, absent without a reason, or neither checked in nor marked "
        "absent."
    )
    return table


def term_table(rows: list[SiteRow]) -> Table:
    columns = [
        Column(_("Site"), TEXT),
        Column(_("Factory"), TEXT, page=False),
        Column(_("Program"), TEXT, page=False),
        Column(_("Days open"), INT),
        Column(_("Attendance rate"), SHARE),
        Column(_("Children placed"), INT, _("Enrolled or completed in the term")),
        Column(_("Capacity"), INT),
        Column(_("Places filled"), SHARE),
        Column(_("Waiting list"), INT),
        Column(_("Late-pickup rate"), SHARE, _("Late pickups per child-day attended")),
        Column(_("Incidents per 1,000 child-days"), DECIMAL),
        Column(_("Minutes over ratio"), INT),
        Column(_("Survey answered"), SHARE),
        Column(_("Satisfied parents"), SHARE),
        Column(_("Roll call drills"), INT),
        Column(_("Last drill"), DAY),
    ]
    table = Table("term", _("The term so far, per site"), columns, limit=20)
    kinds = _kind_labels()
    for row in sorted(rows, key=lambda r: (r.site.factory.name, r.site.name)):
        table.rows.append(
            [
                _site_link(row.site, kinds),
                row.site.factory.name,
                kinds[row.site.kind],
                row.term.days,
                row.term.rate,
                row.placed,
                row.site.capacity,
                row.fill,
                row.waitlisted,
                row.term.late_rate,
                row.term.incidents_per_1000,
                row.term.minutes_over_ratio,
                row.satisfaction.response_rate,
                row.satisfaction.satisfaction_rate,
                row.drills,
                row.last_drill,
            ]
        )
    return table


def trend_table(points: list[TrendPoint], weekly: bool) -> Table:
    columns = [
        Column(_("Week of") if weekly else pgettext("calendar date", "Day"), DAY),
        Column(_("Sites open"), INT),
        Column(_("Child-days expected"), INT),
        Column(_("Child-days attended"), INT),
        Column(_("Attendance rate"), SHARE),
        Column(_("Late pickups"), INT),
        Column(_("Incidents"), INT),
        Column(_("Minutes over ratio"), INT),
    ]
    title = _("Trend by week") if weekly else _("Trend by day")
    table = Table("trend", title, columns)
    for point in points:
        figures = point.figures
        table.rows.append(
            [
                point.start,
                point.sites_open,
                figures.expected,
                figures.attended,
                figures.rate,
                figures.late_pickups,
                figures.incidents,
                figures.minutes_over_ratio,
            ]
        )
    return table


@dataclass
class FactoryRow:
    factory: Factory
    sites: list[SiteRow] = field(default_factory=list)

    @property
    def term(self) -> Figures:
        result = Figures()
        for row in self.sites:
            result.add(row.term)
        return result

    @property
    def last_7(self) -> Figures:
        result = Figures()
        for row in self.sites:
            result.add(row.last_7)
        return result

    @property
    def satisfaction(self) -> Satisfaction:
        return satisfaction_total(row.satisfaction for row in self.sites)

    def total(self, name: str) -> int:
        return sum(getattr(row, name) for row in self.sites)

    @property
    def capacity(self) -> int:
        return sum(row.site.capacity for row in self.sites)


def by_factory(rows: list[SiteRow]) -> list[FactoryRow]:
    factories: dict[int, FactoryRow] = {}
    for row in rows:
        factories.setdefault(row.site.factory_id, FactoryRow(row.site.factory)).sites.append(row)
    return sorted(factories.values(), key=lambda f: f.factory.name)


def factory_table(factories: list[FactoryRow]) -> Table:
    columns = [
        Column(_("Factory"), TEXT),
        Column(_("Province"), TEXT, page=False),
        Column(_("Sites"), INT),
        Column(_("Capacity"), INT),
        Column(_("Children placed"), INT),
        Column(_("Places filled"), SHARE),
        Column(_("Waiting list"), INT),
        Column(_("Attendance, term so far"), SHARE),
        Column(_("Attendance, last 7 days"), SHARE),
        Column(_("Late-pickup rate"), SHARE),
        Column(_("Incidents per 1,000 child-days"), DECIMAL),
        Column(_("Minutes over ratio"), INT),
        Column(_("Consent missing"), INT),
        Column(_("Survey answered"), SHARE),
        Column(_("Satisfied parents"), SHARE),
    ]
    table = Table("factories", _("Factories side by side"), columns)
    for row in factories:
        term, last_7, satisfaction = row.term, row.last_7, row.satisfaction
        placed, capacity = row.total("placed"), row.capacity
        table.rows.append(
            [
                Link(
                    row.factory.name,
                    reverse("outcomes:factory", kwargs={"factory": row.factory.pk}),
                    sub=row.factory.get_province_display(),
                ),
                row.factory.get_province_display(),
                len(row.sites),
                capacity,
                placed,
                placed / capacity if capacity else None,
                row.total("waitlisted"),
                term.rate,
                last_7.rate,
                term.late_rate,
                term.incidents_per_1000,
                term.minutes_over_ratio,
                row.total("consent_missing"),
                satisfaction.response_rate,
                satisfaction.satisfaction_rate,
            ]
        )
    return table


def reach_table(reach: list[FactoryReach], reach_total: Reach, year: int) -> Table:
    columns = [
        Column(_("Factory"), TEXT),
        Column(_("Sessions held"), INT),
        Column(_("Workers trained"), INT),
        Column(_("Parents of left-behind children"), INT),
        Column(_("Of them reached"), INT),
        Column(_("Share reached"), SHARE),
        Column(_("Came more than once"), SHARE),
        Column(_("Feedback (1–5)"), DECIMAL),
    ]
    table = Table(
        "reach",
        _("Migrant Parent Training: reach in %(year)s") % {"year": year},
        columns,
        note=_(
            "Left-behind: children who live in the home village or at a boarding school, or "
            "who have no place in a space this year."
        ),
        limit=20,
    )

    def cells(row: Reach, name: str) -> list:
        return [
            name,
            row.sessions_held,
            row.workers_trained,
            row.left_behind_parents,
            row.left_behind_reached,
            row.left_behind_share,
            row.repeat_share,
            row.feedback_average,
        ]

    table.rows = [cells(row, row.factory.name) for row in reach]
    if len(reach) > 1:
        table.footer = cells(reach_total, _("All factories"))
    return table


def retention_table(rows: list[FactoryRetention], total: RetentionRow, year: int) -> Table:
    from ffs_portal.outcomes.selectors import RETENTION_MONTHS

    columns = [
        Column(_("Factory"), TEXT),
        Column(_("Start day"), DAY),
        Column(_("Workers whose children used a space"), INT),
        Column(_("Other workers"), INT),
    ]
    for months in RETENTION_MONTHS:
        columns += [
            Column(_("%(months)s months: used a space") % {"months": months}, SHARE),
            Column(_("%(months)s months: other workers") % {"months": months}, SHARE),
            Column(_("%(months)s months: difference") % {"months": months}, POINTS),
        ]
    table = Table("retention", _("Worker retention, %(year)s") % {"year": year}, columns)

    def cells(row: RetentionRow, name: str, start: date | None) -> list:
        values = [name, start, row.users.workers, row.others.workers]
        for _months, users, others, difference in row.periods:
            values += [users, others, difference]
        return values

    table.rows = [cells(row, row.factory.name, row.start) for row in rows]
    if rows:
        table.footer = cells(total, _("All factories"), None)
    table.note = _("A comparison, not a proof of cause.")
    return table


def program_years_table(rows, year: int) -> Table:
    columns = [
        Column(_("Factory"), TEXT),
        Column(_("Program"), TEXT),
        Column(_("Sites"), INT),
        Column(_("New or returning"), TEXT),
        Column(_("First year"), TEXT),
        Column(_("Sponsors"), TEXT),
        Column(_("Support"), TEXT),
    ]
    table = Table("program_years", _("Program year %(year)s") % {"year": year}, columns)
    for row in rows:
        status = (
            _("No term this year")
            if not row.ran
            else pgettext("program year", "Returning")
            if row.returning
            else pgettext("program year", "New")
        )
        table.rows.append(
            [
                row.factory.name,
                row.program_label,
                row.sites,
                status,
                str(row.first_year or ""),
                ", ".join(row.sponsors),
                row.support_label,
            ]
        )
    return table
