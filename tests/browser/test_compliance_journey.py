"""Children's data in the browser: HR sees who looked at a child and downloads the guardian's
file; a coordinator records a data incident and opens the year's compliance pack."""

import pytest
from playwright.sync_api import expect

from tests.browser.signing_in import sign_in
from tests.factories import enrolled_child

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hr_sees_who_looked_and_a_coordinator_records_a_data_incident(
    live_server, browser, screenshot, hr, coordinator, term_a
):
    child = enrolled_child(term_a, name="王小明")
    hr_page = browser.new_page(viewport={"width": 1024, "height": 768})
    sign_in(hr_page, live_server, hr.username)
    hr_page.goto(f"{live_server.url}/families/{child.family.key}/")
    hr_page.locator("details.who-looked summary").click()
    expect(hr_page.locator("details.who-looked")).to_contain_text("家庭页面")
    screenshot("compliance-who-looked", of=hr_page)
    with hr_page.expect_download() as download:
        hr_page.get_by_role("button", name="给监护人的信息副本").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    page = browser.new_page(viewport={"width": 1024, "height": 768})
    sign_in(page, live_server, coordinator.username)
    page.goto(f"{live_server.url}/children-data/incidents/new/")
    page.locator("#id_summary").fill("儿童名单误发到工人微信群")
    page.locator("#id_data_exposed").fill("32名儿童的姓名和年龄")
    page.locator("#id_children_affected").fill("32")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("table")).to_contain_text("儿童名单误发到工人微信群")
    expect(page.locator("table")).to_contain_text("尚未报告主管部门")
    screenshot("compliance-incidents", of=page)
    page.get_by_role("link", name="年度合规报告").click()
    expect(page.locator(".pack-grid")).to_contain_text("数据安全事件")
    screenshot("compliance-pack", of=page)
    for opened in (hr_page, page):
        opened.context.close()
