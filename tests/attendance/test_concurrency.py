"""Real concurrent requests, each on its own database connection: two (or eight) tablets
acting on the same child at the same moment produce exactly one act, and every tablet sees
the outcome."""

import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from attendance import services
from attendance.models import AttendanceRecord, AttendanceStatus
from ffs_portal.models import AuditEntry, Role
from tests.factories import UserFactory, enrolled_child

pytestmark = pytest.mark.django_db(transaction=True)

TABLETS = 8


def at_once(requests):
    """Send each request from its own thread and connection, released together."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)
    errors = []

    def run(index, request):
        try:
            barrier.wait(timeout=10)
            results[index] = request()
        except Exception as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.fixture
def tablets(site_a):
    """A signed-in client per tablet, each for a different childcare worker of the site."""
    clients = []
    for n in range(TABLETS):
        client = Client()
        client.force_login(UserFactory(username=f"tablet{n}", role=Role.CHILDCARE, sites=[site_a]))
        clients.append(client)
    return clients


@pytest.fixture
def child(term_a):
    return enrolled_child(term_a, name="王小明")


def check_in_url(site, child):
    return reverse("attendance:check_in", kwargs={"site": site.pk, "child": child.key})


def test_tablets_checking_in_the_same_child_at_once_make_one_check_in(site_a, child, tablets):
    url = check_in_url(site_a, child)
    responses = at_once([lambda c=c: c.post(url, {"idem": str(uuid.uuid4())}) for c in tablets])
    assert [r.status_code for r in responses] == [200] * TABLETS
    # Every tablet shows the child present, whichever of them was first.
    assert all("st-present" in r.content.decode() for r in responses)
    record = AttendanceRecord.objects.get()
    assert record.status == AttendanceStatus.PRESENT
    assert AuditEntry.objects.filter(action="attendance.checked_in").count() == 1


def test_a_retried_request_with_the_same_key_at_the_same_time_is_done_once(site_a, child, tablets):
    url = check_in_url(site_a, child)
    key = str(uuid.uuid4())
    client = tablets[0]
    responses = at_once([lambda: client.post(url, {"idem": key}) for _ in range(2)])
    assert [r.status_code for r in responses] == [200, 200]
    assert AuditEntry.objects.filter(action="attendance.checked_in").count() == 1


def test_tablets_handing_the_same_child_over_at_once_check_out_once(site_a, child, tablets, carer):
    services.check_in(site=site_a, child=child, by=carer)
    parent = child.family.workers.get()
    url = reverse("attendance:check_out", kwargs={"site": site_a.pk, "child": child.key})
    responses = at_once(
        [
            lambda c=c: c.post(url, {"idem": str(uuid.uuid4()), "collector": f"worker:{parent.pk}"})
            for c in tablets[:4]
        ]
    )
    assert [r.status_code for r in responses] == [200] * 4
    assert all("st-collected" in r.content.decode() for r in responses)
    assert AttendanceRecord.objects.get().status == AttendanceStatus.COLLECTED
    assert AuditEntry.objects.filter(action="attendance.checked_out").count() == 1


def test_overlapping_groups_checked_in_at_once_never_deadlock(site_a, term_a, tablets):
    children = [enrolled_child(term_a) for _ in range(6)]
    url = reverse("attendance:check_in_many", kwargs={"site": site_a.pk})
    groups = [children[:4], children[2:], list(reversed(children))]
    responses = at_once(
        [
            lambda c=c, g=g: c.post(
                url, {"idem": str(uuid.uuid4()), "child": [str(x.key) for x in g]}
            )
            for c, g in zip(tablets, groups, strict=False)
        ]
    )
    assert [r.status_code for r in responses] == [200] * 3
    assert AttendanceRecord.objects.filter(status=AttendanceStatus.PRESENT).count() == 6
    assert AuditEntry.objects.filter(action="attendance.checked_in").count() == 6
