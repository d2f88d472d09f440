"""The program dashboard's reads: which sites and terms a page covers, their figures today
(live), over the last days and over the term so far (from SiteDay), and the reasons a site
needs attention. A fixed number of queries whatever the number of sites and days."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from attendance.models import RollCall, RollCallKind
from enrollment.models import (
    Consent,
    Enrollment,
    EnrollmentStatus,
    Factory,
    Province,
    Site,
    SiteKind,
    Term,
)
from ffs_portal import access
from ffs_portal.outcomes import live, selectors
from ffs_portal.outcomes.figures import Figures, sums, total
from ffs_portal.outcomes.lookups import Ids
from ffs_portal.outcomes.models import SiteDay
from ffs_portal.outcomes.selectors import Satisfaction
from ffs_portal.outcomes.tables import Flag
from staff.ratio import AMBER, RED

# What makes a site need attention. Red: act today. Amber: look into it this week.
LOW_ATTENDANCE_POINTS = 0.10  # last 7 days this far below the site's term so far
LOW_ATTENDANCE_TODAY_POINTS = 0.15  # today this far below the last 7 days, once open 1 h
LOW_ATTENDANCE_FLOOR = 0.70  # or below this in the last 7 days
UNRECORDED_SHARE = 0.05  # of expected child-days in the last 7 days, neither in nor absent
OPEN_HOURS_BEFORE_JUDGING_TODAY = 1.0

ATTENTION_RULES = [
    (
        "after_closing",
        RED,
        gettext_lazy("Children still checked in after closing time today."),
    ),
    ("ratio", RED, gettext_lazy("Too few staff on duty for the children present, now.")),
    (
        "low_attendance",
        AMBER,
        gettext_lazy(
            "Low attendance: the last 7 days at least 10 points below the term so far or under "
            "70%, or today at least 15 points below the last 7 days (judged from one hour "
            "after opening)."
        ),
    ),
    ("over_ratio", AMBER, gettext_lazy("Minutes over ratio today or in the last 7 days.")),
    ("incidents", AMBER, gettext_lazy("Incidents today.")),
    ("refused", AMBER, gettext_lazy("Pickups refused today or in the last 7 days.")),
    (
        "not_checked_out",
        AMBER,
        gettext_lazy("Children never checked out in the last 7 days (who collected them?)."),
    ),
    (
        "unrecorded",
        AMBER,
        gettext_lazy(
            "More than 5 per cent of expected child-days in the last 7 days neither checked in nor "
            "marked absent."
        ),
    ),
    ("consent", AMBER, gettext_lazy("Enrolled children without a guardian's consent.")),
]


# Seasons: the terms of one program starting in one year -----------------------------------


@dataclass(frozen=True)
class Season:
    program: str
    year: int

    @property
    def key(self) -> str:
        return f"{self.program}-{self.year}"

    @property
    def label(self) -> str:
        return f"{self.year} · {SiteKind(self.program).label}"

    @classmethod
    def parse(cls, key: str) -> "Season | None":
        program, _dash, year = key.partition("-")
        if program in SiteKind.values and year.isdigit() and len(year) == 4:
            return cls(program, int(year))
        return None


def seasons(user) -> list[Season]:
    rows = (
        access.scoped(user, Term)
        .values_list("site__kind", "starts_on__year")
        .distinct()
        .order_by("-starts_on__year", "site__kind")
    )
    return [Season(kind, year) for kind, year in rows]


@dataclass
class Filters:
    season: Season | None = None  # None: the terms running today
    program: str = ""
    factory: Factory | None = None
    province: str = ""
    site: Site | None = None


@dataclass
class Scope:
    """The sites a page covers and their terms in the chosen season."""

    filters: Filters
    today: date
    sites: list[Site]
    term_ids: "Ids"
    season_label: str

    @property
    def site_ids(self) -> "Ids":
        return Ids(site.pk for site in self.sites)

    @property
    def terms(self) -> QuerySet[Term]:
        # Plain ids, not a subquery: the planner then sees how few terms there are.
        return Term.objects.filter(pk__in=self.term_ids)

    @property
    def yesterday(self) -> date:
        return self.today - timedelta(days=1)

    @property
    def last_7_days(self) -> tuple[date, date]:
        return self.today - timedelta(days=7), self.yesterday

    @property
    def last_week(self) -> tuple[date, date]:
        monday = self.today - timedelta(days=self.today.weekday() + 7)
        return monday, monday + timedelta(days=6)


def scope(user, filters: Filters, today: date | None = None) -> Scope:
    """Resolve filters into sites and terms (two queries, three when nothing runs today)."""
    today = today or timezone.localdate()
    sites = access.scoped(user, Site).select_related("factory")
    if filters.site:
        sites = sites.filter(pk=filters.site.pk)
    if filters.program:
        sites = sites.filter(kind=filters.program)
    if filters.factory:
        sites = sites.filter(factory=filters.factory)
    if filters.province:
        sites = sites.filter(factory__province=filters.province)
    terms = Term.objects.filter(site__in=sites)
    season = filters.season
    if season is not None:
        terms = terms.filter(site__kind=season.program, starts_on__year=season.year)
        label = season.label
    else:
        running = terms.under_way(today)
        if running.exists():
            terms, label = running, _("Terms running today")
        else:
            # Between seasons: the last season that started.
            latest = (
                terms.filter(starts_on__lte=today)
                .select_related("site")
                .order_by("-starts_on")
                .first()
            )
            if latest is None:
                terms, label = terms.none(), _("No term yet")
            else:
                season = Season(latest.site.kind, latest.starts_on.year)
                terms = terms.filter(site__kind=season.program, starts_on__year=season.year)
                label = season.label
    chosen = list(terms.values_list("pk", "site"))
    with_terms = Ids(site for _pk, site in chosen)
    return Scope(
        filters=filters,
        today=today,
        sites=list(
            Site.objects.filter(pk__any=with_terms)
            .select_related("factory")
            .order_by("factory__name", "name")
        ),
        term_ids=Ids(pk for pk, _site in chosen),
        season_label=label,
    )


# Per-site figures ----------------------------------------------------------------------


@dataclass
class SiteRow:
    site: Site
    today: live.Today = field(default_factory=live.Today)
    term: Figures = field(default_factory=Figures)
    last_7: Figures = field(default_factory=Figures)
    last_week: Figures = field(default_factory=Figures)
    placed: int = 0  # enrolled or completed in the season's terms
    waitlisted: int = 0
    consent_missing: int = 0
    satisfaction: Satisfaction = field(default_factory=Satisfaction)
    # Roll call drills in the season's term, and when the last one was.
    drills: int = 0
    last_drill: date | None = None
    flags: list[Flag] = field(default_factory=list)

    @property
    def fill(self) -> float | None:
        return self.placed / self.site.capacity if self.site.capacity else None

    @property
    def score(self) -> int:
        return sum(3 if flag.severity == RED else 1 for flag in self.flags)

    @property
    def red(self) -> bool:
        return any(flag.severity == RED for flag in self.flags)


def site_rows(scope: Scope, now=None) -> list[SiteRow]:
    """Every figure of every site in scope: today live, last 7 days, last week, the term so
    far (up to yesterday), enrolment, consent, satisfaction; then the attention flags."""
    rows = {site.pk: SiteRow(site=site) for site in scope.sites}
    if not rows:
        return []
    ids = Ids(rows)
    for site_id, today in live.today_by_site(ids, now).items():
        rows[site_id].today = today
    # The term so far: the site-days inside the site's term in the season, up to yesterday.
    for row in in_term(scope).values("site").annotate(**sums()).order_by():
        rows[row["site"]].term = Figures.from_row(row)
    week_start, week_end = scope.last_week
    seven_start, seven_end = scope.last_7_days
    recent = SiteDay.objects.filter(
        site__any=ids, day__gte=min(week_start, seven_start), day__lte=scope.yesterday
    )
    windows = {
        **sums("w_", Q(day__gte=week_start, day__lte=week_end)),
        **sums("s_", Q(day__gte=seven_start, day__lte=seven_end)),
    }
    for row in recent.values("site").annotate(**windows).order_by():
        rows[row["site"]].last_week = Figures.from_row(row, "w_")
        rows[row["site"]].last_7 = Figures.from_row(row, "s_")
    placed = [EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED]
    enrolments = (
        Enrollment.objects.filter(term__any=scope.term_ids)
        .values("term__site")
        .annotate(
            placed=Count("child", distinct=True, filter=Q(status__in=placed)),
            waitlisted=Count("child", distinct=True, filter=Q(status=EnrollmentStatus.WAITLISTED)),
        )
        .order_by()
    )
    for row in enrolments:
        rows[row["term__site"]].placed = row["placed"]
        rows[row["term__site"]].waitlisted = row["waitlisted"]
    active_consent = Consent.objects.filter(child=OuterRef("child"), withdrawn_at__isnull=True)
    missing = (
        Enrollment.objects.filter(term__any=scope.term_ids, status=EnrollmentStatus.ENROLLED)
        .exclude(Exists(active_consent))
        .values("term__site")
        .annotate(n=Count("child", distinct=True))
        .order_by()
    )
    for row in missing:
        rows[row["term__site"]].consent_missing = row["n"]
    for site_id, figures in selectors.satisfaction_by(scope.term_ids).items():
        if site_id in rows:
            rows[site_id].satisfaction = figures
    drills = (
        RollCall.objects.filter(
            kind=RollCallKind.DRILL,
            site__any=ids,
            site__terms__any=scope.term_ids,
            started_at__date__gte=F("site__terms__starts_on"),
            started_at__date__lte=F("site__terms__ends_on"),
        )
        .values("site")
        .annotate(n=Count("pk", distinct=True), last=Max("started_at"))
        .order_by()
    )
    for row in drills:
        rows[row["site"]].drills = row["n"]
        rows[row["site"]].last_drill = timezone.localdate(row["last"])
    now = now or timezone.now()
    words = _flag_words()
    for site_row in rows.values():
        site_row.flags = attention_flags(site_row, now, words)
    return sorted(
        rows.values(),
        key=lambda r: (-r.score, r.last_7.rate if r.last_7.rate is not None else 2, r.site.name),
    )


def in_term(scope: Scope) -> QuerySet[SiteDay]:
    """Site-days inside their site's term in the scope's season, up to yesterday."""
    return SiteDay.objects.filter(
        site__any=scope.site_ids,
        day__lte=scope.yesterday,
        site__terms__any=scope.term_ids,
        site__terms__starts_on__lte=F("day"),
        site__terms__ends_on__gte=F("day"),
    )


def _children(n: int) -> str:
    return ngettext("%(n)s child", "%(n)s children", n) % {"n": n}


def _flag_words() -> dict:
    """The flags' words in the current language, looked up once per page."""
    return {
        "after_closing": _("Still here after closing"),
        "ratio": _("Over ratio now"),
        "staff": _("%(staff)s staff, %(needed)s needed"),
        "low": _("Low attendance"),
        "low_week": _("last 7 days %(rate)s%%"),
        "low_today": _("today %(today)s%% · last 7 days %(week)s%%"),
        "over_ratio": _("Over ratio"),
        "minutes": _("%(n)s min in 7 days"),
        "minutes_today": _("%(n)s min today"),
        "incidents": _("Incidents"),
        "today": _("%(n)s today"),
        "refused": _("Pickups refused"),
        "week": _("%(n)s in 7 days"),
        "not_checked_out": _("Not checked out"),
        "unrecorded": _("Not recorded"),
        "child_days": _("%(n)s child-days"),
        "consent": _("Consent missing"),
    }


def attention_flags(row: SiteRow, now, words: dict | None = None) -> list[Flag]:
    words = words or _flag_words()
    flags = []
    today, last_7, term = row.today, row.last_7, row.term
    if today.after_closing:
        flags.append(
            Flag(
                "after_closing",
                words["after_closing"],
                "bi-moon-stars-fill",
                RED,
                _children(today.after_closing),
            )
        )
    if today.ratio == RED:
        flags.append(
            Flag(
                "ratio",
                words["ratio"],
                "bi-people-fill",
                RED,
                words["staff"] % {"staff": today.staff_on_duty, "needed": today.adults_needed},
            )
        )
    low = None
    if last_7.rate is not None and (
        last_7.rate < LOW_ATTENDANCE_FLOOR
        or (term.rate is not None and term.rate - last_7.rate >= LOW_ATTENDANCE_POINTS)
    ):
        low = words["low_week"] % {"rate": round(last_7.rate * 100)}
    if (
        today.rate is not None
        and last_7.rate is not None
        and today.open_for(now) >= OPEN_HOURS_BEFORE_JUDGING_TODAY
        and last_7.rate - today.rate >= LOW_ATTENDANCE_TODAY_POINTS
    ):
        low = words["low_today"] % {
            "today": round(today.rate * 100),
            "week": round(last_7.rate * 100),
        }
    if low:
        flags.append(Flag("low_attendance", words["low"], "bi-graph-down-arrow", AMBER, low))
    if today.minutes_over_ratio or last_7.minutes_over_ratio:
        detail = (
            words["minutes_today"] % {"n": today.minutes_over_ratio}
            if today.minutes_over_ratio
            else words["minutes"] % {"n": last_7.minutes_over_ratio}
        )
        flags.append(Flag("over_ratio", words["over_ratio"], "bi-stopwatch", AMBER, detail))
    if today.incidents:
        flags.append(
            Flag(
                "incidents",
                words["incidents"],
                "bi-bandaid-fill",
                AMBER,
                words["today"] % {"n": today.incidents},
            )
        )
    refused = today.refused_pickups + last_7.refused_pickups
    if refused:
        flags.append(
            Flag(
                "refused",
                words["refused"],
                "bi-shield-exclamation",
                AMBER,
                words["week"] % {"n": refused},
            )
        )
    if last_7.not_checked_out:
        flags.append(
            Flag(
                "not_checked_out",
                words["not_checked_out"],
                "bi-door-open",
                AMBER,
                words["week"] % {"n": last_7.not_checked_out},
            )
        )
    if last_7.unrecorded_share is not None and last_7.unrecorded_share > UNRECORDED_SHARE:
        flags.append(
            Flag(
                "unrecorded",
                words["unrecorded"],
                "bi-question-circle",
                AMBER,
                words["child_days"] % {"n": last_7.unrecorded},
            )
        )
    if row.consent_missing:
        flags.append(
            Flag(
                "consent",
                words["consent"],
                "bi-file-earmark-x",
                AMBER,
                _children(row.consent_missing),
            )
        )
    return flags


# Over all sites in scope -----------------------------------------------------------------


@dataclass
class Headline:
    sites: int = 0
    sites_open: int = 0
    present: int = 0
    attended: int = 0
    listed: int = 0
    listed_started: int = 0  # on the lists of sites already open at this hour
    not_started: int = 0  # sites open today that have not opened yet
    capacity_open: int = 0
    not_arrived: int = 0
    after_closing: int = 0
    incidents: int = 0
    refused: int = 0
    ratio_red: int = 0
    ratio_amber: int = 0
    needing_attention: int = 0
    red_sites: int = 0
    messages_sent: int = 0
    messages_failed: int = 0
    last_7: Figures = field(default_factory=Figures)
    term: Figures = field(default_factory=Figures)
    placed: int = 0
    capacity: int = 0
    waitlisted: int = 0
    satisfaction: Satisfaction = field(default_factory=Satisfaction)

    @property
    def rate_today(self) -> float | None:
        return self.attended / self.listed_started if self.listed_started else None

    @property
    def fill(self) -> float | None:
        return self.placed / self.capacity if self.capacity else None


def headline(rows: list[SiteRow], messages: dict[int, tuple[int, int]]) -> Headline:
    """The figures over all ``rows``; ``messages`` is today's (sent, failed) messages to
    families per site id."""
    result = Headline(sites=len(rows))
    for row in rows:
        sent, failed = messages.get(row.site.pk, (0, 0))
        result.messages_sent += sent
        result.messages_failed += failed
        today = row.today
        result.capacity += row.site.capacity
        result.placed += row.placed
        result.waitlisted += row.waitlisted
        if today.open:
            result.sites_open += 1
            result.capacity_open += row.site.capacity
            if today.started:
                result.listed_started += today.listed
            else:
                result.not_started += 1
        result.present += today.present
        result.attended += today.attended
        result.listed += today.listed
        result.not_arrived += today.not_arrived
        result.after_closing += today.after_closing
        result.incidents += today.incidents
        result.refused += today.refused_pickups
        result.ratio_red += today.ratio == RED
        result.ratio_amber += today.ratio == AMBER
        result.needing_attention += bool(row.flags)
        result.red_sites += row.red
    result.last_7 = total(row.last_7 for row in rows)
    result.term = total(row.term for row in rows)
    result.satisfaction = selectors.satisfaction_total(row.satisfaction for row in rows)
    return result


def by_attendance_last_week(rows: list[SiteRow]) -> list[SiteRow]:
    """Sites open last week, lowest attendance first."""
    return sorted(
        (row for row in rows if row.last_week.expected),
        key=lambda r: (r.last_week.rate, r.site.name),
    )


@dataclass
class TrendPoint:
    start: date
    end: date
    figures: Figures
    sites_open: int = 0


def trend(scope: Scope, *, max_days: int = 62) -> tuple[list[TrendPoint], bool]:
    """The term so far by day (by week when it is longer than ``max_days``), in one query."""
    by_day = (
        in_term(scope)
        .values("day")
        .annotate(**sums(), sites_open=Count("site", filter=Q(expected__gt=0)))
        .order_by("day")
    )
    points = [
        TrendPoint(row["day"], row["day"], Figures.from_row(row), row["sites_open"])
        for row in by_day
    ]
    weekly = len(points) > max_days
    if not weekly:
        return points, False
    weeks: dict[date, TrendPoint] = {}
    for point in points:
        monday = point.start - timedelta(days=point.start.weekday())
        week = weeks.setdefault(monday, TrendPoint(monday, monday + timedelta(days=6), Figures()))
        week.figures.add(point.figures)
        week.sites_open = max(week.sites_open, point.sites_open)
    return list(weeks.values()), True


def factories_for_filter(user) -> QuerySet[Factory]:
    return access.scoped(user, Factory).only("pk", "name", "province").order_by("name")


PROVINCES = Province.choices
