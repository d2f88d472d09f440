"""The roster pages for each role: upload → preview → confirm, the template, the export."""

import csv
import io
import os
import re
from datetime import date, timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from enrollment.models import Child, Family, PickupPermission, Worker
from enrollment.roster import uploads
from enrollment.roster.reading import read_roster
from ffs_portal.models import AuditEntry, Role
from tests import rosters
from tests.enrollment.roster.test_reading import PNG
from tests.factories import (
    AdultFactory,
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    PickupPermissionFactory,
    UserFactory,
    WorkerFactory,
)

pytestmark = pytest.mark.django_db

IMPORT = reverse("enrollment:roster_import")
TEMPLATE = reverse("enrollment:roster_template")
EXPORT = reverse("enrollment:roster_export")


def preview_url(token):
    return reverse("enrollment:roster_import_preview", kwargs={"upload": token})


def confirm_url(token):
    return reverse("enrollment:roster_import_confirm", kwargs={"upload": token})


def upload(client, data, name="名单.xlsx", **extra):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data), **extra})


def token_of(response):
    assert response.status_code == 302, response.content.decode()[:2000]
    return re.search(r"/import/([\w-]{32})/$", response["Location"]).group(1)


def stored_files():
    try:
        return default_storage.listdir(uploads.FOLDER)[1]
    except FileNotFoundError:
        return []


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_hr_uploads_sees_the_preview_and_confirms(client, hr, factory_a):
    client.force_login(hr)
    token = token_of(upload(client, rosters.xlsx(rosters.family_rows(4))))
    assert len(stored_files()) == 2, "the file and what it belongs to, in private storage"

    page = client.get(preview_url(token))
    assert page.status_code == 200
    html = text(page)
    assert "导入前检查名单" in html and "没有发现问题" in html
    assert 'value="confirm"' in html
    assert "王小明0" in html
    assert Family.objects.count() == 0, "nothing is written before the confirmation"

    done = client.post(confirm_url(token), {"action": "confirm"})
    assert done.status_code == 302 and done["Location"] == reverse("enrollment:family_list")
    assert Family.objects.filter(factory=factory_a).count() == 2
    assert Child.objects.count() == 4
    assert stored_files() == [], "the uploaded file is deleted once imported"
    landing = text(client.get(done["Location"]))
    assert "名单已导入。家庭：新增 2，更改 0，不变 0。" in landing
    assert client.get(preview_url(token)).status_code == 404


def test_the_preview_highlights_each_problem_in_its_cell_and_offers_no_confirmation(client, hr):
    client.force_login(hr)
    rows = [rosters.row(child="李小明"), rosters.row(child="李小红", mobile="1380000")]
    token = token_of(upload(client, rosters.xlsx(rows)))
    html = text(client.get(preview_url(token)))
    assert re.search(
        r'<tr id="problems-row-3" data-row="3">.*?class="cell-problem" data-column="mobile"', html
    )
    assert "（单元格 D3）" in html
    assert "“1380000”有 7 位数字；大陆手机号是 11 位" in html
    assert "1 行有问题。" in html
    assert 'value="confirm"' not in html
    assert "上传更正后的文件" in html


def test_the_preview_speaks_english_to_english_users(client, hr):
    hr.language = "en"
    hr.save()
    client.force_login(hr)
    token = token_of(upload(client, rosters.xlsx([rosters.row(mobile="1380000")])))
    html = text(client.get(preview_url(token)))
    assert "Check the roster before importing" in html
    assert "“1380000” has 7 digits; a mainland mobile number has 11" in html
    assert "Mobile</strong> (cell D2)" in html


def test_confirming_a_file_with_problems_writes_nothing(client, hr):
    client.force_login(hr)
    token = token_of(upload(client, rosters.xlsx([rosters.row(born=date(2099, 1, 1))])))
    response = client.post(confirm_url(token), {"action": "confirm"})
    assert response.status_code == 200
    assert "出生日期不能晚于今天" in text(response)
    assert Family.objects.count() == 0


def test_confirm_re_reads_and_re_checks_the_file(client, hr, factory_a):
    client.force_login(hr)
    token = token_of(upload(client, rosters.xlsx([rosters.row()])))
    WorkerFactory(family__factory=factory_a, employee_no="A001", name="王方")
    response = client.post(confirm_url(token), {"action": "confirm"})
    assert response.status_code == 200
    assert "工号 A001 在系统中登记的是 王方" in text(response)
    assert Child.objects.count() == 0


def test_discarding_deletes_the_upload(client, hr):
    client.force_login(hr)
    token = token_of(upload(client, rosters.xlsx([rosters.row()])))
    response = client.post(confirm_url(token), {"action": "discard"})
    assert response.status_code == 302 and response["Location"] == IMPORT
    assert stored_files() == []
    assert Family.objects.count() == 0


def test_a_post_without_an_action_goes_back_to_the_preview(client, hr):
    client.force_login(hr)
    token = token_of(upload(client, rosters.xlsx([rosters.row()])))
    response = client.post(confirm_url(token))
    assert response["Location"] == preview_url(token)
    assert Family.objects.count() == 0


def test_a_20_mb_upload_is_refused_with_a_message(client, hr):
    client.force_login(hr)
    # Larger than any request may be: refused before it is read.
    response = upload(client, b"PK\x03\x04" + os.urandom(20 * 1024 * 1024), name="big.xlsx")
    assert response.status_code == 413
    assert "门户接受的文件最大为 10 MB" in text(response)
    assert stored_files() == []


def test_an_upload_just_over_the_limit_is_refused_on_the_form(client, hr, settings):
    client.force_login(hr)
    data = b"PK\x03\x04" + os.urandom(settings.MAX_UPLOAD_BYTES + 200 * 1024)
    response = upload(client, data, name="big.xlsx")
    assert response.status_code == 200
    assert "名单文件最大 10 MB" in text(response)
    assert stored_files() == []


@pytest.mark.parametrize(
    "data, name, says",
    [
        (PNG, "名单.xlsx", "此文件不是门户能读取的表格"),
        (b"PK\x03\x04broken", "名单.xlsx", "此 Excel 文件已损坏"),
        (rosters.xlsx([rosters.row()], header=rosters.HEADER[:5]), "名单.xlsx", "缺少这些列"),
    ],
    ids=["renamed-png", "corrupt-xlsx", "missing-columns"],
)
def test_a_file_that_cannot_be_read_is_refused_on_the_upload_form(client, hr, data, name, says):
    client.force_login(hr)
    response = upload(client, data, name=name)
    assert response.status_code == 200
    assert says in text(response)
    assert stored_files() == []


def test_an_upload_without_a_file_asks_for_one(client, hr):
    client.force_login(hr)
    response = client.post(IMPORT, {})
    assert response.status_code == 200 and "这个字段是必填项" in text(response)


def test_hr_of_another_factory_cannot_see_or_confirm_the_upload(client, hr, outsiders):
    client.force_login(hr)
    token = token_of(upload(client, rosters.xlsx([rosters.row()])))
    client.force_login(outsiders[Role.HR])
    assert client.get(preview_url(token)).status_code == 404
    assert client.post(confirm_url(token), {"action": "confirm"}).status_code == 404
    assert client.post(confirm_url(token), {"action": "discard"}).status_code == 404
    assert Family.objects.count() == 0
    assert len(stored_files()) == 2


def test_another_hr_of_the_same_factory_cannot_use_the_token_either(client, hr, factory_a):
    colleague = UserFactory(username="hr2", role=Role.HR, factory=factory_a)
    client.force_login(hr)
    token = token_of(upload(client, rosters.xlsx([rosters.row()])))
    client.force_login(colleague)
    assert client.get(preview_url(token)).status_code == 404
    assert client.post(confirm_url(token), {"action": "confirm"}).status_code == 404


def test_an_upload_for_a_factory_no_longer_ones_own_is_not_found(client, hr, factory_b):
    client.force_login(hr)
    token = token_of(upload(client, rosters.xlsx([rosters.row()])))
    hr.factory = factory_b
    hr.save()
    assert client.get(preview_url(token)).status_code == 404


@pytest.mark.parametrize("token", ["x" * 32, "../../../../etc/passwd-xxxxxxxxxxx", "short"])
def test_unknown_tokens_are_not_found(client, hr, token):
    client.force_login(hr)
    assert client.get(f"/families/import/{token}/").status_code == 404


@pytest.mark.parametrize("role", ["carer", "site_lead", "coordinator"])
def test_roles_without_family_management_cannot_import(request, client, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(IMPORT).status_code == 403
    assert client.get(TEMPLATE).status_code == 403
    assert upload(client, rosters.xlsx([rosters.row()])).status_code == 403


def test_a_childcare_worker_cannot_reach_an_upload_or_the_export(client, hr, carer):
    client.force_login(hr)
    token = token_of(upload(client, rosters.xlsx([rosters.row()])))
    client.force_login(carer)
    assert client.get(preview_url(token)).status_code == 403
    assert client.post(confirm_url(token), {"action": "confirm"}).status_code == 403
    assert client.get(EXPORT + "?reason=核对名单&format=xlsx").status_code == 403


def test_an_administrator_chooses_the_factory(client, administrator, factory_a, factory_b):
    client.force_login(administrator)
    page = text(client.get(IMPORT))
    assert "选择工厂" in page and factory_b.name in page
    assert "这个字段是必填项" in text(upload(client, rosters.xlsx([rosters.row()])))
    token = token_of(upload(client, rosters.xlsx([rosters.row()]), factory=factory_b.code))
    client.post(confirm_url(token), {"action": "confirm"})
    assert Worker.objects.get().factory == factory_b


def test_hr_cannot_upload_into_another_factory(client, hr, factory_b):
    client.force_login(hr)
    token = token_of(upload(client, rosters.xlsx([rosters.row()]), factory=factory_b.code))
    client.post(confirm_url(token), {"action": "confirm"})
    assert Worker.objects.get().factory == hr.factory


def test_the_import_page_offers_the_template(client, hr):
    client.force_login(hr)
    page = text(client.get(IMPORT))
    assert "导入名单" in page and TEMPLATE in page and "检查文件" in page


def test_the_template_has_the_headers_an_example_and_instructions(client, hr, factory_a):
    client.force_login(hr)
    response = client.get(TEMPLATE)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    roster, instructions = workbook.worksheets
    assert [c.value for c in roster[1]][:12] == rosters.HEADER
    assert [c.value for c in roster[1]][12:14] == [
        "同意书签署日期/Consent signed on",
        "同意书版本/Consent version",
    ]
    assert roster["A2"].value == "E10001" and roster["H2"].number_format == "yyyy-mm-dd"
    assert instructions["A1"].value == "如何填写名单"
    assert instructions["B1"].value == "How to fill in the roster"
    # Filled in straight away, the example row is skipped and a new row imports.
    roster.append(rosters.row())
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = read_roster(buffer.getvalue())
    assert sheet.example_row == 2 and [r.number for r in sheet.rows] == [3]


def registered_families(factory, n, start=0):
    """``n`` families: a worker, a child with consent and an enrolment, two adults who may
    collect and one who may not, so that an export has everything in it."""
    for i in range(start, start + n):
        family = FamilyFactory(factory=factory)
        WorkerFactory(
            family=family, employee_no=f"W{i:04d}", name=f"王{i}芳", hukou_province="henan"
        )
        child = ChildFactory(family=family, name=f"李{i}明", sex="m", allergies="=1+1")
        ConsentFactory(child=child)
        for name, relation in ((f"张{i}英", "grandmother"), (f"张{i}国", "grandfather")):
            PickupPermissionFactory(
                child=child, adult=AdultFactory(family=family, name=name, relation=relation)
            )
        PickupPermissionFactory(child=child, adult=AdultFactory(family=family, name=f"赵{i}"),
                                allowed=False)  # fmt: skip
        yield child


def test_the_export_has_the_template_columns_and_the_enrolment_status(client, hr, term_a):
    (child,) = registered_families(term_a.site.factory, 1)
    EnrollmentFactory(child=child, term=term_a, status="enrolled")
    WorkerFactory(family__factory=term_a.site.factory, employee_no="Z999", name="孙无子")
    client.force_login(hr)
    response = client.get(EXPORT + "?reason=核对名单&format=xlsx")
    assert response.status_code == 200
    assert 'filename="roster-dg-xinghe-' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:12] == rosters.HEADER
    assert values[0][12:] == [
        "同意书签署日期/Consent signed on",
        "同意书版本/Consent version",
        "签署人/Consent signed by",
        "签署人关系/Signer relation",
        "站点/Site",
        "学期/Term",
        "同意书/Consent",
        "报名状态/Enrolment status",
    ]
    assert [v[9] for v in values[1:]] == ["张0国", "张0英", None]  # not the one who may not
    first = values[1]
    assert first[:8] == ["W0000", "王0芳", "装配一线", first[3], "河南", "李0明", "男", first[7]]
    assert first[16:] == [term_a.site.name, term_a.name, "有", "已录取"]
    assert first[14] == child.consents.get().given_by
    assert values[3][:2] == ["Z999", "孙无子"], "a worker without children is listed too"
    entry = AuditEntry.objects.get(action="roster.exported")
    assert (entry.actor, entry.factory, entry.details) == (
        hr, term_a.site.factory, {"format": "xlsx", "rows": 3, "reason": "核对名单"}
    )  # fmt: skip


def test_the_export_guards_against_formulas(client, hr, factory_a):
    list(registered_families(factory_a, 1))
    client.force_login(hr)
    sheet = load_workbook(
        io.BytesIO(client.get(EXPORT + "?reason=核对名单&format=xlsx").content)
    ).active
    cell = sheet["I2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=1+1", "s", True)
    body = client.get(EXPORT + "?reason=核对名单&format=csv").content
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[1][8] == "'=1+1"


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_an_export_imported_again_changes_nothing(client, hr, factory_a, file_format):
    list(registered_families(factory_a, 3))
    WorkerFactory(family__factory=factory_a, employee_no="Z999", name="孙无子")
    client.force_login(hr)
    exported = client.get(f"{EXPORT}?reason=核对名单&format={file_format}").content
    counts = {
        "children": Child.objects.count(),
        "pickups": PickupPermission.objects.count(),
        "families": Family.objects.count(),
    }
    token = token_of(upload(client, exported, name=f"export.{file_format}"))
    assert "此文件中的所有内容系统中都已有" in text(client.get(preview_url(token)))
    client.post(confirm_url(token), {"action": "confirm"})
    assert counts == {
        "children": Child.objects.count(),
        "pickups": PickupPermission.objects.count(),
        "families": Family.objects.count(),
    }
    assert Child.objects.filter(allergies="=1+1").count() == 3


def test_export_queries_do_not_grow_with_the_roster(
    client, hr, factory_a, django_assert_max_num_queries
):
    client.force_login(hr)
    for start, n in ((0, 3), (3, 9)):
        list(registered_families(factory_a, n, start))
        with django_assert_max_num_queries(12):
            assert client.get(EXPORT + "?reason=核对名单&format=csv").status_code == 200


def test_preview_queries_do_not_grow_with_the_roster(client, hr, django_assert_max_num_queries):
    client.force_login(hr)
    for n in (50, 150):
        token = token_of(upload(client, rosters.xlsx(rosters.family_rows(n))))
        with django_assert_max_num_queries(12):
            assert client.get(preview_url(token)).status_code == 200


def test_a_coordinator_chooses_among_their_factories(
    client, coordinator, factory_a, factory_b, outsiders
):
    coordinator.factories.add(factory_b)
    client.force_login(coordinator)
    page = client.get(EXPORT + "?reason=核对名单&format=xlsx")
    assert page.status_code == 200 and "导出名单" in text(page)
    assert factory_a.name in text(page) and factory_b.name in text(page)
    response = client.get(f"{EXPORT}?factory={factory_b.code}&format=csv&reason=核对名单")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_the_export_of_another_factory_is_not_found(client, hr, coordinator, factory_b):
    for user in (hr, coordinator):
        client.force_login(user)
        assert client.get(f"{EXPORT}?factory={factory_b.code}&format=xlsx").status_code == 404


def test_hr_downloads_their_own_factory_without_choosing(client, hr, factory_a, factory_b):
    list(registered_families(factory_b, 1))
    client.force_login(hr)
    response = client.get(EXPORT + "?reason=核对名单&format=csv")
    assert response.status_code == 200
    assert "李0明" not in response.content.decode("utf-8-sig")


def test_an_unknown_export_format_shows_the_choice_again(client, hr):
    client.force_login(hr)
    response = client.get(EXPORT + "?reason=核对名单&format=pdf")
    assert response.status_code == 200 and "格式" in text(response)
    assert not AuditEntry.objects.filter(action="roster.exported").exists()


def test_uploads_nobody_confirmed_are_removed_after_a_while(client, hr, factory_a, settings):
    old = uploads.save_upload(data=b"x", name="old.csv", user=hr, factory=factory_a)
    past = (uploads.timezone.now() - uploads.KEEP_FOR - timedelta(hours=1)).timestamp()
    for name in stored_files():
        os.utime(default_storage.path(f"{uploads.FOLDER}/{name}"), (past, past))
    new = uploads.save_upload(data=b"y", name="new.csv", user=hr, factory=factory_a)
    assert uploads.find_upload(token=old.token, user=hr) is None
    assert uploads.find_upload(token=new.token, user=hr) is not None
    assert default_storage.path(uploads.FOLDER).startswith(str(settings.MEDIA_ROOT))


def test_a_familys_second_worker_is_exported_on_a_row_of_their_own(client, hr, factory_a):
    (child,) = registered_families(factory_a, 1)
    WorkerFactory(family=child.family, employee_no="W9999", name="李0强")
    client.force_login(hr)
    exported = client.get(EXPORT + "?reason=核对名单&format=xlsx").content
    rows = [[c.value for c in row][:6] for row in load_workbook(io.BytesIO(exported)).active]
    assert [row[0] for row in rows[1:]] == ["W0000", "W0000", "W9999"]
    assert rows[3][5] is None, "the children are listed once, under the first worker"
    token = token_of(upload(client, exported))
    assert "此文件中的所有内容系统中都已有" in text(client.get(preview_url(token)))


def test_an_export_in_english_imports_again_unchanged(client, hr, factory_a):
    list(registered_families(factory_a, 2))
    hr.language = "en"
    hr.save()
    client.force_login(hr)
    exported = client.get(EXPORT + "?reason=核对名单&format=csv").content
    assert "Boy" in exported.decode("utf-8-sig") and "Henan" in exported.decode("utf-8-sig")
    token = token_of(upload(client, exported, name="roster.csv"))
    assert "importing it changes nothing" in text(client.get(preview_url(token)))
