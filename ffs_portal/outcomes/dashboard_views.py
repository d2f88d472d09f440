"""The program dashboard, a factory's and a site's page, factories side by side, exports."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from attendance.health import selectors as health_selectors
from enrollment.models import Factory, Site
from enrollment.training import selectors as training_selectors
from ffs_portal import access
from ffs_portal.access import VIEW_DASHBOARD, AuthenticatedHttpRequest, requires
from ffs_portal.lib import clock, dates
from ffs_portal.lib.spreadsheets import XLSX_TYPE, attachment
from ffs_portal.notices import selectors as notice_selectors
from ffs_portal.outcomes import dashboard, site_page
from ffs_portal.outcomes import dashboard_tables as tables
from ffs_portal.outcomes.dashboard import ATTENTION_RULES, Filters, Season
from ffs_portal.outcomes.forms import DashboardFilterForm
from ffs_portal.outcomes.lookups import Ids
from ffs_portal.outcomes.selectors import SATISFACTION_REFERENCE
from ffs_portal.outcomes.tables import Table, to_csv, to_xlsx

FILTER_NAMES = ("term", "program", "factory", "province")


def _filters(request: AuthenticatedHttpRequest) -> tuple[DashboardFilterForm, Filters]:
    seasons = dashboard.seasons(request.user)
    factories = list(dashboard.factories_for_filter(request.user))
    form = DashboardFilterForm(
        request.GET if any(n in request.GET for n in FILTER_NAMES) else None,
        seasons=seasons,
        factories=factories,
    )
    values = form.values()
    by_pk = {factory.pk: factory for factory in factories}
    factory_pk = values.get("factory")
    filters = Filters(
        season=Season.parse(values.get("term", "")),
        program=values.get("program", ""),
        factory=by_pk.get(factory_pk) if factory_pk is not None else None,
        province=values.get("province", ""),
    )
    return form, filters


def _export_query(request: AuthenticatedHttpRequest, **extra) -> str:
    """The page's filters, for its export links."""
    return urlencode({**{n: request.GET[n] for n in FILTER_NAMES if request.GET.get(n)}, **extra})


DASHBOARD_PARTS = ("attention", "last_week", "trend", "term", "reach")


def build(user, filters: Filters, *, parts=DASHBOARD_PARTS) -> dict:
    """The figures a dashboard page shows and the tables named in ``parts``."""
    now = timezone.now()
    scope = dashboard.scope(user, filters, timezone.localdate(now))
    rows = dashboard.site_rows(scope, now)
    ranked = dashboard.by_attendance_last_week(rows)
    built: dict[str, Table] = {}
    chart: dict[str, dict[str, object]] = {
        "text": {
            "rate": _("Attendance (%)"),
            "attended": _("Child-days attended"),
            "expected": _("Child-days expected"),
        },
    }
    context: dict[str, object] = {
        "scope": scope,
        "rows": rows,
        "headline": dashboard.headline(
            rows,
            notice_selectors.sent_and_failed(
                [row.site.pk for row in rows], timezone.localdate(now)
            ),
        ),
        "now": now,
        "tables": built,
        "lowest": ranked[:3],
        "chart": chart,
        "rules": ATTENTION_RULES,
        "reference": SATISFACTION_REFERENCE,
    }
    if "attention" in parts:
        built["attention"] = tables.attention_table(rows)
    if "last_week" in parts:
        built["last_week"] = tables.last_week_table(ranked, scope.last_week)
        chart["lowest"] = {
            "labels": [row.site.name for row in ranked[:15]],
            "rate": [_percent(row.last_week.rate) for row in ranked[:15]],
        }
    if "trend" in parts:
        points, weekly = dashboard.trend(scope)
        built["trend"] = tables.trend_table(points, weekly)
        context["weekly"] = weekly
        chart["trend"] = {
            "labels": [
                dates.span(p.start, p.end, year=False) if weekly else dates.day(p.start, year=False)
                for p in points
            ],
            "rate": [_percent(p.figures.rate) for p in points],
            "attended": [p.figures.attended for p in points],
            "expected": [p.figures.expected for p in points],
        }
    if "term" in parts:
        built["term"] = tables.term_table(rows)
    if "factories" in parts:
        built["factories"] = tables.factory_table(tables.by_factory(rows))
    if "reach" in parts:
        factories = Factory.objects.filter(pk__any=Ids(site.factory_id for site in scope.sites))
        year = filters.season.year if filters.season else scope.today.year
        reach = training_selectors.reach(factories, year)
        built["reach"] = tables.reach_table(reach, training_selectors.total(reach), year)
    return context


def _percent(rate: float | None) -> float | None:
    return round(rate * 100, 1) if rate is not None else None


@requires(VIEW_DASHBOARD)
def program_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    context = build(request.user, filters)
    # Factory HR (or a coordinator of one factory): their factory's sites, without the
    # program-wide filters.
    own_factory = form.factories[0] if len(form.factories) == 1 else None
    context.update(
        form=form,
        export_query=_export_query(request),
        title=_("%(factory)s: dashboard") % {"factory": own_factory.name}
        if own_factory
        else _("Program dashboard"),
        own_factory=own_factory,
        outbreaks=health_selectors.recent_alerts(request.user, clock.today()),
    )
    return render(request, "outcomes/dashboard.html", context)


@requires(VIEW_DASHBOARD)
def factory_dashboard(request: AuthenticatedHttpRequest, factory) -> HttpResponse:
    factory = access.get_scoped_or_404(request.user, Factory, pk=factory)
    form, filters = _filters(request)
    filters.factory, filters.province = factory, ""
    context = build(request.user, filters)
    context.update(
        form=form,
        export_query=_export_query(request, factory=factory.pk),
        title=factory.name,
        factory=factory,
        own_factory=None,
        outbreaks=health_selectors.recent_alerts(request.user, clock.today()).filter(
            site__factory=factory
        ),
    )
    return render(request, "outcomes/dashboard.html", context)


@requires(VIEW_DASHBOARD)
def factory_comparison(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    context = build(request.user, filters, parts=("factories",))
    context.update(form=form, export_query=_export_query(request))
    return render(request, "outcomes/factory_comparison.html", context)


@requires(VIEW_DASHBOARD)
def site_dashboard(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    site = access.get_scoped_or_404(request.user, Site.objects.select_related("factory"), pk=site)
    form, filters = _filters(request)
    filters = Filters(season=filters.season, site=site)
    context = build(request.user, filters, parts=("trend",))
    context.update(site_page.details(request.user, site, context["scope"]))
    context.update(form=form, export_query=_export_query(request, site=site.pk), site=site)
    return render(request, "outcomes/site.html", context)


@requires(VIEW_DASHBOARD)
def export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A dashboard table (or all of them) as Excel or CSV, with the page's filters."""
    table_key = request.GET.get("table", "")
    file_format = request.GET.get("format", "")
    if file_format not in ("xlsx", "csv", "html"):
        raise Http404
    form, filters = _filters(request)
    if request.GET.get("site"):
        if not request.GET["site"].isdigit():
            raise Http404
        site = access.get_scoped_or_404(request.user, Site, pk=request.GET["site"])
        filters = Filters(season=filters.season, site=site)
    parts = (*DASHBOARD_PARTS, "factories") if table_key == "all" else (table_key,)
    context = build(request.user, filters, parts=parts)
    available = dict(context["tables"])
    if filters.site:
        details = site_page.details(request.user, filters.site, context["scope"])
        available.update(details["site_tables"])
    if file_format == "html":
        # The rest of a table the page showed in part ("show all rows").
        if table_key not in available:
            raise Http404
        return render(
            request,
            "outcomes/_table.html",
            {"table": available[table_key], "full": True, "export_query": _export_query(request)},
        )
    if table_key == "all" and file_format == "xlsx":
        content = to_xlsx(*available.values())
    elif table_key in available:
        chosen = available[table_key]
        content = to_xlsx(chosen) if file_format == "xlsx" else to_csv(chosen)
    else:
        raise Http404
    return attachment(
        content,
        filename=f"ffs-{table_key}-{timezone.localdate():%Y%m%d}.{file_format}",
        content_type=XLSX_TYPE if file_format == "xlsx" else "text/csv; charset=utf-8",
    )
