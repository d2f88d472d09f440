"""A registered tablet's whole day without anyone typing a password: two workers check
children in in the morning, each unlocking with their own PIN; a fire drill roll call; in the
afternoon, hand-overs with pickup codes (one wrong, refused and recorded); the tablet locks
itself when nobody touches it. Then two tablets share one roll call, and the lock screen
and the roll call in portrait and in English."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from attendance.models import AttendanceRecord, AttendanceStatus, RefusedPickup, RollCall
from attendance.tablet import middleware
from attendance.tablet.models import Tablet
from ffs_portal.models import AuditEntry, Role
from staff import services as staff_services
from staff.models import DutyPeriod
from tests.browser.tablet import tile, today_at
from tests.factories import (
    TEST_PASSWORD,
    PickupPermissionFactory,
    RoomFactory,
    UserFactory,
    enrolled_child,
    tiny_jpeg,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = ["王小明", "李欣怡", "张子涵", "刘浩然", "陈梓萱", "杨宇轩"]


@pytest.fixture
def clock(monkeypatch):
    state = {"now": today_at(7, 50)}
    monkeypatch.setattr("ffs_portal.lib.clock.now", lambda: state["now"])
    return state


@pytest.fixture
def staff(site_a):
    """Two childcare workers with PINs and photos of their own, on duty."""
    people = {}
    for username, last, first, pin in (("zhang", "张", "敏", "2580"), ("liu", "刘", "芳", "1397")):
        user = UserFactory(
            username=username, last_name=last, first_name=first, role=Role.CHILDCARE, sites=[site_a]
        )
        profile = staff_services.profile_for(user)
        staff_services.pin_set(profile=profile, pin=pin, by=None)
        staff_services.profile_save(profile=profile, by=None, photo=tiny_jpeg(colour=(40, 90, 160)))
        DutyPeriod.objects.create(site=site_a, user=user, clock_in_at=today_at(7, 30))
        people[username] = (user, pin)
    return people


@pytest.fixture
def space(site_a, term_a):
    RoomFactory(site=site_a, name="幼儿组", min_age=3, max_age=5)
    RoomFactory(site=site_a, name="儿童组", min_age=6, max_age=14)
    children = {}
    for n, name in enumerate(NAMES):
        born = timezone.localdate().replace(year=timezone.localdate().year - (4 + n))
        children[name] = enrolled_child(term_a, name=name, date_of_birth=born)
    grandma = PickupPermissionFactory(
        child=children["王小明"], adult__name="李秀英", adult__relation="grandmother"
    ).adult
    grandma.photo.save("grandma.jpg", tiny_jpeg(size=(60, 60), colour=(180, 120, 90)))
    grandma.pickup_code = "4826"
    grandma.save(update_fields=["pickup_code"])
    site_a.pickup_code_required = True
    site_a.save(update_fields=["pickup_code_required"])
    return children


def register(page, live_server, lead, site):
    """The evening before: the lead makes the tablet one of the space's tablets."""
    page.goto(f"{live_server.url}/accounts/login/?password=1")
    page.locator("#id_username").fill(lead.username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.goto(f"{live_server.url}/tablet/sites/{site.pk}/register/")
    page.locator("#id_name").fill("小班 平板")
    page.locator("form button[type=submit]").last.click()
    expect(page.locator(".lock-title")).to_be_visible()


def unlock(page, person, pin):
    page.locator(".face", has_text=str(person)).click()
    expect(page.locator("[data-who]")).to_have_text(str(person))
    for digit in pin:
        page.locator(f".key[data-key='{digit}']").click()
    page.locator(".key-ok").click()
    expect(page.locator("#board")).to_be_visible()
    expect(page.locator(".tb-person")).to_contain_text(str(person))


def lock(page):
    page.locator(".tablet-bar form:has(.bi-lock-fill) button").click()
    expect(page.locator(".lock-title")).to_be_visible()


def test_a_registered_tablet_goes_a_whole_day_without_a_password(
    live_server, page, screenshot, site_a, site_lead, staff, space, clock
):
    page.set_viewport_size({"width": 1024, "height": 768})
    register(page, live_server, site_lead, site_a)
    tablet = Tablet.objects.get()
    # From here on, nobody types a password: every way in is a face and a PIN.
    typed = []
    page.on(
        "request",
        lambda r: (
            typed.append(r.url) if "/accounts/login" in r.url and r.method == "POST" else None
        ),
    )

    # The lock screen: the space, the staff on duty, nothing about a child.
    expect(page.locator(".lock-site")).to_have_text(site_a.name)
    expect(page.locator(".face.on-duty")).to_have_count(2)
    for name in NAMES:
        expect(page.locator("body")).not_to_contain_text(name)
    screenshot("tablet-1-lock-zh")

    # 07:55 张敏 unlocks with her PIN and checks three children in.
    zhang, zhang_pin = staff["zhang"]
    unlock(page, zhang, zhang_pin)
    screenshot("tablet-2-board-zhang-zh")
    for name in NAMES[:3]:
        tile(page, space[name]).locator(".tm").click()
        expect(tile(page, space[name]).locator(".rb")).to_have_text("在园")
    lock(page)

    # 08:10 刘芳 takes the tablet over and checks the other three in.
    clock["now"] = today_at(8, 10)
    liu, liu_pin = staff["liu"]
    unlock(page, liu, liu_pin)
    for name in NAMES[3:]:
        tile(page, space[name]).locator(".tm").click()
        expect(tile(page, space[name]).locator(".rb")).to_have_text("在园")
    expect(page.locator("#board-counters .c-present .n")).to_have_text("6")
    # Each act is recorded as the person's who did it.
    by = dict(
        AttendanceRecord.objects.filter(site=site_a).values_list("child__name", "checked_in_by")
    )
    assert {by[name] for name in NAMES[:3]} == {zhang.pk}
    assert {by[name] for name in NAMES[3:]} == {liu.pk}

    # 10:30 A fire drill: one tap for the roll call, everyone by room, the missing on top.
    clock["now"] = today_at(10, 30)
    page.get_by_role("link", name="紧急点名").click()
    page.get_by_role("button", name="演练：开始点名").click()
    expect(page.locator(".rc-tile")).to_have_count(len(NAMES) + 2)
    expect(page.locator(".rc-missing")).to_contain_text(f"{len(NAMES) + 2} 人未清点")
    screenshot("tablet-3-roll-call-zh")
    for n, rc_tile in enumerate(page.locator(".rc-tile").all()):
        rc_tile.click()
        if n == 2:
            screenshot("tablet-4-roll-call-marking-zh")
    expect(page.locator(".rc-done")).to_have_text("全部人员已清点")
    expect(page.locator(".rc-missing")).to_have_count(0)
    page.locator(".rc-end summary").click()
    page.locator("#rc-note").fill("全部在操场集合")
    page.get_by_role("button", name="现在结束").click()
    expect(page.locator(".rc-log")).to_contain_text("已清点 8 / 8")
    screenshot("tablet-5-roll-call-log-zh")
    roll_call = RollCall.objects.get()
    assert roll_call.kind == "drill" and roll_call.ended_at is not None
    assert roll_call.entries.filter(accounted_at__isnull=True).count() == 0

    # 17:30 Pickups: the grandmother's photo large, her code asked for; a wrong code first.
    clock["now"] = today_at(17, 30)
    page.goto(f"{live_server.url}/board/{site_a.pk}/")
    wang = space["王小明"]
    tile(page, wang).locator(".tm").click()
    expect(page.locator("#sheet")).to_be_visible()
    page.locator("#sheet .collector", has_text="李秀英").click()
    expect(page.locator("[data-handover-name]")).to_have_text("李秀英")
    expect(page.locator("[data-handover-photo]")).to_be_visible()
    code = page.locator("#sheet input[name=pickup_code]")
    code.fill("1111")
    page.locator("#sheet [data-confirm-handover]").click()
    expect(page.locator("#sheet .refusal")).to_contain_text("接送码不对")
    screenshot("tablet-6-wrong-code-zh")
    assert RefusedPickup.objects.get().reason == "wrong_code"
    assert AttendanceRecord.objects.get(child=wang).status == AttendanceStatus.PRESENT
    # The right code: handed over.
    page.locator("#sheet .collector", has_text="李秀英").click()
    page.locator("#sheet input[name=pickup_code]").fill("4826")
    screenshot("tablet-7-right-code-zh")
    page.locator("#sheet [data-confirm-handover]").click()
    expect(tile(page, wang).locator(".rb")).to_have_text("已接走")
    record = AttendanceRecord.objects.get(child=wang)
    assert record.pickup_code_checked and record.collected_by_name == "李秀英"
    assert record.checked_out_by == liu

    # A parent collects with their own code.
    li = space["李欣怡"]
    parent = li.family.workers.get()
    tile(page, li).locator(".tm").click()
    page.locator("#sheet .collector", has_text=parent.name).click()
    page.locator("#sheet input[name=pickup_code]").fill(parent.pickup_code)
    page.locator("#sheet [data-confirm-handover]").click()
    expect(tile(page, li).locator(".rb")).to_have_text("已接走")

    # Nobody touches the tablet for the space's five minutes: it locks itself, nothing of the
    # children stays on the screen.
    page.clock.install()
    page.reload()
    expect(page.locator("#board")).to_be_visible()
    page.clock.fast_forward("05:05")
    expect(page.locator(".lock-title")).to_be_visible(timeout=10_000)
    for name in NAMES:
        expect(page.locator("body")).not_to_contain_text(name)
    assert AuditEntry.objects.filter(action="tablet.locked", details__idle=True).exists()
    assert typed == []
    assert Tablet.objects.get().pk == tablet.pk
    unlocked = AuditEntry.objects.filter(action="tablet.unlocked").values_list("actor", flat=True)
    assert set(unlocked) == {zhang.pk, liu.pk}


def test_two_tablets_share_one_roll_call(
    request, live_server, browser, site_a, staff, space, clock, screenshot
):
    from attendance import services

    carer, _pin = staff["zhang"]
    for name in NAMES:
        services.check_in(site=site_a, child=space[name], by=carer)
    pages = []
    for username, (user, pin) in staff.items():
        tablet = Tablet.objects.create(site=site_a, name=f"平板 {username}")
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        # Closed at the end: a roll call left open would keep asking the server.
        request.addfinalizer(context.close)
        context.add_cookies(
            [
                {
                    "name": middleware.COOKIE,
                    "value": _signed(tablet),
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/tablet/")
        unlock(page, user, pin)
        page.goto(f"{live_server.url}/board/{site_a.pk}/roll-call/")
        pages.append(page)
    first, second = pages
    first.get_by_role("button", name="紧急情况：开始点名").click()
    expect(first.locator(".rc-tile")).to_have_count(len(NAMES) + 2)
    # The second tablet asks for a roll call too: it joins the one going on.
    second.get_by_role("button", name="演练：开始点名").click()
    assert RollCall.objects.count() == 1
    expect(second.locator(".rc-tile")).to_have_count(len(NAMES) + 2)
    # Each sees the other's marks within 5 s.
    one, two = space[NAMES[0]].name, space[NAMES[1]].name
    first.locator(".rc-tile", has_text=one).click()
    second.locator(".rc-tile", has_text=two).click()
    expect(second.locator(".rc-tile", has_text=one)).to_have_class(
        re.compile(r"\brc-ok\b"), timeout=5000
    )
    expect(first.locator(".rc-tile", has_text=two)).to_have_class(
        re.compile(r"\brc-ok\b"), timeout=5000
    )
    expect(first.locator(".rc-count .n")).to_have_text("2")
    screenshot("tablet-8-roll-call-two-tablets-zh", of=second)


def _signed(tablet) -> str:
    return middleware.cookie_value(tablet)


@pytest.mark.parametrize("width,height", [(768, 1024), (1024, 768)])
def test_the_lock_screen_and_the_roll_call_in_english(
    request, live_server, browser, site_a, staff, space, clock, screenshot, width, height
):
    from attendance import services

    tablet = Tablet.objects.create(site=site_a, name="Door tablet")
    context = browser.new_context(viewport={"width": width, "height": height})
    request.addfinalizer(context.close)
    context.add_cookies(
        [
            {"name": middleware.COOKIE, "value": _signed(tablet), "url": live_server.url},
            {"name": "ffs_language", "value": "en", "url": live_server.url},
        ]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/tablet/")
    expect(page.locator(".lock-title")).to_contain_text("Tap your name")
    screenshot(f"tablet-lock-en-{width}x{height}", of=page)
    user, pin = staff["liu"]
    user.language = "en"
    user.save(update_fields=["language"])
    for name in NAMES[:4]:
        services.check_in(site=site_a, child=space[name], by=user)
    unlock(page, user, pin)
    screenshot(f"tablet-board-en-{width}x{height}", of=page)
    page.get_by_role("link", name="Emergency roll call").click()
    page.get_by_role("button", name="Emergency: start the roll call").click()
    page.locator(".rc-tile").first.click()
    expect(page.locator(".rc-count .n")).to_have_text("1")
    screenshot(f"tablet-roll-call-en-{width}x{height}", of=page)


def test_hr_prints_the_familys_pickup_cards(live_server, page, screenshot, hr, space):
    wang = space["王小明"]
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(hr.username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    # Signed in once; the pages follow HR's own language, set before each round.
    for language, link in (("zh-hans", "打印接送卡"), ("en", "Print pickup cards")):
        hr.language = language
        hr.save(update_fields=["language"])
        page.goto(f"{live_server.url}/families/{wang.family.key}/")
        page.get_by_role("link", name=link).click()
        cards = page.locator(".pickup-card")
        expect(cards).to_have_count(2)  # the parent and the grandmother
        expect(cards.filter(has_text="李秀英")).to_contain_text("4826")
        screenshot(f"pickup-cards-{language}")
