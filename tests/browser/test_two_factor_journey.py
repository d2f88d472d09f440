"""A new coordinator's first sign-in in a real Chromium: the password, then setting up the
authenticator app from the QR code the portal draws, then the recovery codes, once."""

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from ffs_portal.models import Role
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_coordinator_sets_up_the_app_at_the_first_sign_in(
    live_server, page, screenshot, factory_a
):
    page.set_viewport_size({"width": 1024, "height": 768})
    # One newcomer in each language, each starting from a browser without cookies.
    for username, language in (("zhao.min", "zh-hans"), ("zhao.lei", "en")):
        page.context.clear_cookies()
        first_sign_in(live_server, page, screenshot, factory_a, username, language)


def first_sign_in(live_server, page, screenshot, factory, username, language):
    newcomer = UserFactory(
        username=username, role=Role.COORDINATOR, factories=[factory], language=language
    )
    page.goto(f"{live_server.url}/accounts/login/")
    if language == "en":
        page.get_by_role("button", name="EN").click()
    page.locator("#id_username").fill(newcomer.username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/two-factor/")
    qr = page.locator("img.two-factor-qr")
    expect(qr).to_be_visible()
    assert page.evaluate("document.querySelector('img.two-factor-qr').naturalWidth") > 100
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    key = page.locator("[data-totp-key]").inner_text().replace(" ", "")
    assert len(key) == 32
    page.locator("#id_code").fill(f"{TOTP(device.bin_key).token():06d}")
    screenshot(f"two-factor-setup-{language}")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("[data-recovery-codes] li")).to_have_count(10)
    screenshot(f"two-factor-codes-{language}")
    page.locator("main a.btn-primary").click()
    expect(page).to_have_url(f"{live_server.url}/dashboard/")
