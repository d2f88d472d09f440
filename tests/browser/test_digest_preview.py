"""A coordinator previews today's daily e-mail from the dashboard."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from attendance.models import (
    AttendanceRecord,
    DigestRun,
    StillCheckedInAlert,
    StillCheckedInDelivery,
)
from tests.browser.signing_in import sign_in
from tests.factories import enrolled_child

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


WORDS = {
    "zh-hans": {"link": "每日邮件", "heading": "今天的每日邮件", "perhaps": "可能已发送"},
    "en": {"link": "Daily e-mail", "heading": "Today's daily e-mail", "perhaps": "Perhaps sent"},
}


def test_a_coordinator_previews_the_daily_email(
    live_server, page, screenshot, coordinator, site_a, term_a
):
    for number in range(6):
        child = enrolled_child(term_a)
        if number < 4:
            AttendanceRecord.objects.create(
                site=site_a,
                child=child,
                day=timezone.localdate(),
                status="present",
                checked_in_at=timezone.now(),
            )
    yesterday = timezone.localdate() - timedelta(days=1)
    DigestRun.objects.create(recipient=coordinator, day=yesterday, status="unknown", attempts=1)
    alert = StillCheckedInAlert.objects.create(site=site_a, day=yesterday)
    StillCheckedInDelivery.objects.create(alert=alert, recipient=coordinator, status="failed")
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, coordinator.username)
    # The same preview in each language: the portal follows the coordinator's own.
    for language, words in WORDS.items():
        coordinator.language = language
        coordinator.save(update_fields=["language"])
        page.set_viewport_size({"width": 1024, "height": 768})
        page.goto(f"{live_server.url}/dashboard/")
        page.get_by_role("link", name=words["link"]).click()
        expect(page.locator("h1")).to_have_text(words["heading"])
        email = page.frame_locator("iframe")
        expect(email.locator("body")).to_contain_text(site_a.name)
        expect(email.locator("body")).to_contain_text("4/6")
        # Yesterday's e-mail perhaps went out: it is listed for someone to look at.
        troubled = page.locator("#troubled-title").locator("..")
        expect(troubled.get_by_role("row").nth(1)).to_contain_text(words["perhaps"])
        expect(troubled.get_by_role("row").nth(2)).to_contain_text(site_a.name)
        screenshot(f"digest-preview-{language}-1024x768")
        page.set_viewport_size({"width": 768, "height": 1024})
        screenshot(f"digest-preview-{language}-768x1024")
