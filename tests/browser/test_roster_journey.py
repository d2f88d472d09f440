"""HR imports the factory's roster in a real Chromium: one bad row is shown in its cell, the
file is corrected and uploaded again, the import is confirmed and the families are there."""

from datetime import date

import pytest
from playwright.sync_api import expect

from enrollment.models import Child, Family
from tests import rosters
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def roster_rows(mobile_of_second_worker: str):
    return [
        rosters.row(employee_no="XH0101", worker="王芳", child="李小明", born=date(2018, 5, 1),
                    pickup="王秀英", relation="外婆"),
        rosters.row(employee_no="XH0101", worker="王芳", child="李𠮷", sex="女",
                    born=date(2020, 3, 8), allergies="花生", pickup="王秀英", relation="外婆"),
        rosters.row(employee_no="XH0233", worker="陈建华", department="喷油车间",
                    mobile=mobile_of_second_worker, province="贵州", child="陈浩然",
                    born=date(2016, 9, 12), pickup="陈德明", relation="爷爷",
                    pickup_mobile="13700000233"),
    ]  # fmt: skip


def test_hr_imports_a_roster_with_a_bad_row_then_corrects_it(
    live_server, page, screenshot, hr, tmp_path
):
    bad = tmp_path / "员工子女名单.xlsx"
    bad.write_bytes(rosters.xlsx(roster_rows("1380013")))
    fixed = tmp_path / "员工子女名单-改.xlsx"
    fixed.write_bytes(rosters.xlsx(roster_rows("13800130233")))

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(hr.username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page).to_have_url(f"{live_server.url}/families/")

    page.goto(f"{live_server.url}/families/import/")
    expect(page.locator("h1")).to_have_text("导入名单")
    page.locator("#id_file").set_input_files(str(bad))
    page.get_by_role("button", name="检查文件").click()

    expect(page.locator("h1")).to_have_text("导入前检查名单")
    cell = page.locator("#problems-row-4 td.cell-problem[data-column=mobile]")
    expect(cell).to_be_visible()
    expect(cell).to_contain_text("1380013")
    expect(page.locator(".row-explain").first).to_contain_text("（单元格 D4）")
    expect(page.locator(".row-explain").first).to_contain_text("大陆手机号是 11 位")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    screenshot("roster-preview-problem-zh")
    assert Family.objects.count() == 0

    page.locator("#id_file").set_input_files(str(fixed))
    page.get_by_role("button", name="检查文件").click()
    expect(page.get_by_role("heading", name="没有发现问题")).to_be_visible()
    expect(page.locator("td.cell-problem")).to_have_count(0)
    expect(page.locator("#all-row-3")).to_contain_text("李𠮷")
    screenshot("roster-preview-ok-zh")

    page.get_by_role("button", name="确认导入").click()
    expect(page).to_have_url(f"{live_server.url}/families/")
    expect(page.locator(".alert-success")).to_contain_text("名单已导入。家庭：新增 2")
    families = page.locator(".family-table tbody")
    for name in ("王芳", "陈建华", "李小明", "李𠮷", "陈浩然"):
        expect(families).to_contain_text(name)
    screenshot("roster-imported-zh")
    assert sorted(Child.objects.values_list("name", flat=True)) == ["李小明", "李𠮷", "陈浩然"]


def test_the_import_pages_read_in_english_and_at_tablet_sizes(
    live_server, page, screenshot, hr, tmp_path
):
    bad = tmp_path / "roster.xlsx"
    bad.write_bytes(rosters.xlsx(roster_rows("1380013")))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(hr.username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    # Signed in once; the pages follow HR's own language, set before each round.
    for language, width, height in [("en", 1280, 800), ("zh-hans", 1024, 768), ("en", 768, 1024)]:
        hr.language = language
        hr.save(update_fields=["language"])
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/families/import/")
        expect(page.locator("html")).to_have_attribute(
            "lang", "en" if language == "en" else "zh-CN"
        )
        screenshot(f"roster-upload-{language}-{width}x{height}")
        page.locator("#id_file").set_input_files(str(bad))
        page.locator("main form button[type=submit]").first.click()
        expect(page.locator("#problems-row-4 td.cell-problem[data-column=mobile]")).to_be_visible()
        expected = "a mainland mobile number has 11" if language == "en" else "大陆手机号是 11 位"
        expect(page.locator(".row-explain").first).to_contain_text(expected)
        screenshot(f"roster-preview-problem-{language}-{width}x{height}")
