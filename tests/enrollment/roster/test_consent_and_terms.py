"""The roster's optional consent and term columns, the choice to import the good rows with
the rejected ones to download, and rows of registered workers that leave name and mobile
empty."""

import io
import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from enrollment.models import CONSENT_TEXT_VERSION, Child, Consent, Enrollment, Worker
from enrollment.roster import services
from enrollment.roster.planning import build_plan
from enrollment.roster.reading import read_roster
from tests import rosters
from tests.factories import (
    ChildFactory,
    ConsentFactory,
    FamilyFactory,
    SiteFactory,
    TermFactory,
    WorkerFactory,
)

pytestmark = pytest.mark.django_db

EXTRA = ["同意书签署日期/Consent signed on", "同意书版本/Consent version",
         "签署人/Consent signed by", "签署人关系/Signer relation", "站点/Site", "学期/Term"]  # fmt: skip
HEADER = [*rosters.HEADER, *EXTRA]
SIGNED = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def line(consent=("", "", "", ""), site="", term="", **family):
    return [*rosters.row(**family), *consent, site, term]


def plan_for(factory, rows):
    return build_plan(factory=factory, sheet=read_roster(rosters.xlsx(rows, header=HEADER)))


def problems(plan):
    return {(p.row, p.column): p.message for p in plan.problems}


def test_a_row_records_the_consent_and_enrols_the_child(factory_a, term_a, hr):
    rows = [
        line(consent=(SIGNED, "", "", "母亲"), term=term_a.name, child="李小明"),
        line(consent=(SIGNED, "2025-2", "王秀英", "外婆"), term=term_a.name, child="李小红",
             born=date(2020, 3, 8), sex="女"),
    ]  # fmt: skip
    plan = plan_for(factory_a, rows)
    assert plan.ok, problems(plan)
    assert plan.counts()["consents"]["create"] == 2
    assert plan.counts()["enrolments"]["create"] == 2
    services.roster_import(factory=factory_a, sheet=plan.sheet, by=hr)

    first = Consent.objects.get(child__name="李小明")
    assert (first.given_by, first.given_by_relation, first.text_version, first.given_on) == (
        "王芳", "mother", CONSENT_TEXT_VERSION, SIGNED
    )  # fmt: skip
    second = Consent.objects.get(child__name="李小红")
    assert (second.given_by, second.given_by_relation, second.text_version) == (
        "王秀英", "grandmother", "2025-2"
    )  # fmt: skip
    assert set(Enrollment.objects.values_list("child__name", "term", "status")) == {
        ("李小明", term_a.pk, "enrolled"),
        ("李小红", term_a.pk, "enrolled"),
    }
    again = plan_for(factory_a, rows)
    assert not again.changes_anything, "importing the same file again changes nothing"


def test_a_full_term_puts_the_imported_children_on_its_waitlist_in_order(factory_a, hr):
    term = TermFactory(site=SiteFactory(factory=factory_a, capacity=1), name="2026年暑期")
    rows = [
        line(consent=(SIGNED, "", "", "母亲"), term="2026年暑期", child=name, born=born)
        for name, born in (("李小明", date(2018, 5, 1)), ("李小红", date(2019, 5, 1)))
    ]
    services.roster_import(
        factory=factory_a, sheet=read_roster(rosters.xlsx(rows, header=HEADER)), by=hr
    )
    assert list(term.enrollments.order_by("applied_at", "id").values_list("status", flat=True)) == [
        "enrolled",
        "waitlisted",
    ]


def test_a_term_needs_consent_a_known_name_and_the_right_age(factory_a, term_a):
    rows = [
        line(term=term_a.name, child="李小明"),
        line(consent=(SIGNED, "", "", "母亲"), term="明年暑期", child="李小红"),
        line(consent=(SIGNED, "", "", "母亲"), term=term_a.name, child="李大宝",
             born=date(timezone.localdate().year - 16, 1, 1)),
        line(consent=(SIGNED, "", "", ""), child="李二宝", born=date(2019, 1, 1)),
        line(consent=(date(2099, 1, 1), "", "", "母亲"), child="李三宝", born=date(2019, 2, 1)),
    ]  # fmt: skip
    said = problems(plan_for(factory_a, rows))
    assert "还没有监护人同意书" in said[(2, "term")]
    assert "本厂没有“明年暑期”学期" in said[(3, "term")] and term_a.name in said[(3, "term")]
    assert "岁" in said[(4, "term")]
    assert said[(5, "consent_relation")] == "请填写签署人关系。"
    assert "不能晚于今天" in said[(6, "consent_date")]


def test_two_sites_with_a_term_of_one_name_need_the_site(factory_a, term_a):
    other = TermFactory(site=SiteFactory(factory=factory_a, name="星河二号"), name=term_a.name)
    consent = (SIGNED, "", "", "母亲")
    said = problems(plan_for(factory_a, [line(consent=consent, term=term_a.name)]))
    assert "站点" in said[(2, "term")]
    plan = plan_for(factory_a, [line(consent=consent, site="星河二号", term=term_a.name)])
    assert plan.ok, problems(plan)
    assert list(plan.families[0].children.values())[0].terms == {other.pk: other}


def test_a_consent_on_file_is_kept_and_said(factory_a, hr):
    family = FamilyFactory(factory=factory_a)
    WorkerFactory(family=family, employee_no="A001", name="王芳", mobile="13800000001")
    child = ChildFactory(family=family, name="李小明", date_of_birth=date(2018, 5, 1))
    ConsentFactory(child=child, given_on=date(2026, 5, 1))
    plan = plan_for(factory_a, [line(consent=(SIGNED, "", "", "母亲"))])
    assert plan.ok and plan.counts()["consents"]["create"] == 0
    assert "已有同意书" in plan.rows[0].notes[0]


def test_a_registered_worker_may_leave_name_and_mobile_empty(factory_a, hr):
    family = FamilyFactory(factory=factory_a)
    WorkerFactory(family=family, employee_no="A001", name="王芳", mobile="13800000001")
    plan = plan_for(factory_a, [line(worker="", mobile="", employee_no="a001")])
    assert plan.ok, problems(plan)
    services.roster_import(factory=factory_a, sheet=plan.sheet, by=hr)
    worker = Worker.objects.get()
    assert (worker.name, worker.mobile) == ("王芳", "13800000001")
    assert Child.objects.get().family == family
    said = problems(plan_for(factory_a, [line(worker="", mobile="", employee_no="B002")]))
    assert said[(2, "worker_name")] == "请填写员工姓名：工号 B002 尚未登记。"
    assert said[(2, "mobile")] == "请填写手机：工号 B002 尚未登记。"


def test_importing_the_good_rows_leaves_the_rest_to_correct(factory_a, term_a, hr):
    rows = [
        line(consent=(SIGNED, "", "", "母亲"), term=term_a.name, child="李小明"),
        line(employee_no="B002", worker="张伟", mobile="1380000", child="张一诺"),
        line(employee_no="C003", worker="陈浩", mobile="13700000003", child="陈小", term="无此学期",
             consent=(SIGNED, "", "", "父亲")),
    ]  # fmt: skip
    sheet = read_roster(rosters.xlsx(rows, header=HEADER))
    with pytest.raises(services.RosterHasProblems):
        services.roster_import(factory=factory_a, sheet=sheet, by=hr)
    assert not Child.objects.exists(), "all or nothing unless the good rows are chosen"

    plan = services.roster_import(factory=factory_a, sheet=sheet, by=hr, good_rows_only=True)
    assert [row.number for row in plan.problem_rows] == [3, 4]
    assert list(Child.objects.values_list("name", flat=True)) == ["李小明"]
    assert Enrollment.objects.get().child.name == "李小明"
    assert not Worker.objects.filter(employee_no__in=["B002", "C003"]).exists(), (
        "nothing of a rejected row is written, not even its worker"
    )


def test_the_preview_offers_the_good_rows_and_the_rejected_rows_as_excel(client, hr, term_a):
    rows = [
        line(child="李小明"),
        line(employee_no="B002", worker="张伟", mobile="138000000012", child="张一诺"),
    ]
    client.force_login(hr)
    response = client.post(
        reverse("enrollment:roster_import"),
        {"file": SimpleUploadedFile("名单.xlsx", rosters.xlsx(rows, header=HEADER))},
    )
    token = re.search(r"/import/([\w-]{32})/$", response["Location"]).group(1)
    preview = client.get(response["Location"]).content.decode()
    assert 'value="good_rows"' in preview and "导入 1 行没有问题的数据" in preview
    assert "多了一位" in preview

    rejected = client.get(reverse("enrollment:roster_import_rejected", kwargs={"upload": token}))
    sheet = load_workbook(io.BytesIO(rejected.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][-1] == "问题/Problems"
    assert values[1][:2] == ["B002", "张伟"] and values[1][3] == "138000000012"
    assert "多了一位" in values[1][-1]
    assert read_roster(rejected.content).rows[0].cells["mobile"] == "138000000012", (
        "the file of rejected rows is a roster the import reads again"
    )

    done = client.post(
        reverse("enrollment:roster_import_confirm", kwargs={"upload": token}),
        {"action": "good_rows"},
    )
    assert done["Location"] == response["Location"], "back to the rows still to correct"
    assert list(Child.objects.values_list("name", flat=True)) == ["李小明"]
    again = client.get(done["Location"]).content.decode()
    assert 'value="good_rows"' not in again, "the good rows are in: nothing more to import"
