"""HR runs a parent training session: schedule, invite parents of left-behind children,
sign-in on the tablet, one feedback, and the reach on the dashboard moves."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from enrollment.training.models import SessionFeedback
from tests.factories import (
    TEST_PASSWORD,
    ChildFactory,
    CourseFactory,
    EnrollmentFactory,
    FamilyFactory,
    WorkerFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def unlock(page):
    """HR, who has no PIN, ends kiosk mode with their password."""
    page.locator(".kiosk-exit summary").click()
    page.locator("#kiosk-secret").fill(TEST_PASSWORD)
    page.get_by_role("button", name="解锁").click()
    expect(page.locator(".kiosk-exit")).to_have_count(0)


def test_hr_runs_a_training_session_and_the_reach_moves(
    live_server, page, screenshot, hr, factory_a, term_a
):
    course = CourseFactory(name="远程亲子教育")
    parents = []
    for name in ("王秀兰", "李春梅", "张建国"):
        worker = WorkerFactory(family=FamilyFactory(factory=factory_a), name=name)
        ChildFactory(family=worker.family, lives_with="grandparents_village")
        parents.append(worker)
    # A parent whose child lives with them and has a place in the space: not left behind.
    city = WorkerFactory(family=FamilyFactory(factory=factory_a), name="赵城里")
    EnrollmentFactory(child=ChildFactory(family=city.family, lives_with="parents"), term=term_a)

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(hr.username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()

    page.goto(f"{live_server.url}/dashboard/")
    # The reach table of the dashboard: sessions, trained, parents, reached, share, …
    reach = page.locator("#table-reach tbody tr", has_text=factory_a.name)
    expect(reach.locator("td").nth(4)).to_have_text("0%")
    screenshot("training-dashboard-before-zh")

    page.get_by_role("link", name="家长培训").click()
    page.get_by_role("link", name="安排培训").click()
    starts = timezone.localtime() + timedelta(hours=1)
    page.locator("#id_course").select_option(label=course.name)
    page.locator("#id_starts_at").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_ends_at").fill((starts + timedelta(minutes=90)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_place").fill("二楼培训室")
    page.locator("#id_trainer").fill("刘老师")
    page.locator("#id_capacity").fill("20")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("h1")).to_have_text(course.name)
    session_page = page.url

    page.get_by_role("link", name="邀请家长").click()
    expect(page.locator("main table")).to_contain_text("王秀兰")
    expect(page.locator("main table")).not_to_contain_text("赵城里")
    for worker in parents:
        page.get_by_label(worker.name).check()
    screenshot("training-invite-zh")
    page.get_by_role("button", name="邀请勾选的员工").click()
    expect(page.locator(".alert-success")).to_contain_text("已邀请 3 名员工")

    page.get_by_role("link", name="签到平板").click()
    page.set_viewport_size({"width": 1024, "height": 768})
    for worker in parents[:2]:
        page.locator("#sign-in-search").fill(worker.name)
        page.get_by_role("button", name=worker.name).click()
        expect(page.locator(".alert-success").first).to_contain_text(f"{worker.name}，签到成功")
    screenshot("training-sign-in-tablet-zh")
    # The desk is a kiosk: nothing else opens on this tablet until HR unlocks it.
    page.goto(session_page)
    expect(page.locator("#sign-in-search")).to_be_visible()
    unlock(page)
    screenshot("training-kiosk-unlocked-zh")

    page.goto(session_page)
    page.get_by_role("link", name="在本平板上填写").first.click()
    for question in ("usefulness", "clarity", "will_apply"):
        page.locator(f"label[for=id_{question}_4]").click()
    page.locator("textarea[name=comment]").fill("很有用，想多参加")
    screenshot("training-feedback-kiosk-zh")
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".alert-success")).to_contain_text("谢谢")
    unlock(page)

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/dashboard/")
    expect(reach.locator("td").nth(4)).to_have_text("67%")
    expect(reach.locator("td").nth(2)).to_have_text("3")
    expect(reach.locator("td").nth(3)).to_have_text("2")
    screenshot("training-dashboard-after-zh")
    assert SessionFeedback.objects.get().average == 5
