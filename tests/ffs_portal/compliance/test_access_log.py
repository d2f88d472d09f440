"""Reads of a child's record: each page logs one INSERT naming itself; HR and the site lead
see who looked, childcare workers do not; another factory's 404s are logged as refusals."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance.models import Incident, RefusedPickup
from ffs_portal.models import AuditEntry
from ffs_portal.notices.models import Notice
from tests.factories import ChildFactory, enrolled_child

pytestmark = pytest.mark.django_db


def inserts_into_audit(queries) -> int:
    return sum(1 for q in queries if q["sql"].startswith('INSERT INTO "ffs_portal_auditentry"'))


@pytest.fixture
def child(term_a):
    return enrolled_child(term_a, name="王小明")


def test_each_page_showing_a_child_logs_its_read_in_one_insert(
    client, child, hr, carer, site_lead, site_a, term_a
):
    sibling = ChildFactory(family=child.family, name="王小红")
    now = timezone.now()
    Incident.objects.create(
        site=site_a, child=child, kind="injury", occurred_at=now, description="擦伤",
        action_taken="贴创可贴",
    )  # fmt: skip
    RefusedPickup.objects.create(
        site=site_a, child=child, day=timezone.localdate(), at=now, name="张三",
        reason="not_listed",
    )  # fmt: skip
    Notice.objects.create(
        event="collected:1", kind="collected", family=child.family, child=child, site=site_a,
        mobile="13800000001", channel="file", body="【FFS】王小明已被接走",
    )  # fmt: skip
    site, key = site_a.pk, child.key
    visits = [
        (hr, reverse("enrollment:family_detail", kwargs={"family": child.family.key}), "family"),
        (hr, reverse("enrollment:child_edit", kwargs={"child": key}), "child_form"),
        (hr, reverse("enrollment:family_cards", kwargs={"family": child.family.key}), "cards"),
        (hr, reverse("enrollment:term_detail", kwargs={"term": term_a.pk}), "term_roster"),
        (carer, reverse("attendance:child_sheet", kwargs={"site": site, "child": key}),
         "tablet_sheet"),
        (carer, reverse("attendance:child_calendar", kwargs={"site": site, "child": key}),
         "calendar"),
        (carer, reverse("health:child_medicines", kwargs={"site": site, "child": key}),
         "medicines"),
        (carer, reverse("attendance:day_sheet", kwargs={"site": site}), "day_sheet"),
        (carer, reverse("attendance:incident_list", kwargs={"site": site}), "incident_list"),
        (site_lead, reverse("attendance:refused_list", kwargs={"site": site}), "refused_list"),
        (site_lead, reverse("notices:site_messages", kwargs={"site": site}), "site_messages"),
        (hr, reverse("enrollment:roster_export") + "?format=csv&reason=核对名单", "roster_export"),
    ]  # fmt: skip
    for user, url, page in visits:
        client.force_login(user)
        AuditEntry.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        assert inserts_into_audit(queries) == 1, f"{page}: one INSERT per page view"
        read = AuditEntry.objects.get(child=child, details__page=page)
        assert read.actor == user and read.factory == child.family.factory
    # The family page lists both children: a read of each, in that one INSERT.
    client.force_login(hr)
    client.get(reverse("enrollment:family_detail", kwargs={"family": child.family.key}))
    assert AuditEntry.objects.filter(child=sibling, details__page="family").exists()


def test_hr_and_the_lead_see_who_looked_and_childcare_workers_do_not(
    client, child, hr, carer, site_lead, site_a
):
    carer.first_name, carer.last_name = "秀兰", "赵"
    carer.save()
    client.force_login(carer)
    client.get(reverse("attendance:child_sheet", kwargs={"site": site_a.pk, "child": child.key}))
    calendar = reverse("attendance:child_calendar", kwargs={"site": site_a.pk, "child": child.key})
    assert "看过王小明" not in client.get(calendar).content.decode()

    client.force_login(hr)
    page = client.get(reverse("enrollment:family_detail", kwargs={"family": child.family.key}))
    text = page.content.decode()
    assert "谁看过王小明" in text and "赵秀兰" in text and "平板：儿童详情" in text

    client.force_login(site_lead)
    text = client.get(calendar).content.decode()
    assert "谁看过王小明" in text and "赵秀兰" in text and "家庭页面" in text


def test_another_factorys_child_is_a_404_logged_as_a_refused_attempt(client, child, outsiders):
    url = reverse("enrollment:family_detail", kwargs={"family": child.family.key})
    intruder = outsiders["hr"]
    client.force_login(intruder)
    assert client.get(url).status_code == 404
    refused = AuditEntry.objects.get(action="access.refused")
    assert (refused.actor, refused.factory) == (intruder, child.family.factory)
    assert refused.details == {"model": "enrollment.Family", "page": "enrollment:family_detail"}
    assert refused.child is None, "the entry names the factory, not the child"
    # A key that names nothing is no attempt on anyone's data.
    missing = reverse("enrollment:family_detail", kwargs={"family": ChildFactory.build().key})
    assert client.get(missing).status_code == 404
    assert AuditEntry.objects.filter(action="access.refused").count() == 1
