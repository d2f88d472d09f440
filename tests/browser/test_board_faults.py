"""The board tells the truth whatever the network, the server or another tablet does: a tap
right after a search or a refresh, a lost answer, a retried refusal, a double tap, server
errors, the network gone, two tablets at once. In Chromium at 1024×768, in Chinese."""

import re
import time

import pytest
from django.db import OperationalError, connection
from playwright.sync_api import expect

from attendance import board_sql, services
from attendance.models import AttendanceRecord, AttendanceStatus, RefusedPickup
from ffs_portal.models import AuditEntry
from tests.browser.tablet import open_sheet, settled, sign_in, tile, today_at
from tests.factories import (
    PickupPermissionFactory,
    SiteFactory,
    TermFactory,
    UserFactory,
    enrolled_child,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Taps this long after the last keystroke in the search box, ROUNDS times each (FFS_ROUNDS=20
# for the figures in the closing notes; the suite's run takes 10).
DELAYS_MS = (0, 100, 200, 300, 500)
TABLETS = 2
ROUNDS = int(__import__("os").environ.get("FFS_ROUNDS", "10"))
# The tile and the counter must be right this soon after the tap. Two browsers and the
# server share two cores here, and one tap in fifty was seen at 520–590 ms; what this test
# guards is that no answer is ever wrong or undone (the tap's speed is bench/board_ui.py's).
IN_TIME_MS = 1000


@pytest.fixture
def clock(monkeypatch):
    state = {"now": today_at(8, 0)}
    monkeypatch.setattr("ffs_portal.lib.clock.now", lambda: state["now"])
    return state


@pytest.fixture
def quick_retries(settings):
    settings.BOARD_RETRY_BACKOFF_MS = [300, 600, 900, 1200]


@pytest.fixture
def tablet(page, live_server, carer, clock):
    page.set_viewport_size({"width": 1024, "height": 768})

    def open_board():
        sign_in(page, live_server, carer)
        return page

    return open_board


def present_counter(page):
    return page.locator("#board-counters .c-present .n")


def within(seconds, check) -> bool:
    """Whether ``check`` (a Playwright expectation) holds within ``seconds``."""
    try:
        check(seconds * 1000)
    except AssertionError:
        return False
    return True


class SlowRefreshes:
    """A slow network for the boards' refreshes and searches: the server answers at once, the
    tablet gets the answer ``latency`` seconds later. Acts' answers are not slowed, so a
    search answer made before a tap lands after the tap's own answer."""

    def __init__(self, latency: float):
        self.latency = latency
        self.held = []

    def watch(self, context):
        context.route(lambda url: "/live/" in url, self.hold)

    def hold(self, route):
        self.held.append((time.monotonic() + self.latency, route, route.fetch()))

    def deliver(self):
        now = time.monotonic()
        for item in [held for held in self.held if held[0] <= now]:
            self.held.remove(item)
            item[1].fulfill(response=item[2])


# Watches the board from inside the page: when each tile was tapped, when it first read
# "present", whether it ever turned back, and every value the present counter took.
WITNESS = """
window.witness = { taps: {}, present: {}, reverted: [], counter: [] };
document.addEventListener("click", function (event) {
  var tile = event.target.closest && event.target.closest(".tile");
  if (tile) window.witness.taps[tile.dataset.k] = performance.now();
}, true);
var last = {};
new MutationObserver(function () {
  var w = window.witness;
  document.querySelectorAll(".tile").forEach(function (tile) {
    var key = tile.dataset.k, status = tile.dataset.s;
    if (status === "present" && !(key in w.present)) w.present[key] = performance.now();
    if (last[key] === "present" && status !== "present") w.reverted.push(key);
    last[key] = status;
  });
  var n = document.querySelector("#board-counters .c-present .n");
  if (n && (!w.counter.length || w.counter[w.counter.length - 1][1] !== n.textContent)) {
    w.counter.push([performance.now(), n.textContent]);
  }
}).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
"""

SEEN = """(key) => {
  const w = window.witness;
  const tapped = w.taps[key];
  return {
    tapped: tapped !== undefined,
    present_after_ms: key in w.present ? w.present[key] - tapped : null,
    reverted: w.reverted.includes(key),
    counter: w.counter.filter(([at]) => at >= tapped).map(([at, value]) => [at - tapped, value]),
    now: document.querySelector("#board-counters .c-present .n").textContent,
    tile: document.getElementById("t-" + key).dataset.s,
  };
}"""


class SearchingTablet:
    """One tablet's rounds: type a name the child's tile answers to (the given name, which
    the children of a block of ten share, so that the tile is on the screen already), tap
    the tile ``delay`` ms after the keystroke; once the search's own late answer has landed,
    ask the page what it showed: the tile and the counter right within IN_TIME_MS, and never
    turned back."""

    def __init__(self, page, children, delays_ms):
        self.page = page
        self.children = children
        self.delays = [ms / 1000 for ms in delays_ms]
        self.done = 0
        self.wrong = []
        self.step = self.type_name
        self.at = 0.0

    def busy(self):
        return self.page.get_attribute("#board", "aria-busy") == "true"

    def type_name(self, now):
        if now < self.at or self.busy():
            return
        child = self.children[self.done]
        if not tile(self.page, child).count():
            # A new block: show its children first.
            self.page.locator("#board-search").fill(child.name[1:])
            self.at = now + 0.3
            return
        self.page.locator("#board-search").fill(child.name[1:])
        self.delay = self.delays[self.done % len(self.delays)]
        self.typed_at = time.monotonic()
        self.step = self.tap

    def tap(self, now):
        if now >= self.typed_at + self.delay:
            tile(self.page, self.children[self.done]).locator(".tm").click()
            self.step = self.look

    def look(self, now):
        # The search's answer leaves 200 ms after the keystroke and arrives late.
        if now < self.typed_at + 0.25 or self.busy():
            return
        seen = self.page.evaluate(SEEN, str(self.children[self.done].key))
        expected = str(self.done + 1)
        counted = any(ms <= IN_TIME_MS and value == expected for ms, value in seen["counter"])
        fresh = seen["present_after_ms"] is not None and seen["present_after_ms"] <= IN_TIME_MS
        right = (
            seen["tapped"]
            and fresh
            and counted
            and not seen["reverted"]
            and seen["tile"] == "present"
            and seen["now"] == expected
            and all(value == expected for _ms, value in seen["counter"])
        )
        if not right:
            self.wrong.append((self.delay, self.children[self.done].name, seen))
        self.done += 1
        self.step = self.type_name if self.done < len(self.children) else None


@pytest.mark.alone
def test_a_tap_right_after_a_search_is_never_undone_by_the_search(
    browser, live_server, factory_a, clock, screenshot
):
    """Two tablets at two spaces at once, each tapping at every delay in turn: ROUNDS taps
    at each delay in all."""
    tablets = []
    network = SlowRefreshes(latency=0.45)
    taps_each = len(DELAYS_MS) * ROUNDS // TABLETS
    for n in range(TABLETS):
        site = SiteFactory(factory=factory_a)
        term = TermFactory(site=site)
        children = [enrolled_child(term) for _ in range(taps_each)]
        carer = UserFactory(role="childcare", sites=[site])
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        context.add_init_script(WITNESS)
        page = context.new_page()
        sign_in(page, live_server, carer)
        network.watch(context)
        # Each tablet starts at another delay, so both cover every delay equally.
        delays = DELAYS_MS[n:] + DELAYS_MS[:n]
        tablets.append(SearchingTablet(page, children, delays))
    while any(one.step for one in tablets):
        network.deliver()
        for one in tablets:
            if one.step:
                one.step(time.monotonic())
        tablets[0].page.wait_for_timeout(20)
    taps = sum(one.done for one in tablets)
    wrong = [w for one in tablets for w in one.wrong]
    print(f"search race: {taps} taps, {len(wrong)} wrong tiles or counters: {wrong}")
    assert taps == len(DELAYS_MS) * ROUNDS
    assert wrong == []
    assert AttendanceRecord.objects.filter(status=AttendanceStatus.PRESENT).count() == taps
    screenshot("board-faults-1-search-race-zh", tablets[0].page)
    for one in tablets:
        one.page.context.unroute_all(behavior="ignoreErrors")
        one.page.context.close()


@pytest.mark.alone
def test_a_refresh_landing_just_after_a_tap_does_not_undo_it(
    tablet, carer, site_a, term_a, monkeypatch
):
    monkeypatch.setattr("attendance.views.REFRESH_SECONDS", 0.3)
    children = [enrolled_child(term_a) for _ in range(ROUNDS)]
    # Children another tablet checks in meanwhile, so that each refresh has news to bring.
    others = [enrolled_child(term_a) for _ in range(ROUNDS)]
    held = []

    def hold(route):
        # The server answers now, before the tap; the tablet gets the answer after it.
        held.append((route, route.fetch()))

    page = tablet()
    page.route(lambda url: "/live/" in url, hold)
    wrong = []
    for n, (child, other) in enumerate(zip(children, others, strict=True)):
        services.check_in(site=site_a, child=other, by=carer)
        while True:
            deadline = time.monotonic() + 5
            while not held and time.monotonic() < deadline:
                page.wait_for_timeout(50)
            assert held, "the board did not refresh itself"
            route, response = held.pop()
            if response.status == 200 and f'st-present" id="t-{other.key}"' in response.text():
                break
            route.fulfill(response=response)
        tile(page, child).locator(".tm").click()
        expect(tile(page, child).locator(".rb")).to_have_text("在园", timeout=IN_TIME_MS)
        # Now the refresh made before the tap lands.
        stale = re.search(r'data-version="([^"]+)"', response.text())[1]
        route.fulfill(response=response)
        expect(page.locator("#board-live")).to_have_attribute("data-version", stale)
        still = (
            tile(page, child).locator(".rb").inner_text().strip() == "在园"
            and tile(page, other).locator(".rb").inner_text().strip() == "在园"
            and present_counter(page).inner_text() == str(2 * (n + 1))
        )
        if not still:
            wrong.append(child.name)
    page.unroute_all(behavior="ignoreErrors")
    print(f"late refresh: {len(children)} taps, {len(wrong)} wrong tiles or counters")
    assert wrong == []


def test_a_refused_pickup_whose_answer_was_lost_is_shown_as_refused_again(
    tablet, carer, site_a, term_a, quick_retries
):
    child = enrolled_child(term_a, name="王小明")
    permission = PickupPermissionFactory(child=child, adult__name="李秀英")
    services.check_in(site=site_a, child=child, by=carer)
    page = tablet()
    lost = []

    def lose_first_answer(route):
        if not lost:
            lost.append(route.fetch())  # the server records the refusal…
            route.abort()  # …and its answer never reaches the tablet
        else:
            route.continue_()

    page.route("**/check-out/", lose_first_answer)
    open_sheet(page, child)
    # While the sheet is open, the family withdraws 李秀英's permission.
    permission.allowed = False
    permission.save(update_fields=["allowed"])
    page.locator("#sheet .collector", has_text="李秀英").click()
    page.locator("[data-confirm-handover]").click()
    refusal = page.locator("#sheet .refusal")
    expect(refusal).to_contain_text("李秀英 禁止接走王小明")
    expect(page.locator("#sheet")).to_be_visible()
    expect(tile(page, child).locator(".rb")).to_have_text("在园")
    expect(page.locator(".toast-item.t-success")).to_have_count(0)
    assert len(lost) == 1
    assert RefusedPickup.objects.get().adult == permission.adult
    assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT


def test_a_double_tap_checks_in_once_and_opens_no_sheet(tablet, term_a):
    child = enrolled_child(term_a)
    page = tablet()
    tile(page, child).locator(".tm").click()
    page.wait_for_timeout(400)
    tile(page, child).locator(".tm").click()
    expect(tile(page, child).locator(".rb")).to_have_text("在园")
    page.wait_for_timeout(300)
    expect(page.locator("#sheet")).to_be_hidden()
    assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT
    assert AuditEntry.objects.filter(action="attendance.checked_in").count() == 1
    # Once the tile has settled, a tap opens the check-out sheet as usual.
    settled(page, child).locator(".tm").click()
    expect(page.locator("#sheet")).to_be_visible()


def test_a_server_error_shows_not_saved_at_once_and_the_act_lands_once_it_recovers(
    tablet, term_a, monkeypatch, quick_retries, screenshot
):
    child = enrolled_child(term_a, name="王小明")
    failures = {"left": 3}
    real = board_sql.lock_expected_child

    def database_down(*args, **kwargs):
        if failures["left"] > 0:
            failures["left"] -= 1
            raise OperationalError("could not connect to server: Connection refused")
        return real(*args, **kwargs)

    monkeypatch.setattr("attendance.board_sql.lock_expected_child", database_down)
    page = tablet()
    tapped = time.monotonic()
    tile(page, child).locator(".tm").click()
    expect(tile(page, child).locator(".us")).to_have_text("未保存 · 重试中", timeout=1000)
    assert time.monotonic() - tapped < 1.0
    expect(tile(page, child).locator(".rb")).to_have_text("待到")
    expect(page.locator("#net-state")).to_contain_text("未保存 · 重试中")
    screenshot("board-faults-2-not-saved-retrying-zh")
    expect(tile(page, child).locator(".rb")).to_have_text("在园", timeout=10000)
    expect(tile(page, child).locator(".us")).to_have_count(0)
    expect(page.locator("#net-state")).to_be_hidden()
    expect(present_counter(page)).to_have_text("1")
    assert failures["left"] == 0
    assert AttendanceRecord.objects.count() == 1
    assert AuditEntry.objects.filter(action="attendance.checked_in").count() == 1


def test_after_the_last_try_the_tile_says_not_saved_and_a_tap_sends_it_again(
    tablet, term_a, monkeypatch, settings, screenshot
):
    settings.BOARD_RETRY_BACKOFF_MS = [200, 200]
    child = enrolled_child(term_a, name="王小明")
    down = {"yes": True}
    real = board_sql.lock_expected_child

    def database(*args, **kwargs):
        if down["yes"]:
            raise OperationalError("could not connect to server: Connection refused")
        return real(*args, **kwargs)

    monkeypatch.setattr("attendance.board_sql.lock_expected_child", database)
    page = tablet()
    tile(page, child).locator(".tm").click()
    expect(tile(page, child).locator(".us")).to_have_text("未保存", timeout=5000)
    expect(page.locator(".toast-item.t-danger")).to_contain_text("王小明：未保存")
    expect(page.locator("#net-state")).to_have_text("1 条未保存")
    screenshot("board-faults-3-not-saved-zh")
    assert not AttendanceRecord.objects.exists()
    down["yes"] = False
    tile(page, child).locator(".tm").click()
    expect(tile(page, child).locator(".rb")).to_have_text("在园")
    expect(tile(page, child).locator(".us")).to_have_count(0)
    expect(page.locator("#net-state")).to_be_hidden()
    assert AttendanceRecord.objects.count() == 1


def test_a_lost_answer_is_sent_again_and_the_check_in_is_made_once(tablet, term_a, quick_retries):
    child = enrolled_child(term_a, name="王小明")
    page = tablet()
    lost = []

    def lose_first_answer(route):
        if not lost:
            lost.append(route.fetch())
            route.abort()
        else:
            route.continue_()

    page.route("**/check-in/", lose_first_answer)
    tile(page, child).locator(".tm").click()
    expect(tile(page, child).locator(".rb")).to_have_text("在园")
    # The retry answers like the first try: checked in, with undo.
    expect(page.locator(".toast-item").first).to_contain_text("王小明 已签到")
    assert len(lost) == 1
    assert AuditEntry.objects.filter(action="attendance.checked_in").count() == 1


def test_offline_the_bar_says_so_and_the_act_lands_when_the_network_is_back(
    tablet, term_a, quick_retries, screenshot
):
    child = enrolled_child(term_a, name="王小明")
    page = tablet()
    page.context.set_offline(True)
    tile(page, child).locator(".tm").click()
    expect(page.locator("#net-state")).to_have_text("离线 · 1 条待上传")
    expect(tile(page, child).locator(".us")).to_be_visible()
    screenshot("board-faults-4-offline-zh")
    page.context.set_offline(False)
    expect(tile(page, child).locator(".rb")).to_have_text("在园", timeout=5000)
    expect(page.locator("#net-state")).to_be_hidden()
    assert AttendanceRecord.objects.count() == 1


def test_two_tablets_tapping_the_same_child_agree(
    browser, live_server, carer, site_a, term_a, clock
):
    child = enrolled_child(term_a, name="王小明")
    other = UserFactory(username="carer2", role="childcare", sites=[site_a])
    pages = []
    for user in (carer, other):
        page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
        sign_in(page, live_server, user)
        pages.append(page)
    for page in pages:
        tile(page, child).locator(".tm").click(no_wait_after=True)
    for page in pages:
        expect(tile(page, child).locator(".rb")).to_have_text("在园")
        expect(present_counter(page)).to_have_text("1")
    toasts = [page.locator(".toast-item").first.inner_text() for page in pages]
    assert sorted(t.split("\n")[0].strip() for t in toasts) == ["王小明 已签到", "王小明 已经在园"]
    assert AttendanceRecord.objects.count() == 1
    for page in pages:
        page.context.close()


def test_the_hand_over_waits_for_an_adult_and_back_does_not_show_the_sign_in_form(
    tablet, live_server, carer, site_a, term_a
):
    child = enrolled_child(term_a, name="王小明")
    services.check_in(site=site_a, child=child, by=carer)
    page = tablet()
    open_sheet(page, child)
    confirm = page.locator("[data-confirm-handover]")
    expect(confirm).to_be_disabled()
    page.locator("#sheet .collector").first.click()
    expect(confirm).to_be_enabled()
    ratio = page.locator("#board-ratio .ratio-numbers")
    expect(ratio).to_have_text("1 名儿童 · 0 位老师")
    confirm.click()
    expect(tile(page, child).locator(".rb")).to_have_text("已接走")
    # The ratio comes with the answer, not with the next refresh.
    expect(ratio).to_have_text("0 名儿童 · 0 位老师", timeout=500)
    page.go_back()
    expect(page.locator("#id_password")).to_have_count(0)
    expect(page.locator("#board")).to_be_visible()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="deltas are sent on PostgreSQL only")
def test_another_tablets_check_in_reaches_this_board_as_a_delta_and_the_counters_agree(
    browser, live_server, carer, site_a, term_a, clock, monkeypatch
):
    from django.utils import timezone

    from attendance import selectors

    # The boards refresh every second rather than five: the same refresh, sooner.
    monkeypatch.setattr("attendance.views.REFRESH_SECONDS", 1)

    children = [enrolled_child(term_a, name=name) for name in ("王小明", "陈欣怡", "李娜")]
    other = UserFactory(username="carer2", role="childcare", sites=[site_a])
    pages = []
    for user in (carer, other):
        page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
        sign_in(page, live_server, user)
        pages.append(page)
    a, b = pages
    with b.expect_response(
        lambda r: "/live/" in r.url and r.status == 200, timeout=20_000
    ) as refreshed:
        tile(a, children[0]).locator(".tm").click(no_wait_after=True)
        expect(tile(a, children[0]).locator(".rb")).to_have_text("在园")
    html = refreshed.value.text()
    # Only what changed: the one tile, the counters, the ratio and the version, not the board.
    assert 'id="board-version"' in html and 'id="board-live"' not in html
    assert html.count('class="tile ') == 1 and str(children[0].key) in html
    for page in pages:
        expect(tile(page, children[0]).locator(".rb")).to_have_text("在园")
        expect(present_counter(page)).to_have_text("1")
        expect(tile(page, children[1]).locator(".rb")).not_to_have_text("在园")
    version = selectors.board_version(site_a, timezone.localdate(clock["now"]), clock["now"])
    expect(b.locator("#board-live")).to_have_attribute("data-version", version.fingerprint)
    expect(b.locator("#board-live")).to_have_attribute("data-seq", str(version.seq))
    # The board now holds the newest version: its next refreshes are answered with nothing.
    with b.expect_response(lambda r: "/live/" in r.url, timeout=20_000) as again:
        pass
    assert again.value.status == 204
    for page in pages:
        page.context.close()
