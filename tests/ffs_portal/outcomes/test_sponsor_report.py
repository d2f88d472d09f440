"""The sponsor's yearly report: aggregated figures only, anything under 5 suppressed."""

from datetime import date
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from ffs_portal.outcomes import services
from ffs_portal.outcomes import sponsor_report as report
from ffs_portal.outcomes.sponsor_report import SUPPRESSED, Measure, suppress
from ffs_portal.outcomes.tables import INT, SHARE, TEXT, Column
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


def record(site, child, day, status="collected", **fields):
    from datetime import datetime, time

    from django.utils import timezone

    from attendance.models import AttendanceRecord

    at = timezone.make_aware(datetime.combine(day, time(8)))
    came = status != "absent"
    return AttendanceRecord.objects.create(
        site=site,
        child=child,
        day=day,
        status=status,
        checked_in_at=at if came else None,
        checked_out_at=at.replace(hour=17) if came else None,
        absence_reason="" if came else "ill",
        **fields,
    )


@pytest.fixture
def sponsored_summer(factory_a, site_a, sponsor_a):
    """Factory A's two-day summer this year: 6 children of 6 families whose guardians agreed
    to reporting, a survey, training."""
    from staff.models import RatioDay
    from tests.factories import ConsentFactory

    year = sponsor_a.sponsorships.order_by("-year").first().year
    term = TermFactory(site=site_a, starts_on=date(year, 1, 5), ends_on=date(year, 1, 6))
    families = [FamilyFactory(factory=factory_a) for _n in range(6)]
    children = []
    for family in families:
        WorkerFactory(family=family)
        child = ChildFactory(family=family)
        ConsentFactory(child=child, covers_reporting=True)
        EnrollmentFactory(child=child, term=term, status="completed")
        children.append(child)
    first, second = date(year, 1, 5), date(year, 1, 6)
    for n, child in enumerate(children):
        record(site_a, child, first, "absent" if n == 0 else "collected", late=n == 1)
        record(site_a, child, second)
    RatioDay.objects.create(site=site_a, day=second, minutes_over=12)
    # A day outside the term does not count.
    record(site_a, children[0], date(year, 2, 2))
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


def test_children_whose_guardian_did_not_agree_to_reporting_are_not_counted(
    sponsored_summer, sponsor_user, sponsor_a
):
    from enrollment.models import Consent

    Consent.objects.filter(child__enrollments__term__starts_on__year=sponsored_summer).update(
        covers_reporting=False
    )
    (unit,) = report.build(sponsor_user, sponsor_a, sponsored_summer).units
    assert (unit.children, unit.families) == (0, 0)
    assert (unit.figures.expected, unit.figures.attended, unit.figures.late_pickups) == (0, 0, 0)
    # One family agrees again: one child counts, in every figure about children.
    consent = Consent.objects.first()
    consent.covers_reporting = True
    consent.save(update_fields=["covers_reporting"])
    (unit,) = report.build(sponsor_user, sponsor_a, sponsored_summer).units
    assert (unit.children, unit.families) == (1, 1)
    assert unit.figures.expected == 2
