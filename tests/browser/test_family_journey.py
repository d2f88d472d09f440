"""HR registers a family in the browser: two children, a grandmother who may collect them,
consent, enrolment, and the children's cards."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from enrollment.models import Child, Family
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()


def add_child(page, name, born, allergies=""):
    page.get_by_role("link", name="添加孩子").click()
    page.locator("#id_name").fill(name)
    page.get_by_label("女").check()
    page.locator("#id_date_of_birth").fill(born)
    page.locator("#id_allergies").fill(allergies)
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".alert-success")).to_contain_text(name)


def test_hr_registers_a_family_and_prints_the_childrens_cards(
    live_server, page, screenshot, hr, term_a
):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, hr)
    expect(page.locator("h1")).to_have_text("家庭")

    page.get_by_role("link", name="登记家庭").click()
    page.locator("#id_employee_no").fill("XH20001")
    page.locator("#id_name").fill("王建华")
    page.locator("#id_mobile").fill("13812345678")
    page.locator("#id_department").fill("装配一线")
    page.locator("#id_hukou_province").select_option(label="四川")
    screenshot("hr-register-family-zh")
    page.get_by_role("button", name="登记家庭").click()
    expect(page.locator("h1")).to_contain_text("王建华 的家庭")

    year = timezone.localdate().year
    add_child(page, "王小明", f"{year - 7}-03-15", allergies="花生")
    add_child(page, "王𠮷安", f"{year - 5}-09-02")

    page.get_by_role("link", name="添加祖辈或其他成人").click()
    page.locator("#id_name").fill("张秀英")
    page.locator("#id_relation").select_option(label="奶奶/外婆")
    page.locator("#id_mobile").fill("13912345678")
    page.get_by_label("监护人").check()
    for name in ("王小明", "王𠮷安"):
        page.locator("#div_id_may_collect").get_by_label(name).check()
    screenshot("hr-add-grandmother-zh")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".pickup-list").first).to_contain_text("张秀英")

    for _ in range(2):
        page.get_by_role("link", name="登记同意书").first.click()
        page.get_by_label("孩子的照片").check()
        screenshot("hr-consent-zh")
        page.get_by_role("button", name="登记同意书").click()
        expect(page.locator(".alert-success")).to_contain_text("同意书")

    for name in ("王小明", "王𠮷安"):
        page.locator("article.child-card", has_text=name).get_by_role(
            "link", name="报名学期"
        ).click()
        page.get_by_role("button", name="报名").click()
        expect(page.locator(".alert-success")).to_contain_text(f"{name} 已录取")
    screenshot("hr-family-page-zh")

    page.get_by_role("link", name="打印儿童卡片").click()
    expect(page.locator(".child-id-card")).to_have_count(2)
    expect(page.locator(".child-id-card").first).to_contain_text(term_a.site.name)
    screenshot("hr-cards-zh")

    family = Family.objects.get(workers__employee_no="XH20001")
    children = Child.objects.filter(family=family)
    assert sorted(children.values_list("name", flat=True)) == ["王小明", "王𠮷安"]
    assert all(child.enrollments.get().status == "enrolled" for child in children)
    assert all(child.pickups.get().adult.name == "张秀英" for child in children)
