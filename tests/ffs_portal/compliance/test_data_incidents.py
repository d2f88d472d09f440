"""Data incidents (PIPL Art. 57): coordinators record, list and correct them, audited; other
roles and other factories' coordinators cannot reach them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ffs_portal.compliance.models import DataIncident
from ffs_portal.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW = reverse("compliance:incident_create")
LIST = reverse("compliance:incident_list")


def form(factory, **changes):
    today = timezone.localdate()
    return {
        "factory": factory.pk,
        "found_on": (today - timedelta(days=3)).isoformat(),
        "summary": "儿童名单误发到工人微信群",
        "data_exposed": "32名儿童的姓名和年龄，家长手机号",
        "children_affected": "32",
        "families_affected": "27",
        "authority": "东莞市网信办",
        "authority_told_on": (today - timedelta(days=2)).isoformat(),
        "families_told_on": "",
        "families_told_how": "",
        "actions_taken": "群主撤回消息，要求成员删除",
        "closed_on": "",
        **changes,
    }


def test_a_coordinator_records_lists_and_corrects_an_incident(client, coordinator, factory_a):
    client.force_login(coordinator)
    assert client.post(NEW, form(factory_a)).status_code == 302
    incident = DataIncident.objects.get()
    assert (incident.children_affected, incident.recorded_by) == (32, coordinator)
    listed = client.get(LIST).content.decode()
    assert "儿童名单误发到工人微信群" in listed and "尚未告知家庭" in listed

    edit = reverse("compliance:incident_edit", kwargs={"data_incident": incident.key})
    today = timezone.localdate().isoformat()
    changed = form(factory_a, families_told_on=today, families_told_how="HR逐一电话告知")
    assert client.post(edit, changed).status_code == 302
    incident.refresh_from_db()
    assert incident.families_told_how == "HR逐一电话告知"
    entries = AuditEntry.objects.filter(action__startswith="data_incident.").order_by("pk")
    assert [e.action for e in entries] == ["data_incident.recorded", "data_incident.changed"]
    assert entries[1].details["fields"] == ["families_told_on", "families_told_how"]
    assert entries[1].factory == factory_a


def test_telling_the_authority_before_the_incident_was_found_is_refused(
    client, coordinator, factory_a
):
    client.force_login(coordinator)
    today = timezone.localdate()
    early = form(factory_a, authority_told_on=(today - timedelta(days=10)).isoformat())
    page = client.post(NEW, early)
    assert page.status_code == 200 and "不能早于发现事件的日期" in page.content.decode()
    assert not DataIncident.objects.exists()


def test_other_roles_and_other_factories_cannot_reach_incidents(
    client, coordinator, hr, site_lead, factory_a, outsiders
):
    incident = DataIncident.objects.create(
        factory=factory_a, found_on=timezone.localdate(), summary="平板丢失", data_exposed="照片"
    )
    edit = reverse("compliance:incident_edit", kwargs={"data_incident": incident.key})
    for user in (hr, site_lead):
        client.force_login(user)
        assert client.get(LIST).status_code == 403
    client.force_login(outsiders["coordinator"])
    assert client.get(edit).status_code == 404
    assert "平板丢失" not in client.get(LIST).content.decode()
