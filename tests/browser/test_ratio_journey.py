"""The ratio on the tablet: a group arriving turns it red, a colleague clocking in turns it
green again."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ffs_portal.models import Role
from staff import services as staff_services
from tests.factories import TEST_PASSWORD, UserFactory, enrolled_child

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def staff_member(site, last_name, pin):
    person = UserFactory(role=Role.CHILDCARE, sites=[site], last_name=last_name, first_name="老师")
    profile = staff_services.profile_for(person)
    staff_services.pin_set(profile=profile, pin=pin, by=None)
    staff_services.qualification_save(
        profile=profile,
        kind="child_protection",
        obtained_on=timezone.localdate().replace(year=timezone.localdate().year - 1),
        by=None,
    )
    return person


def test_a_group_check_in_turns_the_ratio_red_and_a_clock_in_green(
    live_server, page, screenshot, carer, site_a, term_a
):
    born = timezone.localdate().replace(year=timezone.localdate().year - 4)
    toddlers = [enrolled_child(term_a, date_of_birth=born) for _ in range(17)]
    on_duty = [staff_member(site_a, "黄", "1111"), staff_member(site_a, "周", "2222")]
    for person in on_duty:
        staff_services.clock_in(
            site=site_a,
            user=person,
            pin=person.last_name and ("1111" if person.last_name == "黄" else "2222"),
            by=carer,
        )
    late = staff_member(site_a, "何", "3333")
    carer.language = "zh-hans"
    carer.save()

    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(carer.username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    ratio = page.locator("#board-ratio")
    expect(ratio).to_have_class("ratio-pill ratio-green")

    page.locator("#select-button").click()
    for child in toddlers:
        page.locator(f"#t-{child.key} .tm").click()
    page.locator("#select-form button[type=submit]").click()
    expect(ratio).to_have_class("ratio-pill ratio-red")
    the_ratio_is_red_and_a_clock_in_turns_it_green(page, screenshot, site_a, "zh-hans")
    assert late.duty_periods.get().clock_out_at is None

    # The same screens in English: 何老师 goes off duty, which turns the ratio red again.
    staff_services.clock_out(site=site_a, user=late, pin="3333", by=carer)
    carer.language = "en"
    carer.save(update_fields=["language"])
    page.goto(f"{live_server.url}/board/{site_a.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    the_ratio_is_red_and_a_clock_in_turns_it_green(page, screenshot, site_a, "en")
    assert late.duty_periods.filter(clock_out_at__isnull=True).count() == 1


def the_ratio_is_red_and_a_clock_in_turns_it_green(page, screenshot, site, language):
    """17 toddlers with two on duty: red, until 何老师 clocks in from the ratio's page."""
    ratio = page.locator("#board-ratio")
    expect(ratio).to_have_class("ratio-pill ratio-red")
    expect(ratio).to_contain_text("17")
    expect(page.locator("#ratio-detail .alert-danger")).to_be_visible()
    screenshot(f"ratio-red-{language}")

    ratio.click()
    page.locator("details", has_text="何老师").locator("summary").click()
    page.locator("details", has_text="何老师").locator("input[name=pin]").fill("3333")
    page.locator("details", has_text="何老师").locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("何老师")
    screenshot(f"ratio-duty-clock-{language}")

    page.locator(f"a[href$='/board/{site.pk}/']").first.click()
    expect(page.locator("#board-ratio")).to_have_class("ratio-pill ratio-green")
    screenshot(f"ratio-green-again-{language}")
