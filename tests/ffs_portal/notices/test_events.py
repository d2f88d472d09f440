"""The events written by a beat task or by the lead: a child not collected after closing
(parents first, once per record and guardian) and the lead's announcement to all families."""

from datetime import time

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance import digests
from attendance.models import AttendanceRecord
from enrollment.models import OpeningHours
from ffs_portal.lib import clock
from ffs_portal.models import AuditEntry
from ffs_portal.notices import services
from ffs_portal.notices.models import Notice, NoticeKind, NoticeStatus
from tests.attendance.test_digests import at
from tests.factories import WorkerFactory, enrolled_child

pytestmark = pytest.mark.django_db


class TestNotCollected:
    @pytest.fixture
    def evening(self, site_a, child):
        OpeningHours.objects.filter(site=site_a).update(opens=time(8), closes=time(18))
        day = timezone.localdate()
        AttendanceRecord.objects.create(
            site=site_a, child=child, day=day, status="present", checked_in_at=at(day, 8, 5)
        )
        return day

    def test_parents_are_told_a_quarter_of_an_hour_after_closing_once(self, evening, child):
        WorkerFactory(family=child.family, factory=child.family.factory)  # a second parent
        assert digests.tell_parents_not_collected(at(evening, 18, 10)) == 0
        assert Notice.objects.count() == 0
        assert digests.tell_parents_not_collected(at(evening, 18, 16)) == 1
        notices = list(Notice.objects.all())
        assert len(notices) == 2
        assert {n.kind for n in notices} == {NoticeKind.NOT_COLLECTED}
        assert all(n.status == NoticeStatus.QUEUED and "18:00" in n.body for n in notices)
        # The next runs (and the leads' alert at half an hour) write nothing more.
        digests.tell_parents_not_collected(at(evening, 18, 21))
        digests.tell_parents_not_collected(at(evening, 18, 31))
        assert Notice.objects.count() == 2

    def test_collected_children_and_families_without_consent(self, evening, child, term_a):
        AttendanceRecord.objects.update(status="collected", checked_out_at=at(evening, 17))
        assert digests.tell_parents_not_collected(at(evening, 18, 20)) == 0
        other = enrolled_child(term_a, name="李小红")  # consent without messages
        AttendanceRecord.objects.create(
            site=term_a.site,
            child=other,
            day=evening,
            status="present",
            checked_in_at=at(evening, 9),
        )
        assert digests.tell_parents_not_collected(at(evening, 18, 20)) == 1
        assert Notice.objects.get().status == NoticeStatus.SUPPRESSED


class TestAnnouncement:
    def test_one_notice_per_guardian_suppressed_without_consent(
        self, site_a, term_a, child, site_lead, term_b
    ):
        sister = enrolled_child(term_a, name="王小丽")
        # Her brother's family, two children: still one message to their parent.
        sister.family = child.family
        sister.save()
        without = enrolled_child(term_a, name="李小红")
        elsewhere = enrolled_child(term_b, name="张小强")
        elsewhere.consents.update(covers_messages=True)
        written = services.announce(site=site_a, text="台风  明天 停课", by=site_lead)
        by_family = {n.family_id: n for n in Notice.objects.all()}
        assert len(written) == 2 and len(by_family) == 2
        assert by_family[child.family_id].status == NoticeStatus.QUEUED
        assert by_family[child.family_id].body.endswith("台风 明天 停课")
        assert by_family[without.family_id].status == NoticeStatus.SUPPRESSED
        assert elsewhere.family_id not in by_family
        assert AuditEntry.objects.filter(action="notices.announced").count() == 1

    def test_the_lead_sends_from_the_messages_page(self, client, site_a, child, site_lead, carer):
        url = reverse("notices:site_messages", kwargs={"site": site_a.pk})
        client.force_login(site_lead)
        assert client.post(url, {"text": ""}).status_code == 400
        answer = client.post(url, {"text": "国庆放假三天"}, follow=True)
        assert answer.status_code == 200 and "国庆放假三天" in answer.content.decode()
        assert Notice.objects.get(kind=NoticeKind.ANNOUNCEMENT).guardian.family == child.family
        client.force_login(carer)
        assert client.post(url, {"text": "x"}).status_code == 403
        assert Notice.objects.count() == 1


class TestPreferences:
    """The family's choices on the consent: messages they do not want and quiet hours hold a
    notice back (suppressed, with the reason); the safety messages always go out."""

    def write(self, kind, child, site):
        return services.notify_guardians(
            kind=kind, event=f"{kind}:1", child=child, site=site, person="", at=clock.now()
        )[0]

    def test_a_message_the_family_did_not_choose(self, child, site_a):
        child.consents.update(muted_messages=["collected"])
        notice = self.write(NoticeKind.COLLECTED, child, site_a)
        assert (notice.status, notice.suppressed_reason) == ("suppressed", "not_chosen")
        assert self.write(NoticeKind.PICKUP_REFUSED, child, site_a).status == "queued"

    def test_quiet_hours_past_midnight(self, child, site_a, monkeypatch):
        child.consents.update(quiet_from=time(21), quiet_until=time(7))
        night = at(timezone.localdate(), 23, 30)
        monkeypatch.setattr(clock, "now", lambda: night)
        notice = self.write(NoticeKind.INCIDENT, child, site_a)
        assert (notice.status, notice.suppressed_reason) == ("suppressed", "quiet_hours")
        assert self.write(NoticeKind.NOT_COLLECTED, child, site_a).status == "queued"
        monkeypatch.setattr(clock, "now", lambda: at(timezone.localdate(), 7))
        assert self.write(NoticeKind.COLLECTED, child, site_a).status == "queued"

    def test_no_consent_suppresses_even_the_safety_messages(self, child, site_a):
        child.consents.update(covers_messages=False)
        notice = self.write(NoticeKind.PICKUP_REFUSED, child, site_a)
        assert (notice.status, notice.suppressed_reason) == ("suppressed", "no_consent")

    def test_hr_records_the_choices_with_the_consent(self, client, hr, child):
        url = reverse("enrollment:consent_record", kwargs={"child": child.key})
        data = {
            "children": [child.pk],
            "given_by": "王芳",
            "given_by_relation": "mother",
            "given_on": timezone.localdate().isoformat(),
            "covers_care": "on",
            "covers_messages": "on",
            "wanted_messages": ["incident"],
            "quiet_from": "22:00",
        }
        client.force_login(hr)
        assert client.post(url, data).status_code == 200  # the quiet hours' end is missing
        client.post(url, {**data, "quiet_until": "06:30"})
        consent = child.consents.get(withdrawn_at__isnull=True)
        assert consent.muted_messages == ["arrived", "collected", "announcement", "training"]
        assert (consent.quiet_from, consent.quiet_until) == (time(22), time(6, 30))


def test_sent_and_failed_on_the_site_page_and_in_the_daily_email(
    client, site_a, child, coordinator, site_lead
):
    from ffs_portal.outcomes import digest

    services.announce(site=site_a, text="明天停课", by=site_lead)
    services.notify_guardians(
        kind=NoticeKind.INCIDENT, event="i:1", child=child, site=site_a, person="", at=clock.now()
    )
    first, second = Notice.objects.order_by("pk")
    Notice.objects.filter(pk=first.pk).update(status="sent", sent_at=clock.now())
    Notice.objects.filter(pk=second.pk).update(status="failed")
    AttendanceRecord.objects.create(
        site=site_a,
        child=child,
        day=timezone.localdate(),
        status="present",
        checked_in_at=clock.now(),
    )
    client.force_login(coordinator)
    page = client.get(reverse("outcomes:site", kwargs={"site": site_a.pk})).content.decode()
    assert "给家庭的消息" in page and "已发送 · 1 条失败" in page
    row = digest.build(coordinator, timezone.localdate()).rows
    assert [(r.messages_sent, r.messages_failed) for r in row] == [(1, 1)]


class TestNotArrived:
    """Parents hear when a child on today's list has neither come nor been reported absent
    ``site.not_arrived_minutes`` after the child's usual time (the opening without one)."""

    @pytest.fixture
    def morning(self, site_a, child):
        OpeningHours.objects.filter(site=site_a).update(opens=time(8), closes=time(18))
        site_a.not_arrived_minutes = 20
        site_a.save()
        return timezone.localdate()

    def test_after_the_usual_time_once(self, morning, child, site_a):
        from datetime import timedelta

        for days in (1, 2, 3):  # usually here by 9:00
            day = morning - timedelta(days=days)
            AttendanceRecord.objects.create(
                site=site_a,
                child=child,
                day=day,
                status="collected",
                checked_in_at=at(day, 9),
                checked_out_at=at(day, 17),
            )
        assert digests.tell_parents_not_arrived(at(morning, 9, 15)) == 0
        assert digests.tell_parents_not_arrived(at(morning, 9, 21)) == 1
        notice = Notice.objects.get()
        assert notice.kind == NoticeKind.NOT_ARRIVED and "09:00" in notice.body
        digests.tell_parents_not_arrived(at(morning, 9, 26))
        assert Notice.objects.count() == 1

    def test_no_message_once_arrived_or_reported_absent(self, morning, child, site_a, term_a):
        assert digests.tell_parents_not_arrived(at(morning, 8, 19)) == 0
        AttendanceRecord.objects.create(
            site=site_a, child=child, day=morning, status="present", checked_in_at=at(morning, 8)
        )
        absent = enrolled_child(term_a, name="李小红")
        AttendanceRecord.objects.create(
            site=site_a, child=absent, day=morning, status="absent", absence_reason="ill"
        )
        # Sent home with a red card at the morning check: the parents know.
        AttendanceRecord.objects.create(
            site=site_a, child=enrolled_child(term_a), day=morning, health_card="red"
        )
        assert digests.tell_parents_not_arrived(at(morning, 10)) == 0
        assert not Notice.objects.exists()


def test_the_arrived_message_goes_only_to_families_that_chose_it(child, term_a, site_a, carer):
    from attendance import services as attendance

    attendance.check_in(site=site_a, child=child, by=carer)
    # Off by default: no message, and no row for each child each morning either.
    assert not Notice.objects.filter(kind=NoticeKind.ARRIVED).exists()
    chose = enrolled_child(term_a, name="李小红")
    chose.consents.update(covers_messages=True, muted_messages=[])
    attendance.check_in(site=site_a, child=chose, by=carer, at=clock.now())
    notice = Notice.objects.get(kind=NoticeKind.ARRIVED)
    assert notice.child == chose and notice.status == NoticeStatus.QUEUED
    assert (
        "李小红" in notice.body and timezone.localtime(clock.now()).strftime("%H:") in notice.body
    )
