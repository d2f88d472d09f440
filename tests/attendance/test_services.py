"""The board's services: the state machine, refusals, late pickups, the undo window,
idempotency and audit entries."""

import uuid
from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from attendance import services
from attendance.models import (
    AttendanceRecord,
    AttendanceStatus,
    Incident,
    RefusalReason,
    RefusedPickup,
)
from enrollment.models import ClosedDay, OpeningHours
from ffs_portal.models import AuditEntry
from tests.factories import (
    AdultFactory,
    PickupPermissionFactory,
    SiteFactory,
    TermFactory,
    enrolled_child,
)

pytestmark = pytest.mark.django_db


def at(hour, minute=0, days=0):
    """An aware moment today (Asia/Shanghai) at hour:minute."""
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture(autouse=True)
def evening(monkeypatch):
    """The board's clock reads 20:00 today, after every act these tests make; messages are
    matched in English."""
    monkeypatch.setattr("ffs_portal.lib.clock.now", lambda: at(20))
    with translation.override("en"):
        yield


@pytest.fixture
def child(term_a):
    return enrolled_child(term_a, name="王小明")


@pytest.fixture
def parent(child):
    return child.family.workers.get()


@pytest.fixture
def grandma(child):
    return PickupPermissionFactory(child=child, adult__name="李秀英").adult


def checked_in(site, child, carer, moment=None):
    return services.check_in(site=site, child=child, by=carer, at=moment or at(8)).record


def test_it_checks_a_child_in_with_time_worker_and_audit_entry(site_a, child, carer, parent):
    outcome = services.check_in(
        site=site_a, child=child, by=carer, at=at(7, 40), dropped_off_by=parent
    )
    record = AttendanceRecord.objects.get()
    assert outcome.changed and outcome.record == record
    assert record.status == AttendanceStatus.PRESENT
    assert record.checked_in_at == at(7, 40)
    assert record.checked_in_by == carer
    assert record.dropped_off_by_worker == parent
    assert record.dropped_off_by_name == parent.name
    entry = AuditEntry.objects.get(action="attendance.checked_in")
    assert (entry.actor, entry.child, entry.factory) == (carer, child, site_a.factory)


def test_a_second_check_in_changes_nothing(site_a, child, carer):
    services.check_in(site=site_a, child=child, by=carer, at=at(8))
    again = services.check_in(site=site_a, child=child, by=carer, at=at(8, 1))
    assert not again.changed
    assert again.record.checked_in_at == at(8)
    assert AuditEntry.objects.filter(action="attendance.checked_in").count() == 1


def test_a_repeated_action_key_is_done_once_even_after_an_undo(site_a, child, carer):
    key = uuid.uuid4()
    services.check_in(site=site_a, child=child, by=carer, key=key, at=at(8))
    services.undo_check_in(
        site=site_a, children=[child], by=carer, at=at(8, 0) + timedelta(seconds=3)
    )
    retried = services.check_in(site=site_a, child=child, by=carer, key=key, at=at(8, 0))
    assert not retried.changed
    assert AttendanceRecord.objects.get().status == AttendanceStatus.EXPECTED


def test_a_child_not_enrolled_here_today_cannot_be_checked_in(site_a, carer, term_b):
    stranger = enrolled_child(term_b)
    with pytest.raises(ValidationError, match="not expected"):
        services.check_in(site=site_a, child=stranger, by=carer, at=at(8))
    assert not AttendanceRecord.objects.exists()


def test_a_closed_day_or_a_closed_weekday_has_no_check_in(site_a, term_a, child, carer):
    ClosedDay.objects.create(term=term_a, date=timezone.localdate(), reason="台风")
    with pytest.raises(ValidationError):
        services.check_in(site=site_a, child=child, by=carer, at=at(8))
    ClosedDay.objects.all().delete()
    OpeningHours.objects.filter(site=site_a, weekday=timezone.localdate().weekday()).delete()
    with pytest.raises(ValidationError):
        services.check_in(site=site_a, child=child, by=carer, at=at(8))


def test_the_undo_works_for_a_few_seconds_only(site_a, child, carer):
    checked_in(site_a, child, carer, at(8))
    with pytest.raises(ValidationError, match="too late"):
        services.undo_check_in(
            site=site_a,
            children=[child],
            by=carer,
            at=at(8) + timedelta(seconds=services.UNDO_SECONDS + 1),
        )
    assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT
    (outcome,) = services.undo_check_in(
        site=site_a, children=[child], by=carer, at=at(8) + timedelta(seconds=4)
    )
    record = AttendanceRecord.objects.get()
    assert outcome.changed and record.status == AttendanceStatus.EXPECTED
    assert record.checked_in_at is None
    assert AuditEntry.objects.filter(action="attendance.check_in_undone").count() == 1


def test_a_site_lead_may_undo_a_check_in_later_that_day(site_a, child, carer, site_lead):
    checked_in(site_a, child, carer, at(8))
    services.undo_check_in(site=site_a, children=[child], by=site_lead, at=at(9))
    assert AttendanceRecord.objects.get().status == AttendanceStatus.EXPECTED


def test_check_in_many_checks_in_a_group_and_reports_who_could_not_be(
    site_a, term_a, term_b, carer
):
    group = [enrolled_child(term_a) for _ in range(3)]
    stranger = enrolled_child(term_b)
    outcomes = services.check_in_many(site=site_a, children=[*group, stranger], by=carer, at=at(8))
    assert sum(o.changed for o in outcomes) == 3
    assert [o.problems for o in outcomes if not o.changed][0]
    assert AttendanceRecord.objects.filter(status=AttendanceStatus.PRESENT).count() == 3


def test_a_worker_of_the_family_collects_the_child(site_a, child, carer, parent):
    checked_in(site_a, child, carer)
    outcome = services.check_out(
        site=site_a, child=child, collector=parent, by=carer, at=at(17, 30)
    )
    record = outcome.record
    assert record.status == AttendanceStatus.COLLECTED
    assert (record.collected_by_worker, record.collected_by_name) == (parent, parent.name)
    assert record.checked_out_at == at(17, 30)
    assert record.late is False
    assert AuditEntry.objects.filter(action="attendance.checked_out").count() == 1


def test_an_allowed_adult_collects_the_child(site_a, child, carer, grandma):
    checked_in(site_a, child, carer)
    record = services.check_out(
        site=site_a, child=child, collector=grandma, by=carer, at=at(17)
    ).record
    assert record.collected_by_adult == grandma
    assert record.collected_by_relation == grandma.relation


def test_a_pickup_after_closing_time_is_late(site_a, child, carer, parent):
    checked_in(site_a, child, carer)
    record = services.check_out(
        site=site_a, child=child, collector=parent, by=carer, at=at(18, 5)
    ).record
    assert record.late is True


def test_an_adult_on_the_not_allowed_list_is_refused(site_a, child, carer):
    uncle = PickupPermissionFactory(child=child, allowed=False, adult__relation="uncle").adult
    checked_in(site_a, child, carer)
    result = services.check_out(site=site_a, child=child, collector=uncle, by=carer, at=at(17))
    assert result.refusal.reason == RefusalReason.NOT_ALLOWED and not result.changed
    assert result.refusal == RefusedPickup.objects.get(adult=uncle)
    assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT


def test_an_expired_permission_is_refused(site_a, child, carer):
    old = PickupPermissionFactory(
        child=child,
        valid_from=timezone.localdate() - timedelta(days=30),
        valid_to=timezone.localdate() - timedelta(days=1),
    ).adult
    checked_in(site_a, child, carer)
    result = services.check_out(site=site_a, child=child, collector=old, by=carer, at=at(17))
    assert result.refusal.reason == RefusalReason.EXPIRED


def test_an_adult_without_a_permission_or_of_another_family_is_refused(site_a, child, carer):
    aunt = AdultFactory(family=child.family, relation="aunt")
    outsider = AdultFactory()
    checked_in(site_a, child, carer)
    for adult in (aunt, outsider):
        result = services.check_out(site=site_a, child=child, collector=adult, by=carer, at=at(17))
        assert result.refusal.reason == RefusalReason.NOT_LISTED


def test_a_refusal_is_recorded_with_an_audit_entry_once_per_key(site_a, child, carer):
    checked_in(site_a, child, carer)
    key = uuid.uuid4()
    for _ in range(2):
        services.refuse_pickup(
            site=site_a,
            child=child,
            by=carer,
            key=key,
            reason=RefusalReason.NOT_LISTED,
            name="张三",
            relation="邻居",
            at=at(17),
        )
    refusal = RefusedPickup.objects.get()
    assert (refusal.name, refusal.relation, refusal.by) == ("张三", "邻居", carer)
    assert refusal.attendance == AttendanceRecord.objects.get()
    assert AuditEntry.objects.filter(action="attendance.pickup_refused").count() == 1


def test_an_expected_child_cannot_be_checked_out(site_a, child, carer, parent):
    with pytest.raises(ValidationError, match="not checked in"):
        services.check_out(site=site_a, child=child, collector=parent, by=carer, at=at(17))


def test_a_collected_child_is_not_checked_in_again_the_same_day(site_a, child, carer, parent):
    checked_in(site_a, child, carer)
    services.check_out(site=site_a, child=child, collector=parent, by=carer, at=at(12))
    with pytest.raises(ValidationError, match="collected"):
        services.check_in(site=site_a, child=child, by=carer, at=at(13))
    again = services.check_out(site=site_a, child=child, collector=parent, by=carer, at=at(13))
    assert not again.changed


def test_absence_needs_a_reason_and_a_late_arrival_clears_it(site_a, child, carer):
    with pytest.raises(ValidationError):
        services.mark_absent(site=site_a, child=child, by=carer, reason="bored", at=at(9))
    services.mark_absent(site=site_a, child=child, by=carer, reason="ill", note="发烧", at=at(9))
    record = AttendanceRecord.objects.get()
    assert (record.status, record.absence_reason, record.absence_note) == ("absent", "ill", "发烧")
    checked_in(site_a, child, carer, at(10))
    record.refresh_from_db()
    assert (record.status, record.absence_reason) == (AttendanceStatus.PRESENT, "")


def test_a_present_child_cannot_be_marked_absent(site_a, child, carer):
    checked_in(site_a, child, carer)
    with pytest.raises(ValidationError):
        services.mark_absent(site=site_a, child=child, by=carer, reason="ill", at=at(9))


def test_clearing_an_absence_makes_the_child_expected_again(site_a, child, carer):
    services.mark_absent(site=site_a, child=child, by=carer, reason="unknown", at=at(9))
    services.clear_absence(site=site_a, child=child, by=carer, at=at(9, 5))
    assert AttendanceRecord.objects.get().status == AttendanceStatus.EXPECTED


def test_a_record_left_open_yesterday_is_closed_when_the_child_comes_again(site_a, child, carer):
    yesterday = checked_in(site_a, child, carer, at(8, days=-1))
    today = checked_in(site_a, child, carer, at(8))
    yesterday.refresh_from_db()
    assert yesterday.status == AttendanceStatus.COLLECTED
    assert yesterday.closed_without_check_out
    assert today.status == AttendanceStatus.PRESENT


def test_the_nightly_job_closes_forgotten_check_outs(site_a, child, carer):
    checked_in(site_a, child, carer, at(8, days=-1))
    assert services.close_forgotten_check_outs(before=timezone.localdate()) == 1
    assert AttendanceRecord.objects.get().closed_without_check_out


def test_a_child_present_at_another_site_must_be_checked_out_there_first(
    site_a, term_a, child, carer
):
    other = SiteFactory(factory=site_a.factory)
    term = TermFactory(site=other)
    from tests.factories import EnrollmentFactory

    EnrollmentFactory(child=child, term=term)
    checked_in(site_a, child, carer)
    with pytest.raises(ValidationError, match="another space"):
        services.check_in(site=other, child=child, by=carer, at=at(9))


def report(site, child, carer, **overrides):
    fields = {
        "kind": "injury",
        "occurred_at": at(10),
        "description": "在滑梯上摔倒，膝盖擦伤",
        "action_taken": "清洗伤口，贴创可贴",
    }
    return services.report_incident(site=site, child=child, by=carer, **{**fields, **overrides})


def test_an_incident_is_reported_and_reviewed_by_the_site_lead(site_a, child, carer, site_lead):
    checked_in(site_a, child, carer)
    incident = report(
        site_a, child, carer, parent_informed_at=at(10, 15), parent_informed_by="黄老师"
    )
    assert incident.parent_informed_by == "黄老师"
    with pytest.raises(ValidationError):
        services.review_incident(incident=incident, by=carer)
    services.review_incident(incident=incident, by=site_lead, note="已检查滑梯")
    incident.refresh_from_db()
    assert incident.reviewed_by == site_lead and incident.review_note == "已检查滑梯"
    assert AuditEntry.objects.filter(action__startswith="incident.").count() == 2
    # The audit trail names the kind of incident, never what happened.
    assert "膝盖" not in str(AuditEntry.objects.values_list("details", flat=True))


def test_an_incident_needs_a_child_in_care_a_past_time_and_who_informed(site_a, child, carer):
    with pytest.raises(ValidationError, match="not checked in"):
        report(site_a, child, carer)
    checked_in(site_a, child, carer)
    with pytest.raises(ValidationError):
        report(site_a, child, carer, occurred_at=at(23))
    with pytest.raises(ValidationError):
        report(site_a, child, carer, parent_informed_at=at(10, 15), parent_informed_by="")
    with pytest.raises(ValidationError):
        report(site_a, child, carer, description=" ")
    assert not Incident.objects.exists()


def test_the_collecting_adult_acknowledges_an_incident_at_pickup(site_a, child, carer, grandma):
    checked_in(site_a, child, carer)
    incident = report(site_a, child, carer)
    with pytest.raises(ValidationError, match="acknowledged"):
        services.check_out(site=site_a, child=child, collector=grandma, by=carer, at=at(17))
    services.check_out(
        site=site_a,
        child=child,
        collector=grandma,
        by=carer,
        incidents_acknowledged=True,
        at=at(17),
    )
    incident.refresh_from_db()
    assert incident.acknowledged_by_name == grandma.name
    assert incident.acknowledged_at == at(17)


def test_the_database_keeps_one_open_record_per_child(site_a, child, carer):
    checked_in(site_a, child, carer, at(8, days=-1))
    with pytest.raises(IntegrityError), transaction.atomic():
        AttendanceRecord.objects.create(
            site=site_a,
            child=child,
            day=timezone.localdate(),
            status=AttendanceStatus.PRESENT,
            checked_in_at=at(8),
        )


def test_the_database_keeps_one_record_per_child_per_day_per_site(site_a, child):
    AttendanceRecord.objects.create(site=site_a, child=child, day=timezone.localdate())
    with pytest.raises(IntegrityError), transaction.atomic():
        AttendanceRecord.objects.create(site=site_a, child=child, day=timezone.localdate())


def test_the_database_refuses_an_absence_without_a_reason(site_a, child):
    with pytest.raises(IntegrityError), transaction.atomic():
        AttendanceRecord.objects.create(
            site=site_a, child=child, day=timezone.localdate(), status=AttendanceStatus.ABSENT
        )


def test_old_action_keys_are_forgotten(site_a, child, carer):
    services.check_in(site=site_a, child=child, by=carer, key=uuid.uuid4(), at=at(8))
    assert services.forget_action_keys(before=at(20) + timedelta(seconds=1)) == 1
