"""A childcare worker's day on the tablet (1024×768, Chinese): morning check-in of a group,
one absence, an incident; afternoon check-out with one refused pickup and one late pickup.
Then the same board in portrait and in English."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from attendance.models import AttendanceRecord, AttendanceStatus, Incident, RefusedPickup
from tests.browser.tablet import open_sheet, sign_in, tile, today_at
from tests.factories import (
    PickupPermissionFactory,
    RoomFactory,
    enrolled_child,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = ["王小明", "李欣怡", "张子涵", "刘浩然", "陈梓萱", "杨宇轩", "黄诗琪", "赵俊杰", "吴雨桐"]


@pytest.fixture
def clock(monkeypatch):
    state = {"now": today_at(7, 40)}
    monkeypatch.setattr("ffs_portal.lib.clock.now", lambda: state["now"])
    return state


@pytest.fixture
def space(site_a, term_a):
    RoomFactory(site=site_a, name="幼儿组", min_age=3, max_age=5)
    RoomFactory(site=site_a, name="儿童组", min_age=6, max_age=14)
    children = {}
    for n, name in enumerate(NAMES):
        born = timezone.localdate().replace(year=timezone.localdate().year - (4 + n % 6))
        children[name] = enrolled_child(
            term_a,
            name=name,
            date_of_birth=born,
            allergies="花生" if name in ("王小明", "黄诗琪") else "",
        )
    PickupPermissionFactory(
        child=children["王小明"], adult__name="李秀英", adult__relation="grandmother"
    )
    PickupPermissionFactory(
        child=children["李欣怡"], allowed=False, adult__name="赵二", adult__relation="uncle"
    )
    return children


def test_a_day_on_the_tablet(live_server, page, screenshot, carer, site_lead, space, clock):
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server, carer)
    counters = page.locator("#board-counters")
    expect(counters.locator(".c-expected .n")).to_have_text(str(len(NAMES)))
    screenshot("board-1-morning-zh")

    # One tap checks 王小明 in, with a toast offering undo.
    wang = space["王小明"]
    tile(page, wang).locator(".tm").click()
    expect(tile(page, wang).locator(".rb")).to_have_text("在园")
    expect(page.locator(".toast-item").first).to_contain_text("王小明 已签到")
    expect(page.locator(".toast-item").first.get_by_role("button", name="撤销")).to_be_visible()
    screenshot("board-2-checked-in-toast-zh")

    # A group of four arrives together: select mode.
    page.locator("#select-button").click()
    group = [space[name] for name in ("李欣怡", "张子涵", "刘浩然", "陈梓萱")]
    for child in group:
        tile(page, child).locator(".tm").click()
    expect(page.locator("#select-bar [data-count]")).to_have_text("4")
    screenshot("board-3-select-mode-zh")
    page.locator("#select-form button[type=submit]").click()
    for child in group:
        expect(tile(page, child).locator(".rb")).to_have_text("在园")
    expect(counters.locator(".c-present .n")).to_have_text("5")

    # 吴雨桐 is ill today.
    wu = space["吴雨桐"]
    tile(page, wu).locator(".tx").click()
    expect(page.locator("#sheet-title")).to_have_text(wu.name)
    page.locator("#sheet .absence-reasons label", has_text="生病").click()
    page.locator("#absence-note").fill("发烧，奶奶打电话请假")
    screenshot("board-4-absence-zh")
    page.locator("#sheet .absence button[type=submit]").click()
    expect(page.locator("#sheet")).to_be_hidden()
    expect(tile(page, wu).locator(".rb")).to_have_text("缺勤")
    expect(counters.locator(".c-absent .n")).to_have_text("1")

    # 张子涵 falls in the yard: an incident.
    clock["now"] = today_at(10, 15)
    zhang = space["张子涵"]
    open_sheet(page, zhang)
    page.get_by_role("button", name="报告事件").click()
    page.locator(".kind-choices label", has_text="受伤").click()
    page.locator("#id_occurred").fill("10:05")
    page.locator("#id_description").fill("在院子里跑步摔倒，左手掌擦伤")
    page.locator("#id_action_taken").fill("清洗伤口，消毒，贴创可贴")
    page.locator("#id_informed").fill("10:12")
    page.locator("#id_informed_how").select_option("phone")
    screenshot("board-5-incident-form-zh")
    page.get_by_role("button", name="记录事件").click()
    expect(page.locator("#sheet .sheet-incident")).to_contain_text("受伤")
    page.locator("#sheet .btn-close").first.click()
    expect(tile(page, zhang).locator(".ic")).to_be_visible()
    incident = Incident.objects.get()
    assert incident.parent_informed_by == carer.get_full_name()

    # Afternoon: the board puts the children still here first.
    clock["now"] = today_at(17, 30)
    page.reload()
    expect(page.locator(".tile").first).to_have_attribute("data-s", "present")

    # Grandmother 李秀英 collects 王小明.
    open_sheet(page, wang)
    expect(page.locator("#sheet .collector")).to_have_count(2)
    page.locator("#sheet .collector", has_text="李秀英").click()
    screenshot("board-6-check-out-sheet-zh")
    page.get_by_role("button", name="确认：交给此人接走").click()
    expect(page.locator("#sheet")).to_be_hidden()
    expect(tile(page, wang).locator(".rb")).to_have_text("已接走")

    # Someone not on 李欣怡's list comes: refused, with whom to call.
    li = space["李欣怡"]
    open_sheet(page, li)
    expect(page.locator("#sheet .not-allowed")).to_contain_text("赵二")
    page.locator("#sheet .someone-else summary").click()
    page.locator("#refuse-name").fill("孙强")
    page.locator("#refuse-relation").fill("邻居")
    page.get_by_role("button", name="拒绝并记录").click()
    refusal = page.locator("#sheet .refusal")
    expect(refusal).to_contain_text("不要交出李欣怡")
    expect(refusal.locator("a[href^='tel:']").first).to_be_visible()
    expect(refusal).to_contain_text(site_lead.get_full_name())
    screenshot("board-7-refused-zh")
    page.locator("#sheet .btn-close").first.click()
    expect(tile(page, li).locator(".rb")).to_have_text("在园")

    # 张子涵's father comes after closing time: a late pickup, and he acknowledges the
    # incident.
    clock["now"] = today_at(18, 25)
    open_sheet(page, zhang)
    page.locator("#sheet .collector").first.click()
    page.locator("#sheet .acknowledge input").check()
    screenshot("board-8-late-pickup-with-incident-zh")
    page.get_by_role("button", name="确认：交给此人接走").click()
    expect(page.locator(".toast-item").first).to_contain_text("晚接")
    expect(tile(page, zhang).locator(".rb")).to_contain_text("已接走")
    expect(page.locator("#sheet")).to_be_hidden()
    screenshot("board-9-evening-zh")

    records = {r.child.name: r for r in AttendanceRecord.objects.select_related("child")}
    assert records["王小明"].collected_by_name == "李秀英" and not records["王小明"].late
    assert records["张子涵"].late and records["张子涵"].status == AttendanceStatus.COLLECTED
    assert records["吴雨桐"].absence_reason == "ill"
    assert RefusedPickup.objects.get().name == "孙强"
    incident.refresh_from_db()
    assert incident.acknowledged_by_name == records["张子涵"].collected_by_name

    # The printable day sheet, the child's calendar and the lead's review.
    page.goto(
        f"{live_server.url}/board/{space['王小明'].enrollments.get().term.site_id}/day-sheet/"
    )
    expect(page.locator(".sheet-table")).to_contain_text("李秀英")
    screenshot("board-10-day-sheet-zh")
    page.goto(f"{live_server.url}/board/{incident.site_id}/children/{zhang.key}/calendar/")
    expect(page.locator(".calendar")).to_contain_text("晚接")
    screenshot("board-11-calendar-zh")


def test_the_board_in_portrait_and_in_english(live_server, page, screenshot, carer, space, clock):
    from attendance import services

    services.check_in(
        site=space["王小明"].enrollments.get().term.site, child=space["王小明"], by=carer
    )
    services.mark_absent(
        site=space["吴雨桐"].enrollments.get().term.site,
        child=space["吴雨桐"],
        by=carer,
        reason="with_family",
    )
    clock["now"] = today_at(9, 0)
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, live_server, carer)
    expect(page.locator(".tile.overdue").first).to_be_visible()
    screenshot("board-12-portrait-zh")
    page.get_by_role("button", name="EN").click()
    expect(page.locator("#board-counters")).to_contain_text("Present")
    screenshot("board-13-portrait-en")
    page.set_viewport_size({"width": 1024, "height": 768})
    page.locator("#board-search").fill("wxm")
    expect(page.locator(".tile")).to_have_count(1)
    screenshot("board-14-search-en")
