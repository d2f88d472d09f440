"""Exports of lists with children ask for a reason and log a read of each child; aggregate
exports do not ask."""

import pytest
from django.urls import reverse

from ffs_portal.models import AuditEntry
from tests.factories import enrolled_child

pytestmark = pytest.mark.django_db

EXPORT = reverse("enrollment:roster_export")


def test_the_roster_export_asks_for_a_reason_and_keeps_it(client, hr, term_a):
    children = [enrolled_child(term_a), enrolled_child(term_a)]
    client.force_login(hr)
    asked = client.get(EXPORT + "?format=xlsx")
    assert asked.status_code == 200 and "Content-Disposition" not in asked
    assert "为什么需要这个文件" in asked.content.decode()
    blank = client.get(EXPORT + "?format=xlsx&reason=++&export=1")
    assert "Content-Disposition" not in blank and "这个字段是必填项" in blank.content.decode()
    assert not AuditEntry.objects.filter(action__in=["roster.exported", "child.exported"])

    file = client.get(EXPORT + "?format=xlsx&reason=与车间核对名单&export=1")
    assert file["Content-Disposition"].startswith("attachment")
    export = AuditEntry.objects.get(action="roster.exported")
    assert export.details["reason"] == "与车间核对名单"
    reads = AuditEntry.objects.filter(action="child.exported", details__page="roster_export")
    assert {entry.child for entry in reads} == set(children)


def test_a_dashboard_table_without_children_downloads_without_a_reason(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("outcomes:export") + "?table=all&format=xlsx")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert not AuditEntry.objects.filter(action="child.exported").exists()
