"""Each role signs in through a real Chromium and reaches its landing page, in Chinese and
in English."""

import pytest
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD, code_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANDINGS = {
    "hr": ("/families/", {"zh-hans": "家庭", "en": "Families"}),
    # The board of their space, named in full in the tablet's bar.
    "carer": ("/board/", {"zh-hans": "星河暑期家庭友好空间", "en": "星河暑期家庭友好空间"}),
    "site_lead": ("/board/", {"zh-hans": "星河暑期家庭友好空间", "en": "星河暑期家庭友好空间"}),
    # A coordinator of one factory: that factory's dashboard.
    "coordinator": ("/dashboard/", {"zh-hans": "数据看板", "en": "dashboard"}),
    "administrator": ("/dashboard/", {"zh-hans": "数据看板", "en": "Program dashboard"}),
    "sponsor_user": ("/reports/", {"zh-hans": "赞助方报告", "en": "Sponsor reports"}),
}


# Each role once, the languages taken in turn: each landing page in both languages is on the
# screens of the other browser tests.
ROUNDS = [(role, ("zh-hans", "en")[n % 2]) for n, role in enumerate(LANDINGS)]


def test_each_role_signs_in_and_lands_on_its_page(request, live_server, page, screenshot):
    page.set_viewport_size({"width": 1280, "height": 800})
    for role, language in ROUNDS:
        # Each person from a browser without cookies, as if on a computer of their own.
        page.context.clear_cookies()
        signs_in_and_lands(
            live_server, page, screenshot, request.getfixturevalue(role), role, language
        )


def signs_in_and_lands(live_server, page, screenshot, user, role, language):
    path, heading = LANDINGS[role]
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("h1")).to_have_text("登录")
    if language == "en":
        page.get_by_role("button", name="EN").click()
        expect(page.locator("h1")).to_have_text("Sign in")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    if user.needs_two_factor:
        # Coordinators and administrators: the code from their authenticator app too.
        expect(page).to_have_url(f"{live_server.url}/accounts/login/code/")
        page.locator("#id_code").fill(code_for(user))
        page.locator("form button[type=submit]").last.click()
    expect(page).to_have_url(f"{live_server.url}{path}")
    expect(page.locator("h1").first).to_contain_text(heading[language])
    assert page.locator("html").get_attribute("lang") == (
        "zh-CN" if language == "zh-hans" else "en"
    )
    screenshot(f"landing-{role}-{language}")


def test_a_wrong_password_is_refused_in_chinese(live_server, page, hr):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(hr.username)
    page.locator("#id_password").fill("wrong")
    page.locator("form button[type=submit]").last.click()
    expect(page.locator(".alert-danger")).to_contain_text("请输入一个正确的")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
