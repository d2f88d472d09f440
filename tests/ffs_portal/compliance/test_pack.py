"""The annual compliance pack: from the coordinators' page and from the command, an Excel
file whose sheets hold the year's counts for the factories in scope."""

import io
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from ffs_portal.compliance.models import DataIncident
from ffs_portal.models import AuditEntry
from tests.factories import ChildFactory, enrolled_child

pytestmark = pytest.mark.django_db

# The year of the terms the fixtures make (they start ten days ago).
YEAR = (timezone.localdate() - timedelta(days=10)).year


@pytest.fixture
def year_of_records(term_a, term_b, hr, carer, outsiders):
    """In factory A: three children (one without consent), reads by HR and a carer, an
    export, two anonymisations, a refused attempt by factory B's HR, a data incident; in
    factory B a child, a read and an incident the pack of A must not count."""
    in_year = timezone.make_aware(datetime(YEAR, 7, 10, 9))
    a, b = term_a.site.factory, term_b.site.factory
    first, second = enrolled_child(term_a), enrolled_child(term_a)
    second.consents.update(covers_photos=False)
    ChildFactory(family=first.family)  # no consent
    other = enrolled_child(term_b)

    def entry(action, actor, factory, child=None, **details):
        AuditEntry.objects.create(
            at=in_year, action=action, actor=actor, factory=factory, child=child,
            family=child.family if child else None, details=details,
        )  # fmt: skip

    entry("child.viewed", hr, a, first, page="family")
    entry("child.viewed", hr, a, second, page="family")
    entry("child.viewed", carer, a, first, page="tablet_sheet")
    entry("child.viewed", outsiders["hr"], b, other, page="family")
    entry("roster.exported", hr, a, format="xlsx", rows=3, reason="核对名单")
    entry("child.anonymised", None, a)
    entry("child.anonymised", None, a)
    entry("access.refused", outsiders["hr"], a, model="enrollment.Family", page="x")
    entry("child.viewed", hr, a, first, page="family")  # a read of the next year, moved below
    AuditEntry.objects.filter(pk=AuditEntry.objects.latest("pk").pk).update(
        at=in_year.replace(year=YEAR + 1)
    )
    DataIncident.objects.create(
        factory=a, found_on=in_year.date(), summary="平板丢失", data_exposed="照片"
    )
    DataIncident.objects.create(
        factory=b, found_on=in_year.date(), summary="B厂事件", data_exposed="姓名"
    )
    return a


def rows(book, title):
    return [list(row) for row in book[title].iter_rows(min_row=2, values_only=True)]


def test_the_coordinators_pack_counts_the_year_for_their_factories(
    client, coordinator, year_of_records
):
    client.force_login(coordinator)
    page = client.get(reverse("compliance:pack") + f"?year={YEAR}")
    assert page.status_code == 200 and str(YEAR) in page.content.decode()
    response = client.get(reverse("compliance:pack") + f"?year={YEAR}&format=xlsx")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "摘要", "持有的记录", "同意书覆盖率", "按角色的查看", "按页面的查看", "导出",
        "匿名化", "被拒绝的访问", "数据安全事件",
    ]  # fmt: skip
    name = year_of_records.name
    assert rows(book, "持有的记录")[0][:6] == [name, 2, 2, 0, 3, 2]
    consent = rows(book, "同意书覆盖率")[0]
    assert consent[:8] == [name, 3, 2, 0.6667, 2, 1, 2, 0]
    assert sorted(rows(book, "按角色的查看")) == [["工厂人事", 2, 1, 2], ["托管老师", 1, 1, 1]]
    assert [r[6] for r in rows(book, "导出")] == ["核对名单"]
    assert rows(book, "匿名化") == [[name, 2], ["合计", 2]]
    assert [r[3] for r in rows(book, "被拒绝的访问")] == [name]
    assert [r[2] for r in rows(book, "数据安全事件")] == ["平板丢失"]
    assert AuditEntry.objects.filter(action="compliance.pack_made", actor=coordinator).exists()


def test_the_command_writes_the_whole_programs_pack(tmp_path, year_of_records):
    target = tmp_path / "pack.xlsx"
    out = io.StringIO()
    call_command("compliance_pack", str(YEAR), "-o", str(target), stdout=out)
    book = load_workbook(target)
    assert len(rows(book, "持有的记录")) == 3, "both factories and the total"
    assert {r[2] for r in rows(book, "数据安全事件")} == {"平板丢失", "B厂事件"}
    assert "2 data incidents" in out.getvalue()


def test_only_coordinators_reach_the_pack(client, hr, site_lead):
    for user in (hr, site_lead):
        client.force_login(user)
        assert client.get(reverse("compliance:pack")).status_code == 403
