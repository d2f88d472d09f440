"""Signing in through the pages, as a person does: the password, then, for an account with an
authenticator app (coordinators, administrators), the code it shows."""

from playwright.sync_api import expect

from ffs_portal import two_factor
from ffs_portal.models import User
from tests.factories import TEST_PASSWORD, code_for


def sign_in(page, live_server, username: str, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").last.click()
    user = User.objects.get(username__iexact=username)
    if two_factor.is_set_up(user):
        expect(page).to_have_url(f"{live_server.url}/accounts/login/code/")
        page.locator("#id_code").fill(code_for(user))
        page.locator("main form button[type=submit]").last.click()
