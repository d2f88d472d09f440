"""HR registers a family in the browser: a worker with two children, a grandmother who may
collect them and an uncle who must not, one consent for both, both enrolled — in four
submissions, counted and timed; then the children's cards."""

import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from enrollment.models import Child, Family
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MOST_SUBMISSIONS = 4


def sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()


def submissions(page) -> list[str]:
    """Every form the browser sends from now on (a POST that loads a page)."""
    sent = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.url)
            if request.method == "POST" and request.is_navigation_request()
            else None
        ),
    )
    return sent


def adult_block(page, number):
    return page.locator("fieldset.adult-row").nth(number)


def register_the_family(page, live_server, screenshot=None, suffix="zh"):
    """The four steps; returns the seconds they took from the first page to the last."""
    year = timezone.localdate().year
    started = time.perf_counter()
    page.goto(f"{live_server.url}/families/new/")
    page.locator("#id_employee_no").fill("xh20001")
    page.locator("#id_name").fill("王建华")
    page.locator("#id_mobile").fill("+86 138 1234 5678")
    page.locator("#id_department").fill("装配一线")
    page.locator("#id_hukou_province").select_option("sichuan")
    rows = page.locator("table.child-rows tbody tr")
    for number, (name, sex, born, allergies) in enumerate(
        [("王小明", "m", f"{year - 7}-03-15", "花生"), ("王𠮷安", "f", f"{year - 5}-09-02", "")]
    ):
        row = rows.nth(number)
        row.locator("input[name$='-name']").fill(name)
        row.locator(f"input[name$='-sex'][value={sex}]").check()
        row.locator("input[name$='-date_of_birth']").fill(born)
        row.locator("input[name$='-allergies']").fill(allergies)
    if screenshot:
        screenshot(f"family-step1-{suffix}")
    page.locator("main button[type=submit]").click()  # 1

    expect(page.locator("fieldset.adult-row")).to_have_count(2)
    grandmother = adult_block(page, 0)
    grandmother.locator("input[name$='-name']").fill("张秀英")
    grandmother.locator("select[name$='-relation']").select_option("grandmother")
    grandmother.locator("input[name$='-mobile']").fill("139-1234-5678")
    grandmother.locator("input[name$='-is_guardian']").check()
    for box in grandmother.locator("input[name$='-may_collect']").all():
        box.check()
    uncle = adult_block(page, 1)
    uncle.locator("input[name$='-name']").fill("王大壮")
    uncle.locator("select[name$='-relation']").select_option("uncle")
    for box in uncle.locator("input[name$='-must_not_collect']").all():
        box.check()
    if screenshot:
        screenshot(f"family-step2-{suffix}")
    page.locator("main button[type=submit]").click()  # 2

    expect(page.locator("#div_id_children input:checked")).to_have_count(2)
    page.locator("#id_given_by_relation").select_option("father")
    page.locator("#id_covers_photos").check()
    if screenshot:
        screenshot(f"family-consent-several-{suffix}")
    page.locator("main form [type=submit]").click()  # 3

    expect(page.locator("#div_id_children input:checked")).to_have_count(2)
    expect(page.locator("#div_id_term input:checked")).to_have_count(1)
    if screenshot:
        screenshot(f"family-enrol-several-{suffix}")
    page.locator("main form [type=submit]").click()  # 4
    expect(page.locator(".alert-success")).to_be_visible()
    return time.perf_counter() - started


def test_hr_registers_a_family_in_four_submissions_and_prints_the_cards(
    live_server, page, screenshot, hr, term_a
):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, hr)
    expect(page.locator("h1")).to_have_text("家庭")
    sent = submissions(page)

    seconds = register_the_family(page, live_server, screenshot)

    assert len(sent) <= MOST_SUBMISSIONS, sent
    print(f"\nfamily registered in {len(sent)} submissions, {seconds:.2f} s")
    expect(page.locator(".alert-success")).to_contain_text("王小明、王𠮷安 已录取")
    expect(page.locator("h1")).to_contain_text("王建华 的家庭")
    expect(page.locator(".pickup-list").first).to_contain_text("张秀英")
    expect(page.locator(".pickup-refused").first).to_contain_text("王大壮")
    screenshot("hr-family-page-zh")

    page.get_by_role("link", name="打印儿童卡片").click()
    expect(page.locator(".child-id-card")).to_have_count(2)
    expect(page.locator(".child-id-card").first).to_contain_text(term_a.site.name)
    screenshot("hr-cards-zh")

    family = Family.objects.get(workers__employee_no="XH20001")
    worker = family.workers.get()
    assert worker.mobile == "13812345678"
    children = Child.objects.filter(family=family)
    assert sorted(children.values_list("name", flat=True)) == ["王小明", "王𠮷安"]
    assert all(child.enrollments.get().status == "enrolled" for child in children)
    assert all(child.consents.get().covers_photos for child in children)
    for child in children:
        rules = {rule.adult.name: rule.allowed for rule in child.pickups.all()}
        assert rules == {"张秀英": True, "王大壮": False}
    card_code = children.get(name="王小明").card_code
    expect(page.locator(".child-id-card", has_text="王小明")).to_contain_text(
        f"{card_code[:3]} {card_code[3:]}"
    )
