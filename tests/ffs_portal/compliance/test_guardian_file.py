"""The guardian's file: every record the child has, in one workbook, logged; and a
correction of the child's record audited with the names of the fields, never their values."""

import io
from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from attendance.health.models import HealthCheck, MedicineAuthorisation, MedicineDose
from attendance.models import AttendanceRecord, Incident, RefusedPickup
from ffs_portal.models import AuditEntry
from ffs_portal.notices.models import Notice
from tests.factories import (
    AdultFactory,
    PickupPermissionFactory,
    UserFactory,
    enrolled_child,
    tiny_jpeg,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(term_a, site_a, carer):
    """A child with one record of every kind, each with a text to find in the file."""
    child = enrolled_child(term_a, name="王小明", allergies="花生")
    child.photo.save("child.jpg", tiny_jpeg())
    day = term_a.starts_on
    at = timezone.make_aware(timezone.datetime.combine(day, time(8, 5)))
    grandma = AdultFactory(family=child.family, name="李秀英")
    PickupPermissionFactory(child=child, adult=grandma, note="只在周六接")
    AttendanceRecord.objects.create(
        site=site_a, child=child, day=day, status="collected", checked_in_at=at,
        dropped_off_by_name="王建国", checked_out_at=at + timedelta(hours=9),
        collected_by_name="李秀英",
    )  # fmt: skip
    RefusedPickup.objects.create(
        site=site_a, child=child, day=day, at=at, name="张陌生", reason="not_listed"
    )
    Incident.objects.create(
        site=site_a, child=child, kind="injury", occurred_at=at,
        description="滑梯上擦伤膝盖", action_taken="清洗并贴创可贴",
    )  # fmt: skip
    HealthCheck.objects.create(
        site=site_a, child=child, day=day, kind="arrival", at=at, card="yellow",
        note="有点咳嗽",
    )  # fmt: skip
    medicine = MedicineAuthorisation.objects.create(
        site=site_a, child=child, medicine="止咳糖浆", dose="5 ml", times=["12:00"],
        valid_from=day, valid_to=day, signed_by="王建国",
    )  # fmt: skip
    MedicineDose.objects.create(
        authorisation=medicine, site=site_a, given_at=at + timedelta(hours=4), due="12:00",
        given_by=carer, witness=UserFactory(sites=[site_a]),
    )  # fmt: skip
    Notice.objects.create(
        event="collected:1", kind="collected", family=child.family, child=child,
        mobile="13800000001", channel="file", body="【FFS】王小明已被奶奶接走",
    )  # fmt: skip
    AuditEntry.objects.create(
        actor=carer, action="child.viewed", child=child, family=child.family,
        factory=child.family.factory, details={"page": "tablet_sheet"},
    )  # fmt: skip
    return child


def test_the_guardians_file_holds_every_record_the_child_has(client, hr, child, carer):
    client.force_login(hr)
    url = reverse("compliance:guardian_file", kwargs={"child": child.key})
    response = client.post(url)
    assert response.status_code == 200 and "王小明" not in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))

    def cells(title: str) -> list[str]:
        return [str(v) for row in book[title].iter_rows(values_only=True) for v in row if v]

    expected = {
        "孩子": ["王小明", "花生"],
        "家庭": [child.family.workers.get().name, "李秀英"],
        "同意书": ["王建华"],
        "报名": ["2026年暑期"],
        "考勤": ["王建国", "李秀英"],
        "谁可以接送": ["只在周六接"],
        "拒绝接走": ["张陌生"],
        "事件": ["滑梯上擦伤膝盖", "清洗并贴创可贴"],
        "健康检查": ["有点咳嗽"],
        "喂药": ["止咳糖浆"],
        "已给药": ["止咳糖浆", carer.get_full_name()],
        "消息": ["【FFS】王小明已被奶奶接走"],
        "查看记录": ["平板：儿童详情", "为监护人制作档案"],
    }
    for title, texts in expected.items():
        found = " ".join(cells(title))
        for text in texts:
            assert text in found, f"{text} not on the sheet {title}"
    assert len(book["照片"]._images) == 1, "the photo is in the file"
    assert AuditEntry.objects.filter(action="child.file_given", actor=hr, child=child).exists()


def test_the_file_is_for_the_childs_own_factorys_hr(client, child, carer, outsiders):
    url = reverse("compliance:guardian_file", kwargs={"child": child.key})
    client.force_login(carer)
    assert client.post(url).status_code == 403
    client.force_login(outsiders["hr"])
    assert client.post(url).status_code == 404


def test_a_correction_is_audited_with_field_names_not_values(client, hr, child):
    client.force_login(hr)
    url = reverse("enrollment:child_edit", kwargs={"child": child.key})
    form = client.get(url).context["form"]
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields and name != "photo"
    }
    data.update(name="王小鸣", medical_notes="哮喘，随身带喷雾")
    assert client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get(action="child.changed", child=child)
    assert sorted(entry.details["fields"]) == ["medical_notes", "name"]
    assert "王小鸣" not in str(entry.details) and "哮喘" not in str(entry.details)
