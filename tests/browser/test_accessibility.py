"""The pages read most — the today board with its check-out sheet, the family list, the
program dashboard — in Chinese and in English, on a tablet held either way.
Like every page a browser test opens, each is checked with axe and, on a tablet, for touch
targets (tests/browser/accessibility.py); the screenshots are there to be looked at.

And the check itself can fail: a page with a faint word and a small button, left by a
navigation, fails the test that opened it."""

import pytest
from playwright.sync_api import expect

from attendance import services
from tests.browser.tablet import today_at
from tests.conftest import ACCESSIBILITY
from tests.factories import (
    TEST_PASSWORD,
    ChildFactory,
    FamilyFactory,
    PickupPermissionFactory,
    RoomFactory,
    WorkerFactory,
    enrolled_child,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# At a desk (1280×800) both pages are opened in both languages by test_login_journeys.
TABLET = [(1024, 768), (768, 1024)]


@pytest.fixture
def busy_board(monkeypatch, site_a, term_a, carer):
    """A morning at 9:00 with a child of each status, an allergy, an incident and a late
    arrival still expected; and a family without consent."""
    monkeypatch.setattr("ffs_portal.lib.clock.now", lambda: today_at(9, 0))
    RoomFactory(site=site_a, name="幼儿组", min_age=3, max_age=5)
    RoomFactory(site=site_a, name="儿童组", min_age=6, max_age=14)
    names = ["王小明", "李欣怡", "张子涵", "刘浩然", "陈梓萱", "杨宇轩", "黄诗琪", "赵俊杰"]
    year = today_at(9).year
    children = [
        enrolled_child(
            term_a,
            name=name,
            date_of_birth=today_at(9).date().replace(year=year - 4 - n % 7),
            allergies="花生" if n in (0, 5) else "",
        )
        for n, name in enumerate(names)
    ]
    for child in children[:5]:
        services.check_in(site=site_a, child=child, by=carer, at=today_at(8, 10))
    PickupPermissionFactory(child=children[0], adult__name="李秀英", adult__relation="grandmother")
    services.check_out(
        site=site_a,
        child=children[1],
        collector=children[1].family.workers.first(),
        by=carer,
        at=today_at(8, 50),
    )
    services.mark_absent(site=site_a, child=children[5], reason="ill", by=carer)
    services.report_incident(
        site=site_a,
        child=children[2],
        by=carer,
        kind="injury",
        occurred_at=today_at(8, 30),
        description="在院子里摔倒，膝盖擦伤",
        action_taken="清洗伤口，贴创可贴",
        parent_informed_at=today_at(8, 40),
        parent_informed_by="黄老师",
        parent_informed_how="phone",
    )
    # A family whose consent is still missing, as the family list shows it.
    family = FamilyFactory(factory=site_a.factory)
    WorkerFactory(family=family, name="孙丽娟")
    ChildFactory(family=family, name="孙浩宇")
    return children


def signed_in(browser, live_server, user, language):
    user.language = language
    user.save(update_fields=["language"])
    width, height = TABLET[0]
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page.locator("h1").first).to_be_visible()
    return page


def test_the_board_the_family_list_and_the_dashboard_in_both_languages_and_sizes(
    browser, live_server, screenshot, busy_board, carer, hr, coordinator
):
    # One morning, shown in one language and then the other.
    for language in ("zh-hans", "en"):
        the_pages_in(language, browser, live_server, screenshot, busy_board, carer, hr, coordinator)


def the_pages_in(language, browser, live_server, screenshot, busy_board, carer, hr, coordinator):
    board = signed_in(browser, live_server, carer, language)
    wang = busy_board[0]
    for width, height in TABLET:
        board.set_viewport_size({"width": width, "height": height})
        expect(board.locator(".tile.overdue").first).to_be_visible()
        screenshot(f"a11y-board-{language}-{width}x{height}", board)
        board.locator(f"#t-{wang.key} .tm").click()
        expect(board.locator("#sheet .collector").first).to_be_visible()
        screenshot(f"a11y-board-sheet-{language}-{width}x{height}", board)
        board.locator("#sheet .btn-close").first.click()
        expect(board.locator("#sheet")).to_be_hidden()

    for user, path in ((hr, "/families/"), (coordinator, "/dashboard/")):
        page = signed_in(browser, live_server, user, language)
        for width, height in TABLET:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{live_server.url}{path}")
            expect(page.locator("main h1")).to_be_visible()
            screenshot(f"a11y-{path.strip('/')}-{language}-{width}x{height}", page)
        page.context.close()
    board.context.close()


PROBE = """<!doctype html><html lang="en"><head><title>Probe</title></head>
<body class="layout-tablet"><main><h1>Probe</h1>
<p style="color: #c8c8c8">A word too faint to read</p><button type="button">x</button>
<a href="/probe/next/">Next</a></main></body></html>"""
CLEAN = """<!doctype html><html lang="en"><head><title>Next</title></head>
<body><main><h1>Nothing wrong here</h1></main></body></html>"""


def test_a_page_left_with_a_faint_word_and_a_small_button_fails_the_test(
    request, live_server, page
):
    checker = request.node.stash[ACCESSIBILITY]
    checker.record = False  # what it finds here is made to be found: not for the run's count
    page.route(
        f"{live_server.url}/probe/**",
        lambda route: route.fulfill(
            content_type="text/html", body=CLEAN if "next" in route.request.url else PROBE
        ),
    )
    page.goto(f"{live_server.url}/probe/")
    page.get_by_role("link", name="Next").click()
    expect(page.locator("h1")).to_have_text("Nothing wrong here")
    with pytest.raises(AssertionError) as failure:
        checker.finish()
    found = str(failure.value)
    assert "/probe/ [en, 1280x720] color-contrast (serious)" in found
    assert "A word too faint to read" in found
    assert "Expected contrast ratio of 4.5:1" in found
    assert "touch-target: button “x”" in found
    assert "/probe/next/" not in found
