"""Acts a registered tablet made offline, replayed: each applied once as it happened, none
overwriting another tablet's, every conflict left for the site lead; the day's roster the
tablet keeps; a malformed or foreign batch refused whole."""

import json
import uuid
from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from attendance import services as attendance_services
from attendance.models import AttendanceRecord, AttendanceStatus
from attendance.tablet import selectors
from attendance.tablet.models import OfflineAct, Tablet
from enrollment.models import PickupPermission
from ffs_portal.lib import clock
from tests.attendance.conftest import PIN, as_tablet
from tests.factories import PickupPermissionFactory, UserFactory, enrolled_child

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mid_morning(monkeypatch):
    """The portal's clock reads 10:00 today, so that an act made "half an hour ago" is today's
    at whatever hour the tests run (the unlock it needs is recorded at the real time, today)."""
    ten = timezone.make_aware(datetime.combine(timezone.localdate(), time(10)))
    monkeypatch.setattr("ffs_portal.lib.clock.now", lambda: ten)
    return ten


@pytest.fixture
def unlocked(client, tablet, worker):
    """The tablet, unlocked online this morning by the worker (who may then act offline)."""
    as_tablet(client, tablet)
    client.post(reverse("tablet:unlock"), {"person": worker.pk, "pin": PIN})
    client.post(reverse("tablet:lock"))
    return client


@pytest.fixture
def children(term_a):
    return [enrolled_child(term_a, name=name) for name in ("王小明", "李欣怡", "张子涵")]


def act(kind, child=None, by=None, at=None, **data):
    return {
        "key": str(uuid.uuid4()),
        "kind": kind,
        "child": str(child.key) if child else None,
        "by": by.pk,
        "at": (at or clock.now()).isoformat(),
        "data": data,
    }


def send(client, acts, sent_at=None):
    body = {"sent_at": (sent_at or clock.now()).isoformat(), "acts": acts}
    return client.post(
        reverse("tablet:sync"),
        json.dumps(body),
        content_type="application/json",
        headers={"X-Tablet-Outbox": "1"},
    )


def outcomes(response):
    assert response.status_code == 200, response.content
    return [r["outcome"] for r in response.json()["results"]]


def test_acts_made_offline_are_applied_once_as_they_happened(unlocked, worker, site_a, children):
    morning = clock.now() - timedelta(minutes=30)
    acts = [act("check_in", child, worker, at=morning) for child in children]
    assert outcomes(send(unlocked, acts)) == ["applied"] * 3
    # The answer was lost; the tablet sends the same batch again.
    assert outcomes(send(unlocked, acts)) == ["applied"] * 3
    records = AttendanceRecord.objects.filter(site=site_a)
    assert records.count() == 3
    assert {r.checked_in_by for r in records} == {worker}
    assert all(abs(r.checked_in_at - morning) < timedelta(seconds=2) for r in records)
    assert OfflineAct.objects.count() == 3
    assert not OfflineAct.objects.filter(needs_review=True).exists()


def test_the_same_acts_from_another_tablet_are_refused(unlocked, worker, site_a, children):
    acts = [act("check_in", children[0], worker)]
    send(unlocked, acts)
    other = Tablet.objects.create(site=site_a, name="门口平板")
    from django.test import Client

    thief = as_tablet(Client(), other)
    assert outcomes(send(thief, acts)) == ["refused"]


def test_a_tablet_clock_that_is_wrong_is_corrected_and_shown(unlocked, worker, site_a, children):
    # The tablet's clock runs 20 minutes slow: it says 07:40 when it is 08:00.
    slow = timedelta(minutes=20)
    tapped = clock.now() - timedelta(minutes=10)
    acts = [act("check_in", children[0], worker, at=tapped - slow)]
    assert outcomes(send(unlocked, acts, sent_at=clock.now() - slow)) == ["applied"]
    record = AttendanceRecord.objects.get()
    assert abs(record.checked_in_at - tapped) < timedelta(seconds=5)
    offline = OfflineAct.objects.get()
    assert offline.needs_review and abs(offline.skew_seconds - 1200) < 5


def test_two_check_ins_the_earliest_stands(unlocked, worker, site_a, children, carer):
    child = children[0]
    attendance_services.check_in(site=site_a, child=child, by=carer)  # online, now
    earlier = clock.now() - timedelta(minutes=15)
    assert outcomes(send(unlocked, [act("check_in", child, worker, at=earlier)])) == ["done"]
    record = AttendanceRecord.objects.get(child=child)
    assert abs(record.checked_in_at - earlier) < timedelta(seconds=2)


def test_a_check_out_by_another_tablet_meanwhile_stands_and_the_later_is_a_conflict(
    unlocked, worker, site_a, children, carer
):
    child = children[0]
    parent = child.family.workers.get()
    grandma = PickupPermissionFactory(child=child, adult__name="李秀英").adult
    attendance_services.check_in(site=site_a, child=child, by=carer)
    attendance_services.check_out(site=site_a, child=child, collector=parent, by=carer)
    late = act("check_out", child, worker, collector=f"adult:{grandma.pk}")
    assert outcomes(send(unlocked, [late])) == ["conflict"]
    record = AttendanceRecord.objects.get(child=child)
    assert record.collected_by_name == parent.name
    conflict = OfflineAct.objects.get()
    assert conflict.needs_review and conflict.outcome == "conflict"


def test_a_hand_over_to_someone_struck_off_meanwhile_is_kept_flagged_and_told_at_once(
    unlocked,
    worker,
    site_a,
    children,
    carer,
    site_lead,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    child = children[0]
    uncle = PickupPermissionFactory(child=child, adult__name="赵二").adult
    attendance_services.check_in(site=site_a, child=child, by=carer)
    # HR struck the uncle off after the tablet had gone offline with its roster.
    PickupPermission.objects.filter(adult=uncle).update(allowed=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = send(unlocked, [act("check_out", child, worker, collector=f"adult:{uncle.pk}")])
    assert outcomes(response) == ["conflict"]
    record = AttendanceRecord.objects.get(child=child)
    assert record.status == AttendanceStatus.COLLECTED  # the child has gone: as it happened
    flagged = OfflineAct.objects.get()
    assert flagged.needs_review and "赵二" in flagged.message
    assert any(m.to == [site_lead.email] and child.name in m.subject for m in mail.outbox)


def test_an_act_older_than_two_days_is_refused_for_the_lead(unlocked, worker, children):
    old = clock.now() - timedelta(hours=50)
    assert outcomes(send(unlocked, [act("check_in", children[0], worker, at=old)])) == ["refused"]
    assert not AttendanceRecord.objects.exists()
    assert OfflineAct.objects.get().needs_review


def test_another_sites_child_is_refused(unlocked, worker, term_b):
    theirs = enrolled_child(term_b, name="陈欣怡")
    assert outcomes(send(unlocked, [act("check_in", theirs, worker)])) == ["refused"]
    assert not AttendanceRecord.objects.exists()


def test_someone_who_did_not_unlock_this_tablet_today_cannot_act_offline(
    client, tablet, site_a, children
):
    stranger = UserFactory(sites=[site_a])
    as_tablet(client, tablet)
    assert outcomes(send(client, [act("check_in", children[0], stranger)])) == ["refused"]
    assert not AttendanceRecord.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"acts": "no"}',
        b'{"sent_at": "2026-07-01T08:00:00", "acts": []}',
    ],
)
def test_a_malformed_batch_is_refused_whole(unlocked, body):
    response = unlocked.post(
        reverse("tablet:sync"),
        body,
        content_type="application/json",
        headers={"X-Tablet-Outbox": "1"},
    )
    assert response.status_code == 400


def test_one_bad_act_and_nothing_of_the_batch_is_applied(unlocked, worker, children):
    good = act("check_in", children[0], worker)
    bad = act("check_in", children[1], worker)
    bad["key"] = "not-a-key"
    assert send(unlocked, [good, bad]).status_code == 400
    assert not AttendanceRecord.objects.exists()


def test_only_a_registered_tablet_sends_acts(client, worker, children):
    response = send(client, [act("check_in", children[0], worker)])
    assert response.status_code == 403


def test_the_day_roster_holds_the_least_the_door_needs(unlocked, worker, children, site_a):
    child = children[0]
    child.medical_notes = "哮喘"
    child.hukou_province = "guizhou"
    child.allergies = "花生"
    child.save()
    grandma = PickupPermissionFactory(child=child, adult__name="李秀英").adult
    unlocked.post(reverse("tablet:unlock"), {"person": worker.pk, "pin": PIN})
    roster = unlocked.get(reverse("tablet:roster")).json()
    text = json.dumps(roster, ensure_ascii=False)
    assert "哮喘" not in text and "guizhou" not in text and grandma.pickup_code not in text
    [entry] = [c for c in roster["children"] if c["key"] == str(child.key)]
    assert entry["allergies"] == "花生"
    [check] = [c["code"] for c in entry["collectors"] if c["name"] == "李秀英"]
    tablet = Tablet.objects.get()
    assert check == selectors.code_check(
        selectors.day_salt(tablet, timezone.localdate()), grandma.pickup_code
    )


def test_the_service_worker_is_served_for_the_whole_portal(client):
    response = client.get(reverse("tablet:service_worker"))
    assert response.status_code == 200
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Content-Type"].startswith("application/javascript")


def test_the_lead_looks_at_the_conflicts_and_marks_them(
    unlocked, worker, site_a, children, carer, site_lead
):
    child = children[0]
    attendance_services.check_in(site=site_a, child=child, by=carer)
    attendance_services.check_out(
        site=site_a, child=child, collector=child.family.workers.get(), by=carer
    )
    send(
        unlocked,
        [act("check_out", child, worker, collector=f"worker:{child.family.workers.get().pk}")],
    )
    from django.test import Client

    lead = Client()
    lead.force_login(site_lead)
    page = lead.get(reverse("tablet:offline_review", kwargs={"site": site_a.pk}))
    assert child.name in page.content.decode()
    conflict = OfflineAct.objects.get()
    lead.post(
        reverse("tablet:offline_review", kwargs={"site": site_a.pk}), {"act": str(conflict.key)}
    )
    conflict.refresh_from_db()
    assert conflict.reviewed_by == site_lead


def test_a_replayed_check_in_costs_the_same_queries_whatever_the_batch(unlocked, worker, term_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost(count: int) -> int:
        batch = [act("check_in", enrolled_child(term_a), worker) for _ in range(count)]
        with CaptureQueriesContext(connection) as captured:
            assert outcomes(send(unlocked, batch)) == ["applied"] * count
        return len(captured)

    five, ten = cost(5), cost(10)
    per_act = (ten - five) / 5
    # The act, the worker and their unlock, the child, the check-in with its audit entry, the
    # board's change log's row and the family's choice of the "arrived" message.
    assert per_act == int(per_act) and per_act <= 17, (five, ten)
    assert ten - 10 * per_act == five - 5 * per_act
