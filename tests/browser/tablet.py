"""Helpers for driving the tablet board in a browser."""

import re
from datetime import datetime, time

from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD


def today_at(hour, minute=0):
    return timezone.make_aware(datetime.combine(timezone.localdate(), time(hour, minute)))


def tile(page, child):
    return page.locator(f"#t-{child.key}")


def settled(page, child):
    """The tile once it takes taps again (a tile ignores taps for a moment after it changed)."""
    expect(tile(page, child)).not_to_have_class(re.compile(r"\bsettling\b"))
    return tile(page, child)


def sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page.locator("#board")).to_be_visible()


def open_sheet(page, child):
    settled(page, child).locator(".tm").click()
    expect(page.locator("#sheet")).to_be_visible()
    expect(page.locator("#sheet-title")).to_have_text(child.name)


def quiet(page):
    """Wait until the board waits for no answer."""
    expect(page.locator("#board")).to_have_attribute("aria-busy", "false")
