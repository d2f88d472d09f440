"""The door keeps working when the network does not (Chromium, the browser context offline):
acts kept in the tablet's outbox, shown as waiting, kept through a reload, a browser restart
and an update of the service worker, and replayed once each when the network is back; a
conflict with another tablet on the lead's list; an unlock offline by who unlocked today."""

import re
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from attendance import services as attendance_services
from attendance.models import AttendanceRecord, AttendanceStatus, RefusedPickup
from attendance.tablet import middleware
from attendance.tablet.models import OfflineAct
from staff import services as staff_services
from tests.browser.tablet import tile
from tests.conftest import PIN
from tests.factories import PickupPermissionFactory, UserFactory, enrolled_child

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = [
    "王小明",
    "李欣怡",
    "张子涵",
    "刘浩然",
    "陈梓萱",
    "杨宇轩",
    "黄诗琪",
    "赵俊杰",
    "吴雨桐",
    "周明轩",
]


@pytest.fixture
def space(site_a, term_a):
    children = {name: enrolled_child(term_a, name=name) for name in NAMES}
    grandma = PickupPermissionFactory(child=children["王小明"], adult__name="李秀英").adult
    grandma.pickup_code = "4826"
    grandma.save(update_fields=["pickup_code"])
    site_a.pickup_code_required = True
    site_a.save(update_fields=["pickup_code_required"])
    return children


def cookie(tablet, live_server):
    value = middleware.cookie_value(tablet)
    # Long-lived, as the portal sets it: it outlives a browser restart.
    return {
        "name": middleware.COOKIE,
        "value": value,
        "url": live_server.url,
        "expires": time.time() + 86400,
    }


def open_tablet(context, live_server, tablet, worker, site):
    """Unlock with the network, and wait until the tablet has what it needs offline: its
    service worker in charge, the board kept, the day's roster kept, the PIN's verifier."""
    context.add_cookies([cookie(tablet, live_server)])
    page = context.new_page()
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}/tablet/")
    page.locator(".face", has_text=str(worker)).click()
    for digit in PIN:
        page.locator(f".key[data-key='{digit}']").click()
    page.locator(".key-ok").click()
    expect(page.locator("#board")).to_be_visible()
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now through the service worker, which keeps the board
    expect(page.locator("#board")).to_be_visible()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_function("() => window.ffsOutbox")
    until(page, f"() => window.ffsOutbox.get('roster-{site.pk}').then((r) => !!r)")
    return page


def waiting(page):
    return page.evaluate("() => window.ffsOutbox.count()")


def until(page, script: str, seconds: float = 15):
    """Wait until a script that returns a promise resolves to something true."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if page.evaluate(script):
                return
        except PlaywrightError:  # the page was navigating (to the lock screen, say): again
            pass
        assert time.monotonic() < deadline, f"not true within {seconds} s: {script}"
        page.wait_for_timeout(200)


def hand_over(page, child, name, code):
    note = page.locator("#sheet .offline-sheet-note")
    for _ in range(3):
        tile(page, child).locator(".tm").click()
        try:
            expect(note).to_be_visible(timeout=2000)
            break
        except AssertionError:
            # Under load the tap can meet the board redrawing its tiles: tap again, as a
            # person would.
            continue
    expect(note).to_be_visible()
    page.locator("#sheet .collector", has_text=name).click()
    page.locator("#sheet input[name=pickup_code]").fill(code)
    page.locator("#sheet .checkout button[type=submit]").click()


def test_a_morning_and_pickups_offline_are_kept_and_replayed_once(
    live_server, context, site_a, space, worker, tablet, screenshot
):
    page = open_tablet(context, live_server, tablet, worker, site_a)
    context.set_offline(True)

    # Ten children arrive with the network down: each tile shows them in, waiting to be sent.
    for name in NAMES:
        tile(page, space[name]).locator(".tm").click()
        expect(tile(page, space[name])).to_have_attribute("data-s", "present")
    expect(tile(page, space[NAMES[0]]).locator(".wq")).to_be_visible()
    expect(page.locator("#net-state")).to_have_text("离线 · 10 条待上传")
    expect(page.locator("#board-counters .c-present .n")).to_have_text("10")
    screenshot("offline-1-check-ins-zh", of=page)

    # Pickups offline: two handed over with the right codes, one refused for a wrong code.
    wang, li = space["王小明"], space["李欣怡"]
    hand_over(page, wang, "李秀英", "0000")
    expect(page.locator("#sheet .refusal")).to_contain_text("接送码")
    screenshot("offline-2-wrong-code-zh", of=page)
    page.locator("#sheet .collector", has_text="李秀英").click()
    page.locator("#sheet input[name=pickup_code]").fill("4826")
    page.locator("#sheet .checkout button[type=submit]").click()
    expect(tile(page, wang)).to_have_attribute("data-s", "collected")
    parent = li.family.workers.get()
    hand_over(page, li, parent.name, parent.pickup_code)
    expect(tile(page, li)).to_have_attribute("data-s", "collected")
    assert waiting(page) == 13
    assert not AttendanceRecord.objects.exists()

    # The tablet is reloaded with the network still down: the board, and all of it, still there.
    page.reload()
    expect(page.locator("#board")).to_be_visible()
    expect(tile(page, wang)).to_have_attribute("data-s", "collected")
    expect(tile(page, space["周明轩"])).to_have_attribute("data-s", "present")
    expect(page.locator("#net-state")).to_have_text("离线 · 13 条待上传")
    expect(page.locator("#board-counters .c-collected .n")).to_have_text("2")
    screenshot("offline-3-reloaded-zh", of=page)

    # Back online: everything sent, once.
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator("#net-state")).to_be_hidden(timeout=15_000)
    assert waiting(page) == 0
    records = AttendanceRecord.objects.filter(site=site_a)
    assert records.count() == 10
    assert records.filter(status=AttendanceStatus.COLLECTED).count() == 2
    assert set(records.values_list("checked_in_by", flat=True)) == {worker.pk}
    assert RefusedPickup.objects.get().reason == "wrong_code"
    acts = OfflineAct.objects.filter(tablet=tablet)
    assert acts.count() == 13 and set(acts.values_list("outcome", flat=True)) == {"applied"}
    screenshot("offline-4-back-online-zh", of=page)


def test_a_check_out_made_meanwhile_by_another_tablet_stands_and_the_later_is_a_conflict(
    live_server, context, site_a, space, worker, tablet, carer, site_lead
):
    wang = space["王小明"]
    attendance_services.check_in(site=site_a, child=wang, by=carer)
    page = open_tablet(context, live_server, tablet, worker, site_a)
    context.set_offline(True)
    # Meanwhile the other tablet (online) hands 王小明 to a parent.
    parent = wang.family.workers.get()
    attendance_services.check_out(
        site=site_a, child=wang, collector=parent, by=carer, pickup_code=parent.pickup_code
    )
    hand_over(page, wang, "李秀英", "4826")
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator(".toast-item.t-warning")).to_contain_text("另一台平板", timeout=15_000)
    record = AttendanceRecord.objects.get(child=wang)
    assert record.collected_by_name == parent.name
    conflict = OfflineAct.objects.get()
    assert conflict.outcome == "conflict" and conflict.needs_review


def test_the_outbox_outlives_a_browser_restart_and_an_update_of_the_service_worker(
    live_server,
    browser_type,
    browser_type_launch_args,
    tmp_path,
    site_a,
    space,
    worker,
    tablet,
    monkeypatch,
):
    profile = tmp_path / "tablet-profile"
    launch = {**browser_type_launch_args, "viewport": {"width": 1024, "height": 768}}
    launch.pop("headless", None)
    context = browser_type.launch_persistent_context(str(profile), headless=True, **launch)
    page = open_tablet(context, live_server, tablet, worker, site_a)
    context.set_offline(True)
    for name in NAMES[:2]:
        tile(page, space[name]).locator(".tm").click()
        expect(tile(page, space[name])).to_have_attribute("data-s", "present")
    assert waiting(page) == 2
    context.close()

    # The browser is started again, still offline: the board opens, the acts are still there.
    context = browser_type.launch_persistent_context(str(profile), headless=True, **launch)
    try:
        context.set_offline(True)
        page = context.new_page()
        page.goto(f"{live_server.url}/board/{site_a.pk}/")
        expect(page.locator("#board")).to_be_visible()
        page.wait_for_function("() => window.ffsOutbox")
        assert waiting(page) == 2
        expect(tile(page, space[NAMES[0]])).to_have_attribute("data-s", "present")

        # Online again but before anything is sent, a new service worker replaces the old.
        context.route(re.compile(r".*/tablet/sync/$"), lambda route: route.abort())
        context.set_offline(False)
        monkeypatch.setattr(
            "attendance.tablet.views.service_worker_source",
            lambda: b"// a new version\n" + _source(),
        )
        page.evaluate(
            """() => {
              window.__newWorker = false;
              navigator.serviceWorker.addEventListener(
                "controllerchange", () => { window.__newWorker = true; });
              return navigator.serviceWorker.getRegistration().then((r) => r.update());
            }"""
        )
        until(page, "() => Promise.resolve(window.__newWorker)")
        assert waiting(page) == 2
        context.unroute(re.compile(r".*/tablet/sync/$"))
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
        until(page, "() => window.ffsOutbox.count().then((n) => n === 0)")
        assert AttendanceRecord.objects.filter(site=site_a).count() == 2
    finally:
        context.close()


def _source() -> bytes:
    from pathlib import Path

    from django.contrib.staticfiles import finders

    return Path(finders.find("js/sw.js")).read_bytes()


def test_who_unlocked_today_unlocks_offline_and_nobody_else(
    live_server, context, site_a, space, worker, tablet, screenshot
):
    other = UserFactory(username="liu", last_name="刘", first_name="芳", sites=[site_a])
    staff_services.pin_set(profile=staff_services.profile_for(other), pin="1397", by=None)
    page = open_tablet(context, live_server, tablet, worker, site_a)
    page.locator(".tablet-bar form:has(.bi-lock-fill) button").click()
    expect(page.locator(".lock-title")).to_be_visible()
    context.set_offline(True)
    page.reload()
    expect(page.locator(".lock-title")).to_be_visible()
    # 刘芳 did not unlock this tablet today: offline, she cannot.
    page.locator(".face", has_text="刘芳").click()
    for digit in "1397":
        page.locator(f".key[data-key='{digit}']").click()
    page.locator(".key-ok").click()
    expect(page.locator(".pad-error")).to_contain_text("今天")
    # 张敏 did: her PIN opens the board, and her acts are hers.
    page.locator(".face", has_text="张敏").click()
    for digit in PIN:
        page.locator(f".key[data-key='{digit}']").click()
    page.locator(".key-ok").click()
    expect(page.locator("#board")).to_be_visible()
    expect(page.locator(".tb-person")).to_contain_text("张敏")
    screenshot("offline-5-unlocked-offline-zh", of=page)
    tile(page, space["王小明"]).locator(".tm").click()
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    until(page, "() => window.ffsOutbox.count().then((n) => n === 0)")
    assert AttendanceRecord.objects.get().checked_in_by == worker
