"""The lead's messages page with its announcement form, in both languages at the tablet's
sizes: an announcement sent from it is listed with its text."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_family_journey import sign_in
from tests.factories import enrolled_child

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANG = {"zh-hans": "zh-CN", "en": "en"}


ROUNDS = [
    ("zh-hans", 1024, 768, "明天台风停课，请在家照顾孩子。"),
    ("en", 768, 1024, "后天照常开放。"),
]


def test_the_lead_sends_an_announcement(live_server, page, screenshot, site_lead, term_a, site_a):
    enrolled_child(term_a, name="王小明").consents.update(covers_messages=True)
    page.set_viewport_size({"width": ROUNDS[0][1], "height": ROUNDS[0][2]})
    sign_in(page, live_server, site_lead)
    # Signed in once; the page follows the lead's own language, set before each round.
    for language, width, height, text in ROUNDS:
        site_lead.language = language
        site_lead.save(update_fields=["language"])
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/board/{site_a.pk}/messages/")
        expect(page.locator("html")).to_have_attribute("lang", LANG[language])
        page.locator("#id_text").fill(text)
        page.locator("main form button[type=submit]").click()
        expect(page.locator("main table")).to_contain_text(text)
        screenshot(f"messages-announcement-{language}-{width}x{height}")
