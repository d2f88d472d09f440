"""The pages of a family's registration, the roster preview with its good-rows choice and
the cards, in both languages at the desktop's and the tablet's sizes, saved to look at."""

from datetime import date

import pytest
from playwright.sync_api import expect

from tests import rosters
from tests.browser.test_family_journey import sign_in
from tests.factories import ChildFactory, ConsentFactory, FamilyFactory, WorkerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each language once, at the desktop's and at the tablet's size.
SIZES = [("zh-hans", 1024, 768), ("en", 768, 1024)]
LANG = {"zh-hans": "zh-CN", "en": "en"}


def test_the_family_pages_in_each_language_and_size(
    live_server, page, screenshot, hr, term_a, tmp_path
):
    family = FamilyFactory(factory=term_a.site.factory)
    WorkerFactory(family=family, name="王建华", employee_no="XH20001")
    first = ChildFactory(family=family, name="王小明", date_of_birth=date(2019, 3, 15))
    ChildFactory(family=family, name="欧阳𠮷安", date_of_birth=date(2021, 9, 2))
    ConsentFactory(child=first)
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes(
        rosters.xlsx(
            [
                rosters.row(child="李小明"),
                rosters.row(employee_no="B002", worker="张伟", mobile="138000000012"),
            ]
        )
    )
    page.set_viewport_size({"width": SIZES[0][1], "height": SIZES[0][2]})
    sign_in(page, live_server, hr)
    # Signed in once; the pages follow HR's own language, set before each round.
    for language, width, height in SIZES:
        hr.language = language
        hr.save(update_fields=["language"])
        size = f"{language}-{width}x{height}"
        page.set_viewport_size({"width": width, "height": height})
        base = f"{live_server.url}/families/{family.key}"

        page.goto(f"{base}/")
        expect(page.locator("html")).to_have_attribute("lang", LANG[language])
        expect(page.locator("article.child-card")).to_have_count(2)
        page.locator("article.child-card details.confirm summary").first.click()
        screenshot(f"screens-family-page-{size}")
        page.goto(f"{base}/consent/")
        screenshot(f"screens-consent-several-{size}")
        page.goto(f"{base}/enrol/")
        screenshot(f"screens-enrol-several-{size}")
        page.goto(f"{base}/cards/")
        expect(page.locator(".child-id-card .card-code")).to_have_count(2)
        screenshot(f"screens-cards-{size}")

        page.goto(f"{live_server.url}/families/import/")
        page.locator("#id_file").set_input_files(str(roster))
        page.locator("main form button[type=submit]").first.click()
        expect(page.locator("button[value=good_rows]")).to_be_visible()
        screenshot(f"screens-roster-preview-{size}")
