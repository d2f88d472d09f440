"""A coordinator reads the program dashboard in Chinese and English, finds the three sites
with the lowest attendance last week and why, opens one, compares factories; a sponsor
reads and prints its report; a parent answers the survey on the tablet."""

import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from ffs_portal.demo import generate
from ffs_portal.demo.management.commands.seed_demo import DEMO_PASSWORD
from ffs_portal.models import Role
from ffs_portal.outcomes import services
from ffs_portal.outcomes.models import ParentSurvey, Sponsor
from tests.browser.signing_in import sign_in
from tests.factories import UserFactory, with_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    """The demo's factories, families, sponsor and logins."""
    from io import StringIO

    from enrollment.training.models import Course

    # The course catalogue comes from a data migration, which transactional tests flush.
    for name in ("远程亲子沟通", "留守儿童心理健康"):
        Course.objects.get_or_create(name=name)
    call_command("seed_demo", stdout=StringIO())


@pytest.fixture
def program(demo):
    """The demo, and forty more sites with two months of attendance."""
    generate.generate(generate.Plan(factories=20, sites=40, children=640, days=45, seed=7))
    return with_authenticator(
        UserFactory(
            username="coordinator.test",
            role=Role.COORDINATOR,
            all_factories=True,
            language="zh-hans",
        )
    )


def test_a_coordinator_finds_the_lowest_sites_last_week_and_why(
    live_server, page, screenshot, program
):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, program.username)
    expect(page.locator("h1")).to_have_text("项目数据看板")
    lowest = page.locator(".lowest-list > li")
    expect(lowest).to_have_count(3)
    expect(lowest.first).to_contain_text("未到人次")
    expect(page.locator("#table-attention tbody tr").first).to_be_visible()
    # The charts are drawn from the page's own data (Chart.js served by the portal).
    page.wait_for_function("document.querySelector('#chart-trend').width > 0")
    screenshot("dashboard-desktop-zh")

    page.get_by_role("button", name="EN").first.click()
    expect(page.locator("h1")).to_have_text("Program dashboard")
    expect(page.get_by_text("Lowest attendance last week")).to_be_visible()
    screenshot("dashboard-desktop-en")

    # All the rows of a table on request.
    rows = page.locator("#table-term tbody tr")
    before = rows.count()
    page.locator("#table-term").get_by_role("button", name=re.compile("Show all")).click()
    expect(rows).not_to_have_count(before)

    first = lowest.first.locator("a").first
    name = first.inner_text()
    first.click()
    expect(page.locator("h1")).to_have_text(name)
    expect(page.get_by_text("The last two weeks, day by day")).to_be_visible()
    screenshot("dashboard-site-en")

    page.get_by_role("link", name="Compare factories").click()
    expect(page.locator("#table-factories tbody tr").nth(2)).to_be_visible()
    screenshot("dashboard-factories-en")

    page.get_by_role("link", name="Worker retention").click()
    expect(page.get_by_text("A comparison, not a proof of cause.")).to_be_visible()
    screenshot("dashboard-retention-en")
    page.get_by_role("link", name="Program years").click()
    expect(page.locator("h1")).to_contain_text("Program year")
    screenshot("dashboard-program-years-en")

    page.get_by_role("link", name="Program dashboard").click()
    page.locator("#id_program").select_option("ffs")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#id_program")).to_have_value("ffs")
    screenshot("dashboard-filtered-en")


def test_a_sponsor_reads_and_prints_its_report(live_server, page, screenshot, demo):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, "sponsor.lego", DEMO_PASSWORD)
    expect(page.locator("h1")).to_have_text("Sponsor reports")
    year = timezone.localdate().year
    page.get_by_role("link", name=f"Report {year}").click()
    expect(page.locator("h1")).to_contain_text("LEGO Foundation")
    expect(page.locator(".sponsor-report")).to_contain_text("<5")
    screenshot("sponsor-report-en")
    page.emulate_media(media="print")
    screenshot("sponsor-report-print-en")
    page.emulate_media(media="screen")
    # Nothing else is open to a sponsor.
    response = page.goto(f"{live_server.url}/dashboard/")
    assert response.status == 403
    assert Sponsor.objects.count() == 1


def test_a_parent_answers_the_survey_on_the_tablet(live_server, page, screenshot, demo):
    from enrollment.models import Enrollment

    enrollment = (
        Enrollment.objects.filter(term__site__kind="asc", status="enrolled")
        .select_related("child__family", "term")
        .first()
    )
    # The last days of the term: the survey is open.
    term = enrollment.term
    term.ends_on = timezone.localdate() + timezone.timedelta(days=5)
    term.save(update_fields=["ends_on"])
    survey = services.survey_for(family=enrollment.child.family, term=term)
    for size, label in (
        ({"width": 1024, "height": 768}, "landscape"),
        ({"width": 768, "height": 1024}, "portrait"),
    ):
        page.set_viewport_size(size)
        page.goto(f"{live_server.url}/survey/{survey.token}/")
        expect(page.locator("h1")).to_have_text("托管点对您家怎么样？")
        screenshot(f"survey-kiosk-{label}-zh")
    for question in ("safe", "enjoyed", "informed", "work", "overall"):
        page.locator(f"label[for=id_{question}_4]").click()
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".alert-success")).to_contain_text("谢谢")
    screenshot("survey-kiosk-thanks-zh")
    assert ParentSurvey.objects.get(pk=survey.pk).overall == 5
