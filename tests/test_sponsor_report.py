"""The sponsor's yearly report: aggregated figures only, anything under 5 suppressed."""

from datetime import date
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from attendance.outcomes import services
from attendance.outcomes import sponsor_report as report
from attendance.outcomes.models import SiteDay
from attendance.outcomes.sponsor_report import SUPPRESSED, Measure, suppress
from attendance.outcomes.tables import INT, SHARE, TEXT, Column
from tests.factories import (
    ChildFactory,
    EnrollmentFactory,
    FamilyFactory,
    TermFactory,
    WorkerFactory,
)

MEASURES = [
    Measure("name", Column("name", TEXT)),
    Measure("children", Column("children", INT), count=True),
    Measure("attended", Column("attended", INT), count=True),
    Measure("rate", Column("rate", SHARE), depends=("children",)),
    Measure("capacity", Column("capacity", INT)),
]


def line(name, children, attended=100, capacity=60):
    return {
        "name": name,
        "children": children,
        "attended": attended,
        "rate": attended / 120,
        "capacity": capacity,
    }


def test_a_count_under_5_and_the_rates_made_from_it_are_suppressed():
    rows, total = suppress(MEASURES, [line("A", 4, 3), line("B", 5, 0)])
    assert rows[0] == ["A", SUPPRESSED, SUPPRESSED, SUPPRESSED, 60]
    # Zero is under 5 too; capacity is not about people and stays.
    assert rows[1] == ["B", 5, SUPPRESSED, 0 / 120, 60]
    assert total is None


def test_a_lone_suppressed_figure_takes_the_next_smallest_with_it_when_a_total_shows():
    rows, total = suppress(
        MEASURES,
        [line("A", 3), line("B", 10), line("C", 12)],
        line("all", 25, attended=300),
    )
    assert [r[1] for r in rows] == [SUPPRESSED, SUPPRESSED, 12]
    # B's rate goes with B's children: it could give them back.
    assert rows[1][3] == SUPPRESSED and rows[2][3] == 100 / 120
    assert total[1] == 25


def test_two_suppressed_figures_need_no_third():
    rows, _total = suppress(MEASURES, [line("A", 3), line("B", 2), line("C", 12)], line("all", 17))
    assert [r[1] for r in rows] == [SUPPRESSED, SUPPRESSED, 12]


def test_a_total_under_5_is_suppressed_as_well():
    _rows, total = suppress(MEASURES, [line("A", 2)], line("all", 2))
    assert total[1] == SUPPRESSED


@pytest.fixture
def sponsored_summer(factory_a, site_a, sponsor_a):
    """Factory A's summer this year: 6 children of 6 families, two days, a survey, training."""
    year = sponsor_a.sponsorships.order_by("-year").first().year
    term = TermFactory(site=site_a, starts_on=date(year, 1, 5), ends_on=date(year, 1, 30))
    families = [FamilyFactory(factory=factory_a) for _n in range(6)]
    for family in families:
        WorkerFactory(family=family)
        EnrollmentFactory(child=ChildFactory(family=family), term=term, status="completed")
    SiteDay.objects.create(
        site=site_a, day=date(year, 1, 5), expected=6, attended=5, absent_ill=1, late_pickups=1
    )
    SiteDay.objects.create(
        site=site_a, day=date(year, 1, 6), expected=6, attended=6, minutes_over_ratio=12
    )
    # A day outside the term does not count.
    SiteDay.objects.create(site=site_a, day=date(year, 2, 2), expected=9, attended=1, unrecorded=8)
    scores = {"safe": 5, "enjoyed": 5, "informed": 4, "work": 5}
    for family, overall in zip(families, (5, 5, 4, 5, 2), strict=False):
        services.survey_enter_paper(family=family, term=term, by=None, overall=overall, **scores)
    return year


def test_the_report_adds_up_the_sponsored_spaces_and_suppresses_small_figures(
    sponsored_summer, sponsor_user, sponsor_a
):
    with translation.override("en"):
        built = report.build(sponsor_user, sponsor_a, sponsored_summer)
    (unit,) = built.units
    assert (unit.children, unit.families, unit.sites, unit.capacity) == (6, 6, 1, 60)
    assert (unit.figures.expected, unit.figures.attended) == (12, 11)
    columns = [c.label for c in built.spaces.columns + built.satisfaction.columns]
    row = dict(zip(columns, built.spaces.rows[0] + built.satisfaction.rows[0], strict=True))
    assert row["Children cared for"] == 6
    assert row["Child-days of care"] == 11
    assert row["Attendance rate"] == pytest.approx(11 / 12)
    assert row["Late pickups"] == SUPPRESSED and row["Late-pickup rate"] == SUPPRESSED
    assert row["Incidents"] == SUPPRESSED and row["Incidents per 1,000 child-days"] == SUPPRESSED
    assert row["Minutes over ratio"] == 12
    assert (row["Families asked"], row["Families who answered"]) == (6, 5)
    assert row["Response rate"] == pytest.approx(5 / 6)
    # 4 satisfied families: fewer than 5, so neither the count nor the share shows.
    assert row["Satisfied families"] == SUPPRESSED and row["Satisfied parents"] == SUPPRESSED


def test_the_sponsor_reads_the_report_as_a_page_and_as_excel_with_no_names(
    client, sponsored_summer, sponsor_user, sponsor_a
):
    from enrollment.models import Child, Worker

    client.force_login(sponsor_user)
    url = reverse(
        "outcomes:sponsor_report", kwargs={"sponsor": sponsor_a.pk, "year": sponsored_summer}
    )
    page = client.get(url).content.decode()
    assert "&lt;5" in page and "92%" in page
    assert "99%" in page and "%%" not in page  # the 2017 reference, written as people read it
    for name in [
        *Child.objects.values_list("name", flat=True),
        *Worker.objects.values_list("name", flat=True),
    ]:
        assert name not in page
    response = client.get(url + "?format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(BytesIO(response.content))
    assert len(workbook.sheetnames) == 4
    values = [cell.value for row in workbook.worksheets[0].iter_rows() for cell in row]
    assert SUPPRESSED in values and 11 in values


def test_a_coordinator_reads_only_their_factories_in_a_sponsors_report(
    client, sponsored_summer, sponsor_a, factory_b, outsiders
):
    from ffs_portal.models import Role

    sponsor_a.sponsorships.create(factory=factory_b, program="asc", year=sponsored_summer)
    client.force_login(outsiders[Role.COORDINATOR])
    url = reverse(
        "outcomes:sponsor_report", kwargs={"sponsor": sponsor_a.pk, "year": sponsored_summer}
    )
    page = client.get(url).content.decode()
    assert factory_b.name in page and "东莞星河玩具厂" not in page


def test_a_year_out_of_range_is_not_found(client, sponsor_user, sponsor_a):
    client.force_login(sponsor_user)
    url = reverse("outcomes:sponsor_report", kwargs={"sponsor": sponsor_a.pk, "year": 1900})
    assert client.get(url).status_code == 404
