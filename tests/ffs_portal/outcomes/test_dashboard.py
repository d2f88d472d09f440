"""The program dashboard: every figure against a small hand-made week with known answers,
the day table, scoping for each role, exports, bad input and constant query counts."""

import csv
import io
from datetime import date, datetime, time, timedelta
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from attendance import services as attendance
from attendance.models import AttendanceRecord, Incident, RefusedPickup
from enrollment.models import ClosedDay, Site
from ffs_portal.demo import generate
from ffs_portal.models import Role
from ffs_portal.outcomes import dashboard, live, services
from ffs_portal.outcomes import dashboard_tables as tables
from ffs_portal.outcomes.dashboard import Filters
from ffs_portal.outcomes.models import ParentSurvey, SiteDay
from ffs_portal.outcomes.site_days import rebuild
from staff.models import DutyPeriod, RatioDay
from tests.factories import (
    ChildFactory,
    EnrollmentFactory,
    FamilyFactory,
    SiteFactory,
    TermFactory,
    UserFactory,
    WorkerFactory,
    enrolled_child,
)

MONDAY, TUESDAY = date(2026, 7, 13), date(2026, 7, 14)
TODAY = date(2026, 7, 20)  # the Monday after: last week is 13–19 July
NOW = timezone.make_aware(datetime(2026, 7, 20, 10, 0))


def at(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def week(factory_a, site_a, factory_b, site_b, carer):
    """Factory A's summer space: four children on the list, one waiting. Monday all but one
    came (the fourth was with family); Tuesday two came (one collected late), one was ill
    and nobody recorded the fourth; Wednesday to Sunday closed. Today (Monday 20 July,
    10:00) one is present, one collected early, one absent, one not arrived. A second site
    of factory A came every day; factory B's centre is someone else's business."""
    term = TermFactory(site=site_a, starts_on=MONDAY, ends_on=date(2026, 8, 21))
    for offset in range(2, 7):
        ClosedDay.objects.create(term=term, date=date(2026, 7, 13 + offset), reason="台风")
    a, b, c = (enrolled_child(term, name=name) for name in ("王小明", "李欣怡", "张子涵"))
    d = ChildFactory(family=FamilyFactory(factory=factory_a), name="刘浩然")  # no consent
    WorkerFactory(family=d.family)
    EnrollmentFactory(child=d, term=term)
    EnrollmentFactory(
        child=ChildFactory(family=FamilyFactory(factory=factory_a)), term=term, status="waitlisted"
    )

    def came(child, day, leave=(16, 0)):
        attendance.check_in(site=site_a, child=child, by=carer, at=at(day, 8))
        collector = child.family.workers.first()
        attendance.check_out(
            site=site_a, child=child, collector=collector, by=carer, at=at(day, *leave)
        )

    for child in (a, b, c):
        came(child, MONDAY)
    attendance.mark_absent(site=site_a, child=d, reason="with_family", by=carer, at=at(MONDAY, 9))
    came(a, TUESDAY)
    came(b, TUESDAY, leave=(18, 30))  # after closing: late
    attendance.mark_absent(site=site_a, child=c, reason="ill", by=carer, at=at(TUESDAY, 9))
    Incident.objects.create(
        site=site_a,
        child=a,
        kind="injury",
        occurred_at=at(TUESDAY, 11),
        description="摔倒",
        action_taken="清洗伤口",
    )
    RefusedPickup.objects.create(
        site=site_a, child=b, day=TUESDAY, at=at(TUESDAY, 17), name="陌生人", reason="not_listed"
    )
    RatioDay.objects.create(site=site_a, day=TUESDAY, minutes_over=15)
    # Today so far.
    attendance.check_in(site=site_a, child=a, by=carer, at=at(TODAY, 8))
    came(c, TODAY, leave=(9, 30))
    attendance.mark_absent(site=site_a, child=b, reason="unknown", by=carer, at=at(TODAY, 9))
    DutyPeriod.objects.create(site=site_a, user=carer, clock_in_at=at(TODAY, 7, 30))
    # Two families answered the survey: one satisfied (5), one not (3).
    for child, overall in ((a, 5), (b, 3)):
        ParentSurvey.objects.create(
            family=child.family,
            term=term,
            answered_at=NOW,
            method="paper",
            safe=5,
            enjoyed=5,
            informed=4,
            work=5,
            overall=overall,
        )
    # The second site: two children, every day.
    other = SiteFactory(factory=factory_a, name="星河第二空间")
    other_term = TermFactory(site=other, starts_on=MONDAY, ends_on=date(2026, 8, 21))
    for offset in range(2, 7):
        ClosedDay.objects.create(term=other_term, date=date(2026, 7, 13 + offset))
    for name in ("陈梓萱", "杨宇轩"):
        child = enrolled_child(other_term, name=name)
        for day in (MONDAY, TUESDAY):
            attendance.check_in(site=other, child=child, by=None, at=at(day, 8))
            attendance.check_out(
                site=other,
                child=child,
                collector=child.family.workers.first(),
                by=None,
                at=at(day, 16),
            )
    # Factory B's after-school centre, open the same days.
    theirs = TermFactory(site=site_b, starts_on=MONDAY, ends_on=date(2026, 8, 21))
    stranger = enrolled_child(theirs, name="周诗琪")
    attendance.mark_absent(site=site_b, child=stranger, reason="ill", by=None, at=at(MONDAY, 9))
    services.site_days_rebuild(start=MONDAY, end=date(2026, 7, 19))
    return {"site": site_a, "other": other, "term": term, "children": (a, b, c, d)}


def rows_for(user, **filters):
    with translation.override("en"):
        scope = dashboard.scope(user, Filters(**filters), TODAY)
        return scope, {row.site.name: row for row in dashboard.site_rows(scope, NOW)}


def test_the_day_table_holds_each_days_known_figures(week):
    site = week["site"]
    monday = SiteDay.objects.get(site=site, day=MONDAY)
    assert (monday.expected, monday.attended, monday.absent_family, monday.unrecorded) == (
        4,
        3,
        1,
        0,
    )
    tuesday = SiteDay.objects.get(site=site, day=TUESDAY)
    assert (tuesday.expected, tuesday.attended, tuesday.absent_ill, tuesday.unrecorded) == (
        4,
        2,
        1,
        1,
    )
    assert (tuesday.late_pickups, tuesday.incidents, tuesday.refused_pickups) == (1, 1, 1)
    assert tuesday.minutes_over_ratio == 15
    # Closed days are not days of the term at all.
    assert not SiteDay.objects.filter(site=site, day__gt=TUESDAY).exists()


def test_the_day_table_is_rebuilt_the_same_and_follows_corrections(week):
    site, (a, _b, _c, _d) = week["site"], week["children"]
    before = list(SiteDay.objects.order_by("site", "day").values())
    services.site_days_rebuild(start=MONDAY, end=date(2026, 7, 19))
    after = list(SiteDay.objects.order_by("site", "day").values())
    assert [{k: v for k, v in r.items() if k != "computed_at"} for r in before] == [
        {k: v for k, v in r.items() if k != "computed_at"} for r in after
    ]
    # A record entered late for a child who has since left the list still counts.
    AttendanceRecord.objects.filter(site=site, day=TUESDAY, child=a).delete()
    a.enrollments.update(status="withdrawn")
    services.site_days_rebuild(start=TUESDAY, end=TUESDAY)
    tuesday = SiteDay.objects.get(site=site, day=TUESDAY)
    assert (tuesday.expected, tuesday.attended, tuesday.unrecorded) == (3, 1, 1)


def test_the_nightly_run_recomputes_the_last_week_and_catches_up(week, monkeypatch):
    SiteDay.objects.all().delete()
    written = services.close_past_days(today=TODAY)
    assert written == SiteDay.objects.count() > 0
    assert SiteDay.objects.filter(day=MONDAY).count() == 3


def test_site_figures_match_the_hand_made_week(week, coordinator):
    scope, rows = rows_for(coordinator)
    assert scope.season_label == "Terms running today"
    assert set(rows) == {"星河暑期家庭友好空间", "星河第二空间"}
    row = rows["星河暑期家庭友好空间"]
    for figures in (row.term, row.last_7, row.last_week):
        assert (figures.expected, figures.attended, figures.days) == (8, 5, 2)
        assert (figures.absent_ill, figures.absent_family, figures.unrecorded) == (1, 1, 1)
        assert figures.rate == 5 / 8
    assert row.term.late_rate == 1 / 5
    assert row.term.incidents_per_1000 == 200
    assert row.term.minutes_over_ratio == 15
    assert (row.placed, row.waitlisted, row.consent_missing) == (4, 1, 1)
    assert row.fill == 4 / 60
    today = row.today
    assert today.open and (today.listed, today.present, today.collected, today.absent) == (
        4,
        1,
        1,
        1,
    )
    assert (today.not_arrived, today.rate, today.staff_on_duty) == (1, 0.5, 1)
    # One adult for one child present: under the two adults always needed.
    assert (today.ratio, today.adults_needed) == ("red", 2)
    assert row.satisfaction.families == 4 and row.satisfaction.responses == 2
    assert row.satisfaction.satisfaction_rate == 0.5
    flags = {flag.code for flag in row.flags}
    assert flags == {"ratio", "low_attendance", "over_ratio", "refused", "unrecorded", "consent"}
    # Nobody at the second site an hour and a half after opening: low attendance today.
    other = rows["星河第二空间"]
    assert other.last_week.rate == 1
    assert [(f.code, f.detail) for f in other.flags] == [
        ("low_attendance", "today 0% · last 7 days 100%")
    ]


def test_the_headline_and_the_trend_add_up(week, coordinator):
    scope, rows = rows_for(coordinator)
    sites = [row.site.pk for row in rows.values()]
    # Today's messages to families per site: (sent, failed); a site elsewhere is not counted.
    messages = {sites[0]: (5, 1), sites[1]: (2, 0), 0: (100, 100)}
    headline = dashboard.headline(list(rows.values()), messages)
    assert (headline.messages_sent, headline.messages_failed) == (7, 1)
    assert (headline.sites, headline.sites_open, headline.present, headline.listed) == (2, 2, 1, 6)
    assert headline.capacity_open == 120 and headline.not_arrived == 3
    assert (headline.needing_attention, headline.red_sites, headline.ratio_red) == (2, 1, 1)
    assert headline.term.rate == 9 / 12
    points, weekly = dashboard.trend(scope)
    assert not weekly
    assert [(p.start, p.figures.expected, p.figures.attended, p.sites_open) for p in points] == [
        (MONDAY, 6, 5, 2),
        (TUESDAY, 6, 4, 2),
    ]


def test_the_lowest_sites_last_week_say_why(week, coordinator):
    _scope, rows = rows_for(coordinator)
    ranked = dashboard.by_attendance_last_week(list(rows.values()))
    assert [row.site.name for row in ranked] == ["星河暑期家庭友好空间", "星河第二空间"]
    with translation.override("en"):
        table = tables.last_week_table(ranked, (MONDAY, date(2026, 7, 19)))
    first = dict(zip([c.label for c in table.columns], table.rows[0], strict=True))
    assert first["Attendance rate"] == 5 / 8
    assert first["Main reason"] == "ill (1 of 3)"
    assert (first["Missed: ill"], first["Missed: with family"], first["Missed: not recorded"]) == (
        1,
        1,
        1,
    )
    assert table.highlight == {0, 1}


def test_another_factorys_figures_never_reach_a_coordinator_or_hr(week, coordinator, hr, outsiders):
    for user in (coordinator, hr):
        _scope, rows = rows_for(user)
        assert "童乐课后中心" not in rows
    _scope, theirs = rows_for(outsiders[Role.COORDINATOR])
    assert set(theirs) == {"童乐课后中心"}
    assert theirs["童乐课后中心"].term.absent_ill == 1


def test_a_site_lead_sees_their_site_only(week, site_lead):
    _scope, rows = rows_for(site_lead)
    assert set(rows) == {"星河暑期家庭友好空间"}


def test_filters_narrow_the_sites(week, administrator, factory_b):
    _scope, by_program = rows_for(administrator, program="asc")
    assert set(by_program) == {"童乐课后中心"}
    _scope, by_factory = rows_for(administrator, factory=factory_b)
    assert set(by_factory) == {"童乐课后中心"}
    _scope, by_province = rows_for(administrator, province="zhejiang")
    assert by_province == {}
    scope, by_season = rows_for(administrator, season=dashboard.Season("ffs", 2026))
    assert scope.season_label.startswith("2026") and len(by_season) == 2


# Pages -------------------------------------------------------------------------------


@pytest.fixture
def today_site(factory_a, site_a, carer):
    """Factory A's space with a term running today and one child checked in."""
    term = TermFactory(site=site_a)
    child = enrolled_child(term, name="王小明")
    attendance.check_in(site=site_a, child=child, by=carer)
    return term


@pytest.mark.parametrize("role", ["coordinator", "hr", "site_lead", "administrator"])
def test_each_role_with_the_dashboard_sees_it(client, today_site, request, role):
    client.force_login(request.getfixturevalue(role))
    response = client.get(reverse("attendance:dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "星河暑期家庭友好空间" in page and "童乐课后中心" not in page


def test_hr_sees_their_factorys_dashboard_without_the_programs_filters(
    client, today_site, hr, administrator, factory_b
):
    client.force_login(hr)
    page = client.get(reverse("attendance:dashboard")).content.decode()
    assert f"{hr.factory.name}" in page and 'name="factory"' not in page
    assert 'name="province"' not in page and 'name="term"' in page
    client.force_login(administrator)
    page = client.get(reverse("attendance:dashboard")).content.decode()
    assert 'name="factory"' in page and 'name="province"' in page


def test_the_chart_of_last_weeks_lowest_sites_shows_only_when_sites_were_open(
    client, today_site, coordinator
):
    client.force_login(coordinator)
    page = client.get(reverse("attendance:dashboard")).content.decode()
    assert 'id="chart-lowest"' not in page
    today = timezone.localdate()
    rebuild(start=today - timedelta(days=14), end=today - timedelta(days=1))
    page = client.get(reverse("attendance:dashboard")).content.decode()
    assert 'id="chart-lowest"' in page


@pytest.mark.parametrize("role", ["carer", "sponsor_user"])
def test_childcare_workers_and_sponsors_do_not_see_the_dashboard(client, today_site, request, role):
    client.force_login(request.getfixturevalue(role))
    for name in (
        "attendance:dashboard",
        "outcomes:factory_comparison",
        "outcomes:retention",
        "outcomes:export",
    ):
        assert client.get(reverse(name)).status_code == 403


def test_another_factorys_site_and_factory_pages_are_not_found(
    client, today_site, coordinator, site_b, factory_b
):
    client.force_login(coordinator)
    assert client.get(reverse("outcomes:site", kwargs={"site": site_b.pk})).status_code == 404
    assert (
        client.get(reverse("outcomes:factory", kwargs={"factory": factory_b.pk})).status_code == 404
    )
    export = reverse("outcomes:export") + f"?table=days&format=csv&site={site_b.pk}"
    assert client.get(export).status_code == 404


def test_a_site_page_shows_today_and_who_was_collected_late(client, today_site, coordinator, carer):
    site = today_site.site
    child = today_site.enrollments.get().child
    attendance.check_out(
        site=site,
        child=child,
        collector=child.family.workers.first(),
        by=carer,
        at=timezone.now(),
    )
    AttendanceRecord.objects.filter(child=child).update(late=True)
    client.force_login(coordinator)
    page = client.get(reverse("outcomes:site", kwargs={"site": site.pk})).content.decode()
    assert "今天" in page and "王小明" in page


@pytest.mark.parametrize("table", ["attention", "last_week", "trend", "term", "reach"])
def test_every_dashboard_table_exports_to_excel_and_csv(client, today_site, coordinator, table):
    client.force_login(coordinator)
    url = reverse("outcomes:export")
    response = client.get(f"{url}?table={table}&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    assert sheet.max_column > 3
    response = client.get(f"{url}?table={table}&format=csv")
    text = response.content.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert len(header) == sheet.max_column
    if table == "term":
        assert "星河暑期家庭友好空间" in text


def test_the_factory_comparison_and_the_whole_workbook_export(client, today_site, coordinator):
    client.force_login(coordinator)
    page = client.get(reverse("outcomes:factory_comparison")).content.decode()
    assert "东莞星河玩具厂" in page
    url = reverse("outcomes:export") + "?table=factories&format=csv"
    assert "东莞星河玩具厂" in client.get(url).content.decode("utf-8-sig")
    workbook = load_workbook(
        BytesIO(client.get(reverse("outcomes:export") + "?table=all&format=xlsx").content)
    )
    assert len(workbook.sheetnames) == 6


@pytest.mark.parametrize(
    "query",
    [
        "?term=ffs-20x6&program=zoo&factory=abc&province=mars",
        "?factory=999999",
        "?term=%3Cscript%3E",
    ],
)
def test_bad_filters_are_ignored_and_said_so(client, today_site, administrator, factory_b, query):
    # Someone who sees several factories: the factory filter is shown.
    client.force_login(administrator)
    response = client.get(reverse("attendance:dashboard") + query)
    assert response.status_code == 200
    page = response.content.decode()
    assert "不是可选的值，已忽略" in page and "星河暑期家庭友好空间" in page


def test_a_nul_in_a_filter_is_a_bad_request(client, today_site, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("attendance:dashboard") + "?term=%00%3Cscript%3E")
    assert response.status_code == 400 and "无法读取这个请求" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?table=attention",
        "?table=attention&format=pdf",
        "?table=nope&format=csv",
        "?table=days&format=csv&site=x",
    ],
)
def test_bad_export_requests_are_not_found(client, today_site, coordinator, query):
    client.force_login(coordinator)
    assert client.get(reverse("outcomes:export") + query).status_code == 404


def test_show_all_rows_returns_the_whole_table(client, today_site, coordinator):
    client.force_login(coordinator)
    url = reverse("outcomes:export") + "?table=term&format=html"
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "星河暑期家庭友好空间" in response.content.decode()


# Query counts --------------------------------------------------------------------------


def _dashboard_queries(client, user, url) -> int:
    client.force_login(user)
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("scale", [1, 3])
def test_the_dashboard_costs_the_same_queries_whatever_the_data(
    client, db, scale, django_assert_max_num_queries
):
    plan = generate.Plan(factories=2 * scale, sites=3 * scale, children=20 * scale, days=14 * scale)
    counts = generate.generate(plan)
    assert counts["attendance"] > 0
    coordinator = UserFactory(role=Role.COORDINATOR, all_factories=True)
    hr = UserFactory(role=Role.HR, factory=Site.objects.first().factory)
    site = Site.objects.order_by("pk").first()
    pages = {
        "dashboard": (coordinator, reverse("attendance:dashboard")),
        "factories": (coordinator, reverse("outcomes:factory_comparison")),
        "site": (coordinator, reverse("outcomes:site", kwargs={"site": site.pk})),
        "hr": (hr, reverse("attendance:dashboard")),
    }
    found = {name: _dashboard_queries(client, user, url) for name, (user, url) in pages.items()}
    # The same numbers at 1× and 3× the data (kept as the expected figures below).
    assert found == EXPECTED_QUERIES
    client.force_login(coordinator)
    with django_assert_max_num_queries(EXPECTED_QUERIES["dashboard"]):
        client.get(reverse("attendance:dashboard"))


# Drills per site (one more), and a site's roll calls and messages on its page (two more).
# The dashboard and the HR page read the outbreak alerts too (one query); the headline
# counts today's messages to families (one query).
EXPECTED_QUERIES = {"dashboard": 33, "factories": 25, "site": 34, "hr": 33}


def test_live_figures_count_every_site_in_a_fixed_number_of_queries(
    week, django_assert_num_queries
):
    ids = [week["site"].pk, week["other"].pk]
    with django_assert_num_queries(10):
        live.today_by_site(ids, NOW)


# Commands ------------------------------------------------------------------------------


def test_rebuild_site_days_recomputes_a_range_and_refuses_bad_days(week):
    from io import StringIO

    from django.core.management import CommandError, call_command

    SiteDay.objects.all().delete()
    out = StringIO()
    call_command("rebuild_site_days", since="2026-07-13", until="2026-07-19", stdout=out)
    assert SiteDay.objects.get(site=week["site"], day=TUESDAY).attended == 2
    for since, until in (
        ("13 July", None),
        ("2026-07-19", "2026-07-13"),
        ("2026-07-13", "2999-01-01"),
    ):
        with pytest.raises(CommandError):
            call_command("rebuild_site_days", since=since, until=until, stdout=out)


@pytest.mark.parametrize(
    "options",
    [
        {"factories": 0},
        {"factories": 5, "sites": 4},
        {"factories": 2, "sites": 5},
        {"sites": 3, "factories": 2, "children": 2},
        {"days": 0, "factories": 1, "sites": 1, "children": 5},
    ],
)
def test_generate_program_data_refuses_impossible_sizes(db, options):
    from io import StringIO

    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("generate_program_data", stdout=StringIO(), **options)


def test_generate_program_data_makes_and_replaces_its_own_data_only(db, site_a):
    from io import StringIO

    from django.core.management import CommandError, call_command

    options = {"factories": 2, "sites": 3, "children": 12, "days": 10, "stdout": StringIO()}
    call_command("generate_program_data", **options)
    made = AttendanceRecord.objects.count()
    assert made > 0 and SiteDay.objects.exists()
    with pytest.raises(CommandError):
        call_command("generate_program_data", **options)
    call_command("generate_program_data", replace=True, **options)
    assert AttendanceRecord.objects.count() == made
    assert Site.objects.filter(pk=site_a.pk).exists()


def test_factories_side_by_side_add_up_their_sites(week, coordinator):
    _scope, rows = rows_for(coordinator)
    (factory,) = tables.by_factory(list(rows.values()))
    assert (len(factory.sites), factory.capacity, factory.total("placed")) == (2, 120, 6)
    assert factory.term.rate == 9 / 12 and factory.total("consent_missing") == 1
    with translation.override("en"):
        table = tables.factory_table([factory])
    row = dict(zip([c.label for c in table.columns], table.rows[0], strict=True))
    assert row["Places filled"] == 6 / 120
    assert row["Attendance, term so far"] == 9 / 12
    assert row["Satisfied parents"] == 0.5


def test_an_hr_export_holds_only_their_factory(client, week, hr, outsiders):
    client.force_login(outsiders[Role.HR])
    text = client.get(reverse("outcomes:export") + "?table=term&format=csv").content.decode(
        "utf-8-sig"
    )
    assert "星河" not in text
    client.force_login(hr)
    text = client.get(reverse("outcomes:export") + "?table=factories&format=csv").content.decode(
        "utf-8-sig"
    )
    assert "东莞星河玩具厂" in text and "童乐" not in text
