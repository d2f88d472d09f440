"""A sponsor's yearly report: aggregated figures for the factories and programs it
sponsors, with small numbers suppressed so that no child, family or worker can be picked out.

The rule: a count of children, families, workers or of events about them (late pickups,
incidents) under 5 shows as "<5"; a rate shows as "<5" when a count it is made from is
under 5. When a total row is shown and only one row of a column is suppressed, the next
smallest figure of that column is suppressed too, so the hidden one cannot be worked out
by subtraction (and so are the rates made from it)."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Consent, Enrollment, Factory, Site, SiteKind, Term
from enrollment.training import selectors as training_selectors
from ffs_portal import access
from ffs_portal.outcomes import selectors, site_days
from ffs_portal.outcomes.figures import Figures
from ffs_portal.outcomes.models import Sponsor
from ffs_portal.outcomes.selectors import PLACED, RETENTION_MONTHS, Satisfaction
from ffs_portal.outcomes.tables import DECIMAL, INT, SHARE, TEXT, Column, Table

SUPPRESSED = "<5"
THRESHOLD = 5


@dataclass
class Measure:
    key: str
    column: Column
    count: bool = False  # a count of people, or of events about children: suppressed under 5
    depends: tuple = ()  # the counts a rate is made from


def suppress(measures: list[Measure], rows: list[dict], total: dict | None = None):
    """Rows of raw values → rows of shown values (numbers or "<5"), and the total row."""
    body = [dict(row) for row in rows]
    lines = body + ([dict(total)] if total is not None else [])
    hidden: list[set[str]] = [set() for _line in lines]
    for line, gone in zip(lines, hidden, strict=True):
        for measure in measures:
            if measure.count and (line[measure.key] or 0) < THRESHOLD:
                gone.add(measure.key)
    if total is not None and len(body) > 1:
        for measure in measures:
            if not measure.count:
                continue
            column = [i for i, gone in enumerate(hidden[: len(body)]) if measure.key in gone]
            if len(column) == 1:
                candidates = [
                    i
                    for i in range(len(body))
                    if measure.key not in hidden[i] and body[i][measure.key] is not None
                ]
                if candidates:
                    smallest = min(candidates, key=lambda i: body[i][measure.key])
                    hidden[smallest].add(measure.key)
    for line, gone in zip(lines, hidden, strict=True):
        for measure in measures:
            if measure.depends and any(
                d in gone or (line[d] or 0) < THRESHOLD for d in measure.depends
            ):
                gone.add(measure.key)
        for key in gone:
            line[key] = SUPPRESSED
    shown_rows = [[line[m.key] for m in measures] for line in lines[: len(body)]]
    shown_total = [lines[-1][m.key] for m in measures] if total is not None else None
    return shown_rows, shown_total


@dataclass
class Unit:
    """One sponsored program at one factory (or the total of all of them)."""

    factory: Factory | None
    program: str
    sites: int = 0
    capacity: int = 0
    children: int = 0
    families: int = 0
    figures: Figures = field(default_factory=Figures)
    satisfaction: Satisfaction = field(default_factory=Satisfaction)

    @property
    def label(self) -> str:
        return self.factory.name if self.factory else _("All sponsored factories")

    def values(self) -> dict:
        f, s = self.figures, self.satisfaction
        return {
            "factory": self.label,
            "program": SiteKind(self.program).label if self.program else "",
            "sites": self.sites,
            "capacity": self.capacity,
            "children": self.children,
            "families": self.families,
            "child_days": f.attended,
            "attendance": f.rate,
            "late_pickups": f.late_pickups,
            "late_rate": f.late_rate,
            "incidents": f.incidents,
            "incidents_per_1000": f.incidents_per_1000,
            "minutes_over_ratio": f.minutes_over_ratio,
            "asked": s.families,
            "answered": s.responses,
            "response_rate": s.response_rate,
            "satisfied": s.satisfied,
            "satisfaction_rate": s.satisfaction_rate,
        }


def space_measures() -> list[Measure]:
    return [
        Measure("factory", Column(_("Factory"), TEXT)),
        Measure("program", Column(_("Program"), TEXT)),
        Measure("sites", Column(_("Sites"), INT)),
        Measure("capacity", Column(_("Places"), INT)),
        Measure("children", Column(_("Children cared for"), INT), count=True),
        Measure("families", Column(_("Families"), INT), count=True),
        Measure("child_days", Column(_("Child-days of care"), INT), count=True),
        Measure("attendance", Column(_("Attendance rate"), SHARE), depends=("children",)),
        Measure("late_pickups", Column(_("Late pickups"), INT), count=True),
        Measure("late_rate", Column(_("Late-pickup rate"), SHARE), depends=("late_pickups",)),
        Measure("incidents", Column(_("Incidents"), INT), count=True),
        Measure(
            "incidents_per_1000",
            Column(_("Incidents per 1,000 child-days"), DECIMAL),
            depends=("incidents",),
        ),
        Measure("minutes_over_ratio", Column(_("Minutes over ratio"), INT)),
    ]


def satisfaction_measures() -> list[Measure]:
    return [
        Measure("factory", Column(_("Factory"), TEXT)),
        Measure("program", Column(_("Program"), TEXT)),
        Measure("asked", Column(_("Families asked"), INT), count=True),
        Measure("answered", Column(_("Families who answered"), INT), count=True),
        Measure("response_rate", Column(_("Response rate"), SHARE), depends=("asked", "answered")),
        Measure("satisfied", Column(_("Satisfied families"), INT), count=True),
        Measure(
            "satisfaction_rate",
            Column(_("Satisfied parents"), SHARE),
            depends=("answered", "satisfied"),
        ),
    ]


def retention_measures() -> list[Measure]:
    measures = [
        Measure("factory", Column(_("Factory"), TEXT)),
        Measure("program", Column(_("Program"), TEXT)),
        Measure("users", Column(_("Workers whose children used a space"), INT), count=True),
        Measure("others", Column(_("Other workers"), INT), count=True),
    ]
    for months in RETENTION_MONTHS:
        measures += [
            Measure(f"n_users_{months}", Column("", INT), count=True),
            Measure(f"n_others_{months}", Column("", INT), count=True),
            Measure(
                f"users_{months}",
                Column(_("%(months)s months: used a space") % {"months": months}, SHARE),
                depends=(f"n_users_{months}",),
            ),
            Measure(
                f"others_{months}",
                Column(_("%(months)s months: other workers") % {"months": months}, SHARE),
                depends=(f"n_others_{months}",),
            ),
        ]
    return measures


def reach_measures() -> list[Measure]:
    return [
        Measure("factory", Column(_("Factory"), TEXT)),
        Measure("sessions", Column(_("Sessions held"), INT)),
        Measure("trained", Column(_("Workers trained"), INT), count=True),
        Measure("parents", Column(_("Parents of left-behind children"), INT), count=True),
        Measure("reached", Column(_("Of them reached"), INT), count=True),
        Measure("share", Column(_("Share reached"), SHARE), depends=("parents", "reached")),
    ]


def _table(key, title, measures, rows, total, note="") -> Table:
    shown_rows, shown_total = suppress(measures, rows, total)
    # Observable-cohort sizes only decide suppression; they are not columns of their own.
    keep = [i for i, m in enumerate(measures) if m.column.label]
    table = Table(key, title, [measures[i].column for i in keep], note=note)
    table.rows = [[row[i] for i in keep] for row in shown_rows]
    table.footer = [shown_total[i] for i in keep] if shown_total else None
    return table


@dataclass
class SponsorReport:
    sponsor: Sponsor
    year: int
    factories: list[Factory]
    units: list[Unit]
    total: Unit
    spaces: Table
    satisfaction: Table
    retention: Table
    reach: Table
    generated_on: object = None


def build(user, sponsor: Sponsor, year: int) -> SponsorReport:
    """The report as ``user`` may read it (a fixed number of queries)."""
    factories = list(access.sponsor_report_factories(user, sponsor, year).order_by("name"))
    pairs = list(
        access.scoped(user, sponsor.sponsorships.filter(year=year))
        .values_list("factory", "program")
        .order_by("factory__name", "program")
    )
    by_pk = {f.pk: f for f in factories}
    units = {(f, p): Unit(factory=by_pk[f], program=p) for f, p in pairs}
    wanted = Q(pk__in=[])
    for factory_id, program in pairs:
        wanted |= Q(factory_id=factory_id, kind=program)
    sites = Site.objects.filter(wanted)
    terms = Term.objects.filter(site__in=sites, starts_on__year=year)
    for row in (
        sites.filter(terms__in=terms)
        .values("factory", "kind")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    ):
        units[(row["factory"], row["kind"])].sites = row["n"]
    for site in sites.filter(terms__in=terms).distinct().values("factory", "kind", "capacity"):
        units[(site["factory"], site["kind"])].capacity += site["capacity"]
    # Only children whose guardian agreed to aggregated reporting to sponsors count, in
    # every figure about children.
    reported = Consent.objects.to_sponsor_reports().values("child")
    people = (
        Enrollment.objects.filter(term__in=terms, status__in=PLACED, child__in=reported)
        .values("term__site__factory", "term__site__kind")
        .annotate(
            children=Count("child", distinct=True), families=Count("child__family", distinct=True)
        )
        .order_by()
    )
    for row in people:
        unit = units[(row["term__site__factory"], row["term__site__kind"])]
        unit.children, unit.families = row["children"], row["families"]
    for key, figures in _day_figures(terms, reported).items():
        units[key].figures = figures
    for key, figures in selectors.satisfaction_by(terms, "factory", "kind").items():
        if key in units:
            units[key].satisfaction = figures
    ordered = list(units.values())
    total = Unit(factory=None, program="")
    for unit in ordered:
        for name in ("sites", "capacity", "children", "families"):
            setattr(total, name, getattr(total, name) + getattr(unit, name))
        total.figures.add(unit.figures)
        total.satisfaction.add(unit.satisfaction)
    spaces = _table(
        "spaces",
        _("The spaces"),
        space_measures(),
        [u.values() for u in ordered],
        total.values() if ordered else None,
        note=_(
            "Terms starting in %(year)s, up to yesterday. Attendance rate: child-days "
            "attended of child-days expected."
        )
        % {"year": year},
    )
    satisfaction = _table(
        "satisfaction",
        _("Parents' satisfaction"),
        satisfaction_measures(),
        [u.values() for u in ordered],
        total.values() if ordered else None,
        note=_(
            "One answer per family and term. Satisfied parents: answered 4 or 5 (of 5) to "
            "“Overall, I am satisfied with the space”; reference %(reference)s (2017)."
        )
        % {"reference": f"{selectors.SATISFACTION_REFERENCE:.0%}"},
    )
    return SponsorReport(
        sponsor=sponsor,
        year=year,
        factories=factories,
        units=ordered,
        total=total,
        spaces=spaces,
        satisfaction=satisfaction,
        retention=_retention_table(pairs, by_pk, year),
        reach=_reach_table(factories, year),
        generated_on=timezone.localdate(),
    )


def _day_figures(terms, children) -> dict[tuple[int, str], Figures]:
    """Child-days of the terms up to yesterday, by factory and program, counting only
    ``children``: computed from the records (the day table counts every child)."""
    yesterday = timezone.localdate() - timedelta(days=1)
    windows = list(terms.values_list("site", "site__factory", "site__kind", "starts_on", "ends_on"))
    if not windows:
        return {}
    start = min(w[3] for w in windows)
    end = min(max(w[4] for w in windows), yesterday)
    result: dict[tuple[int, str], Figures] = {}
    if start > end:
        return result
    days = site_days.compute(list({w[0] for w in windows}), start, end, children=children)
    for (site_id, day), values in days.items():
        for window_site, factory, kind, starts, ends in windows:
            if window_site == site_id and starts <= day <= min(ends, yesterday):
                figures = Figures.from_row(values, prefix="")
                figures.days = 1 if values["expected"] else 0
                result.setdefault((factory, kind), Figures()).add(figures)
                break
    return result


def _retention_table(pairs, by_pk, year) -> Table:
    rows = []
    totals: dict = {}
    for program in sorted({p for _f, p in pairs}):
        factories = Factory.objects.filter(pk__in=[f for f, p in pairs if p == program])
        per_factory, _total = selectors.retention(factories, year, program=program)
        for row in per_factory:
            values = {
                "factory": row.factory.name,
                "program": SiteKind(program).label,
                "users": row.users.workers,
                "others": row.others.workers,
            }
            for months in RETENTION_MONTHS:
                values |= {
                    f"n_users_{months}": row.users.observable[months],
                    f"n_others_{months}": row.others.observable[months],
                    f"users_{months}": row.users.rate(months),
                    f"others_{months}": row.others.rate(months),
                }
            rows.append(values)
        _accumulate(totals, per_factory)
    total = None
    if rows:
        users, others = totals["users"], totals["others"]
        total = {
            "factory": _("All sponsored factories"),
            "program": "",
            "users": users.workers,
            "others": others.workers,
        }
        for months in RETENTION_MONTHS:
            total |= {
                f"n_users_{months}": users.observable[months],
                f"n_others_{months}": others.observable[months],
                f"users_{months}": users.rate(months),
                f"others_{months}": others.rate(months),
            }
    return _table(
        "retention",
        _("Worker retention: a comparison, not a proof of cause"),
        retention_measures(),
        rows,
        total,
        note=_(
            "Workers employed on the first day of their factory's first term of the year; "
            "share still employed 3, 6 and 12 months later, for those whose children came to "
            "the space and for the factory's other workers registered in the portal. Parents who "
            "use a space may differ from other workers in other ways."
        ),
    )


def _accumulate(totals: dict, rows) -> None:
    from ffs_portal.outcomes.selectors import Cohort

    totals.setdefault("users", Cohort())
    totals.setdefault("others", Cohort())
    for row in rows:
        totals["users"].add(row.users)
        totals["others"].add(row.others)


def _reach_table(factories, year) -> Table:
    reach = training_selectors.reach(Factory.objects.filter(pk__in=[f.pk for f in factories]), year)
    total = training_selectors.total(reach)

    def values(row, name):
        return {
            "factory": name,
            "sessions": row.sessions_held,
            "trained": row.workers_trained,
            "parents": row.left_behind_parents,
            "reached": row.left_behind_reached,
            "share": row.left_behind_share,
        }

    return _table(
        "reach",
        _("Migrant Parent Training"),
        reach_measures(),
        [values(r, r.factory.name) for r in reach],
        values(total, _("All sponsored factories")) if reach else None,
        note=_(
            "Parents of left-behind children: workers whose children live in the home village "
            "or at a boarding school, or have no place in a space this year."
        ),
    )
