"""The lead's messages page with its announcement form, in both languages at the tablet's
sizes: an announcement sent from it is listed with its text."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_family_journey import sign_in
from tests.factories import enrolled_child

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language, width, height", [("zh-hans", 1024, 768), ("en", 768, 1024)])
def test_the_lead_sends_an_announcement(
    live_server, page, screenshot, site_lead, term_a, site_a, language, width, height
):
    enrolled_child(term_a, name="王小明").consents.update(covers_messages=True)
    site_lead.language = language
    site_lead.save(update_fields=["language"])
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, live_server, site_lead)
    page.goto(f"{live_server.url}/board/{site_a.pk}/messages/")
    page.locator("#id_text").fill("明天台风停课，请在家照顾孩子。")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main table")).to_contain_text("明天台风停课")
    screenshot(f"messages-announcement-{language}-{width}x{height}")
