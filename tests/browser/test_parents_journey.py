"""Parents in the loop: a carer checks a child in and hands her to the grandmother; the
message in var/messages opens the parent's page, which shows both; the parent reports
tomorrow's absence (the board shows it) and names a delegate for the sister, whose one-time
code the carer types at the hand-over."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from attendance.models import AttendanceRecord, AttendanceStatus
from ffs_portal.notices import services as notices
from ffs_portal.notices.models import Notice, NoticeStatus
from tests.browser.tablet import open_sheet, sign_in, tile, today_at
from tests.factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    PickupPermissionFactory,
    enrolled_child,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clock(monkeypatch):
    state = {"now": today_at(7, 50)}
    monkeypatch.setattr("ffs_portal.lib.clock.now", lambda: state["now"])
    return state


@pytest.fixture
def family(term_a, settings, tmp_path):
    settings.NOTICE_BACKEND = "file"
    settings.NOTICE_FILE_PATH = tmp_path / "messages"
    xiaohong = enrolled_child(term_a, name="王小红")
    sister = ChildFactory(family=xiaohong.family, name="王小兰")
    ConsentFactory(child=sister)
    EnrollmentFactory(child=sister, term=term_a)
    for child in (xiaohong, sister):
        child.consents.update(covers_messages=True)
    PickupPermissionFactory(child=xiaohong, adult__name="李秀英", adult__relation="grandmother")
    return {"xiaohong": xiaohong, "sister": sister, "messages": settings.NOTICE_FILE_PATH}


def send_queued() -> None:
    """What the worker does: every queued message goes out (as a file)."""
    for pk in Notice.objects.filter(status=NoticeStatus.QUEUED).values_list("pk", flat=True):
        notices.deliver(pk)


def test_parents_follow_the_day_and_act_from_their_page(
    live_server, page, browser, screenshot, carer, family, clock
):
    xiaohong, sister = family["xiaohong"], family["sister"]
    parent = xiaohong.family.workers.get()
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, carer)

    # Morning: the father brings both girls; the carer records who brought 王小红.
    page.locator(f"#t-{xiaohong.key} .tx").click()
    expect(page.locator("#sheet-title")).to_have_text("王小红")
    page.locator("#sheet .collector-sm", has_text=parent.name).click()
    page.locator("#sheet form[data-act=check_in] button[type=submit]").click()
    expect(tile(page, xiaohong).locator(".rb")).to_have_text("在园")
    tile(page, sister).locator(".tm").click()
    expect(tile(page, sister).locator(".rb")).to_have_text("在园")

    # Afternoon: grandmother 李秀英 collects 王小红.
    clock["now"] = today_at(16, 40)
    open_sheet(page, xiaohong)
    page.locator("#sheet .collector", has_text="李秀英").click()
    page.get_by_role("button", name="确认：交给此人接走").click()
    expect(tile(page, xiaohong).locator(".rb")).to_have_text("已接走")

    # The message to the father, as the embedded backend writes it.
    send_queued()
    (message,) = family["messages"].iterdir()
    text = message.read_text()
    assert "王小红已于16:40由奶奶/外婆 李秀英接走" in text
    path = re.search(r"https?://[^/\s]+(/parents/\S+/)", text).group(1)

    phone = browser.new_context(viewport={"width": 768, "height": 1024}, locale="zh-CN")
    parent_page = phone.new_page()
    parent_page.goto(live_server.url + path)
    card = parent_page.locator(f"section[aria-labelledby='child-{xiaohong.key}']")
    expect(card).to_contain_text("已接走")
    expect(card).to_contain_text(f"由{parent.name}送来")
    expect(card).to_contain_text("16:40由李秀英接走")
    screenshot("parents-1-today-zh", of=parent_page)

    # Tomorrow 王小红 stays home: the parent says so now.
    tomorrow = (today_at(12) + timedelta(days=1)).date()
    card.locator("summary", has_text="请假").click()
    card.locator("input[name=day]").fill(tomorrow.isoformat())
    card.locator("input[name=note]").fill("回老家看奶奶")
    card.get_by_role("button", name="告诉托管空间").click()
    expect(parent_page.locator(".alert-success")).to_contain_text("王小红")

    # The sister is collected by a neighbour today: the parent names her and gets a code.
    other = parent_page.locator(f"section[aria-labelledby='child-{sister.key}']")
    other.locator("summary", has_text="今天请别人代接").click()
    other.locator("input[name=name]").fill("陈阿姨")
    other.locator("input[name=relation]").fill("邻居")
    other.locator("input[name=mobile]").fill("13912345678")
    screenshot("parents-2-delegate-form-zh", of=parent_page)
    other.get_by_role("button", name="获取一次性接送码").click()
    code = parent_page.locator("[data-delegate-code]").inner_text().strip()
    assert re.fullmatch(r"\d{6}", code)
    screenshot("parents-3-code-zh", of=parent_page)

    # At the door, the carer sees who the parent named and types the code.
    clock["now"] = today_at(17, 5)
    open_sheet(page, sister)
    delegate = page.locator("#sheet .collector-delegate")
    expect(delegate).to_contain_text("陈阿姨")
    expect(delegate).to_contain_text("家长 16:40 指定")
    delegate.click()
    page.locator("#sheet input[name=delegate_code]").fill(code)
    screenshot("parents-4-delegate-at-the-tablet-zh")
    page.get_by_role("button", name="确认：交给此人接走").click()
    expect(tile(page, sister).locator(".rb")).to_have_text("已接走")
    record = AttendanceRecord.objects.get(child=sister)
    assert record.status == AttendanceStatus.COLLECTED and record.collected_by_name == "陈阿姨"
    assert record.pickup_code_checked

    # Tomorrow morning the board shows the leave the parent reported.
    clock["now"] = today_at(7, 40) + timedelta(days=1)
    page.reload()
    expect(tile(page, xiaohong).locator(".rb")).to_have_text("请假 · 家长报告")

    # The parent's page, in English (switched from the page the last act showed).
    parent_page.get_by_role("button", name="EN").click()
    expect(parent_page.locator("h1")).to_have_text("My children today")
    screenshot("parents-5-tomorrow-en", of=parent_page)
    parent_page.goto(live_server.url + path.replace("/parents/", "/parents/x"))
    expect(parent_page.locator("h1")).to_contain_text("This link does not work")
    phone.close()
