import threading
from datetime import datetime, time, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from attendance import digests
from attendance.models import (
    AttendanceRecord,
    DigestRun,
    StillCheckedInAlert,
    StillCheckedInDelivery,
)
from enrollment.models import OpeningHours
from ffs_portal.models import Role
from ffs_portal.outcomes import digest as content
from ffs_portal.outcomes.tasks import send_digest
from tests.factories import AdultFactory, PickupPermissionFactory, UserFactory, enrolled_child

SHANGHAI = timezone.get_current_timezone()


def at(day, hour, minute=0, tz=SHANGHAI):
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


@pytest.fixture
def open_today(term_a):
    """Site A is open today with a child on its list: there is something to report."""
    return enrolled_child(term_a)


@pytest.fixture
def recipient(coordinator):
    coordinator.email = "coordinator@example.com"
    coordinator.date_joined = timezone.now() - timedelta(days=30)
    coordinator.save()
    return coordinator


class TestWhenItIsDue:
    def test_it_is_due_from_the_recipients_hour_in_their_time_zone(self, recipient):
        import zoneinfo

        london = zoneinfo.ZoneInfo("Europe/London")
        recipient.time_zone, recipient.digest_hour = "Europe/London", 19
        recipient.save()
        day = timezone.localdate()
        DigestRun.objects.create(
            recipient=recipient, day=day - timedelta(days=1), status="sent", sent_at=timezone.now()
        )
        assert digests.due(at(day, 18, 59, london)) == []
        assert digests.due(at(day, 19, 0, london)) == [(recipient, day)]

    def test_the_default_is_seven_in_the_evening_in_shanghai(self, recipient):
        day = timezone.localdate()
        DigestRun.objects.create(
            recipient=recipient, day=day - timedelta(days=1), status="sent", sent_at=timezone.now()
        )
        assert digests.due(at(day, 18, 30)) == []
        assert digests.due(at(day, 19, 5)) == [(recipient, day)]

    def test_yesterdays_is_still_due_when_it_never_went_out(self, recipient):
        day = timezone.localdate()
        assert (recipient, day - timedelta(days=1)) in digests.due(at(day, 8))

    def test_nobody_without_an_address_or_who_turned_it_off(self, recipient, hr, site_lead):
        recipient.digest_enabled = False
        recipient.save()
        site_lead.email = ""
        site_lead.save()
        hr.email = "hr@example.com"
        hr.save()
        assert list(digests.recipients()) == []


class TestExactlyOnce:
    def test_a_run_is_delivered_once_however_often_it_is_asked(self, recipient, open_today):
        run = DigestRun.objects.create(recipient=recipient, day=timezone.localdate())
        assert digests.deliver(run.pk, content.message) is True
        assert digests.deliver(run.pk, content.message) is False
        assert len(mail.outbox) == 1
        run.refresh_from_db()
        assert (run.status, run.attempts) == ("sent", 1)

    def test_a_run_left_sending_by_a_killed_worker_is_not_sent_again(self, recipient, open_today):
        run = DigestRun.objects.create(
            recipient=recipient, day=timezone.localdate(), status="sending"
        )
        assert digests.deliver(run.pk, content.message) is False
        assert mail.outbox == []

    def test_every_attempt_at_one_days_email_carries_the_same_message_id(
        self, recipient, open_today
    ):
        run = DigestRun.objects.create(recipient=recipient, day=timezone.localdate())
        assert digests.deliver(run.pk, content.message) is True
        sent = mail.outbox[0].message()["Message-ID"]
        assert (
            sent
            == run.message_id
            == f"<daily-{recipient.pk}-{run.day.isoformat()}@ffs-portal.localhost>"
        )
        other_day = DigestRun(recipient=recipient, day=run.day - timedelta(days=1))
        assert other_day.message_id != sent

    def test_the_beat_takes_back_runs_whose_worker_stopped_before_sending(
        self, recipient, open_today, settings
    ):
        now = timezone.now()
        lease = timedelta(seconds=settings.DIGEST_LEASE_SECONDS)
        day = timezone.localdate()
        abandoned = DigestRun.objects.create(
            recipient=recipient, day=day, status="sending", attempts=1, lease_until=now - lease
        )
        held = DigestRun.objects.create(
            recipient=recipient,
            day=day - timedelta(days=1),
            status="sending",
            lease_until=now + lease,
        )
        assert digests.take_back_abandoned(now) == 1
        abandoned.refresh_from_db()
        held.refresh_from_db()
        assert (abandoned.status, held.status) == ("queued", "sending")
        assert digests.deliver(abandoned.pk, content.message) is True
        assert len(mail.outbox) == 1

    def test_a_run_whose_worker_stopped_after_handing_it_over_is_unknown_and_not_resent(
        self, recipient, open_today, celery_eager
    ):
        now = timezone.now()
        recipient.date_joined = now  # only today's e-mail is due
        recipient.save()
        run = DigestRun.objects.create(
            recipient=recipient,
            day=timezone.localdate(),
            status="submitting",
            attempts=1,
            lease_until=now - timedelta(seconds=1),
        )
        digests.queue_due(send_digest.delay, now)
        run.refresh_from_db()
        assert run.status == "unknown" and run.last_error
        assert digests.deliver(run.pk, content.message) is False
        assert mail.outbox == []

    def test_a_worker_whose_lease_ran_out_does_not_send_a_run_taken_back(
        self, recipient, open_today
    ):
        run = DigestRun.objects.create(recipient=recipient, day=timezone.localdate())

        def built_while_the_beat_takes_it_back(*args, **kwargs):
            DigestRun.objects.filter(pk=run.pk).update(status="queued", lease_until=None)
            return content.message(*args, **kwargs)

        assert digests.deliver(run.pk, built_while_the_beat_takes_it_back) is False
        assert mail.outbox == []
        run.refresh_from_db()
        assert run.status == "queued"

    def test_a_refusal_by_the_mail_server_leaves_the_run_failed_for_a_retry(
        self, recipient, open_today, monkeypatch
    ):
        from smtplib import SMTPRecipientsRefused

        from django.core.mail.backends.locmem import EmailBackend

        def refuse(self, messages):
            raise SMTPRecipientsRefused({"coordinator@example.com": (550, b"no such user")})

        monkeypatch.setattr(EmailBackend, "send_messages", refuse)
        run = DigestRun.objects.create(recipient=recipient, day=timezone.localdate())
        with pytest.raises(SMTPRecipientsRefused):
            digests.deliver(run.pk, content.message)
        run.refresh_from_db()
        assert run.status == "failed"

    def test_a_lost_answer_after_the_message_was_handed_over_is_unknown_not_retried(
        self, recipient, open_today, monkeypatch
    ):
        from django.core.mail.backends.locmem import EmailBackend

        def time_out(self, messages):
            raise TimeoutError("timed out")

        monkeypatch.setattr(EmailBackend, "send_messages", time_out)
        run = DigestRun.objects.create(recipient=recipient, day=timezone.localdate())
        assert digests.deliver(run.pk, content.message) is False
        run.refresh_from_db()
        assert (run.status, run.last_error) == ("unknown", "timed out")

    def test_an_smtp_failure_leaves_the_run_failed_and_a_retry_sends_it(
        self, recipient, open_today, settings
    ):
        run = DigestRun.objects.create(recipient=recipient, day=timezone.localdate())
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
        with pytest.raises(OSError):
            digests.deliver(run.pk, content.message)
        run.refresh_from_db()
        assert run.status == "failed" and run.last_error
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert digests.deliver(run.pk, content.message) is True
        assert len(mail.outbox) == 1

    def test_two_beats_queue_one_run_per_recipient(self, recipient, open_today, celery_eager):
        now = at(timezone.localdate(), 19, 30)
        DigestRun.objects.create(
            recipient=recipient,
            day=timezone.localdate() - timedelta(days=1),
            status="sent",
            sent_at=timezone.now(),
        )
        digests.queue_due(send_digest.delay, now)
        digests.queue_due(send_digest.delay, now)
        assert DigestRun.objects.filter(day=timezone.localdate()).count() == 1
        assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_workers_racing_on_one_run_send_one_email(recipient, open_today):
    run = DigestRun.objects.create(recipient=recipient, day=timezone.localdate())
    results = []
    barrier = threading.Barrier(4)

    def attempt():
        barrier.wait()
        try:
            results.append(digests.deliver(run.pk, content.message))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    assert len(mail.outbox) == 1


class TestStillCheckedIn:
    @pytest.fixture
    def evening(self, site_a, term_a, recipient, site_lead):
        site_lead.email = "lead@example.com"
        site_lead.save()
        OpeningHours.objects.filter(site=site_a).update(opens=time(8), closes=time(18))
        child = enrolled_child(term_a, name="王小明", medical_notes="哮喘")
        PickupPermissionFactory(child=child, adult=AdultFactory(family=child.family, name="张秀英"))
        day = timezone.localdate()
        AttendanceRecord.objects.create(
            site=site_a, child=child, day=day, status="present", checked_in_at=at(day, 8, 5)
        )
        return day

    def test_half_an_hour_after_closing_the_lead_and_coordinator_are_told_once(self, evening):
        assert digests.alert_still_checked_in(at(evening, 18, 20)) == 0
        assert digests.alert_still_checked_in(at(evening, 18, 31)) == 1
        assert sorted(m.to[0] for m in mail.outbox) == [
            "coordinator@example.com",
            "lead@example.com",
        ]
        body = mail.outbox[0].body
        assert "王小明" in body and "张秀英" in body and "哮喘" not in body
        assert digests.alert_still_checked_in(at(evening, 18, 40)) == 0
        assert len(mail.outbox) == 2 and StillCheckedInAlert.objects.count() == 1

    def test_a_recipient_refused_once_is_told_at_the_next_tick_and_no_one_twice(
        self, evening, monkeypatch
    ):
        from smtplib import SMTPRecipientsRefused

        from django.core.mail.backends.locmem import EmailBackend

        send = EmailBackend.send_messages
        refusals = ["lead@example.com"]

        def refuse_the_lead_once(self, messages):
            if messages[0].to[0] in refusals:
                refusals.clear()
                raise SMTPRecipientsRefused({"lead@example.com": (450, b"try later")})
            return send(self, messages)

        monkeypatch.setattr(EmailBackend, "send_messages", refuse_the_lead_once)
        assert digests.alert_still_checked_in(at(evening, 18, 31)) == 1
        assert [m.to[0] for m in mail.outbox] == ["coordinator@example.com"]
        assert digests.alert_still_checked_in(at(evening, 18, 36)) == 0
        assert sorted(m.to[0] for m in mail.outbox) == [
            "coordinator@example.com",
            "lead@example.com",
        ]
        ids = {m.extra_headers["Message-ID"] for m in mail.outbox}
        assert ids == {d.message_id for d in StillCheckedInDelivery.objects.all()}
        assert len(ids) == 2
        digests.alert_still_checked_in(at(evening, 18, 41))
        assert len(mail.outbox) == 2

    def test_an_alert_perhaps_sent_is_not_sent_again(self, evening, monkeypatch):
        from django.core.mail.backends.locmem import EmailBackend

        def time_out(self, messages):
            raise TimeoutError("timed out")

        monkeypatch.setattr(EmailBackend, "send_messages", time_out)
        assert digests.alert_still_checked_in(at(evening, 18, 31)) == 1
        monkeypatch.undo()
        digests.alert_still_checked_in(at(evening, 18, 36))
        assert mail.outbox == []
        assert set(StillCheckedInDelivery.objects.values_list("status", flat=True)) == {"unknown"}

    def test_a_delivery_whose_worker_died_before_sending_is_sent_at_the_next_tick(self, evening):
        assert digests.alert_still_checked_in(at(evening, 18, 31)) == 1
        delivery = StillCheckedInDelivery.objects.get(recipient__email="lead@example.com")
        StillCheckedInDelivery.objects.filter(pk=delivery.pk).update(
            status="sending", lease_until=at(evening, 18, 32), sent_at=None
        )
        mail.outbox.clear()
        digests.alert_still_checked_in(at(evening, 18, 36))
        assert [m.to[0] for m in mail.outbox] == ["lead@example.com"]

    def test_nothing_is_sent_late_once_every_child_was_collected(self, evening, monkeypatch):
        from smtplib import SMTPRecipientsRefused

        from django.core.mail.backends.locmem import EmailBackend

        def refuse(self, messages):
            raise SMTPRecipientsRefused({messages[0].to[0]: (450, b"try later")})

        monkeypatch.setattr(EmailBackend, "send_messages", refuse)
        digests.alert_still_checked_in(at(evening, 18, 31))
        monkeypatch.undo()
        AttendanceRecord.objects.update(status="collected", checked_out_at=at(evening, 18, 33))
        digests.alert_still_checked_in(at(evening, 18, 36))
        assert mail.outbox == []
        assert set(StillCheckedInDelivery.objects.values_list("status", flat=True)) == {"skipped"}

    def test_no_alert_when_everyone_was_collected(self, evening):
        AttendanceRecord.objects.update(status="collected", checked_out_at=at(evening, 17))
        assert digests.alert_still_checked_in(at(evening, 19)) == 0
        assert mail.outbox == []


class TestCommandAndPreview:
    def test_send_digests_dry_run_prints_and_sends_nothing(self, recipient, open_today):
        out = StringIO()
        call_command("send_digests", "--dry-run", stdout=out)
        assert "coordinator@example.com" in out.getvalue()
        assert mail.outbox == [] and not DigestRun.objects.exists()

    def test_send_digests_sends_once_and_again_only_with_force(self, recipient, open_today):
        out = StringIO()
        call_command("send_digests", "--recipient", recipient.email, stdout=out)
        call_command("send_digests", "--recipient", recipient.email, stdout=out)
        assert len(mail.outbox) == 1 and "sent already" in out.getvalue()
        call_command("send_digests", "--recipient", recipient.email, "--force", stdout=out)
        assert len(mail.outbox) == 2

    def test_send_digests_refuses_an_unknown_recipient_or_date(self, recipient):
        from django.core.management import CommandError

        with pytest.raises(CommandError):
            call_command("send_digests", "--recipient", "nobody@example.com")
        with pytest.raises(CommandError):
            call_command("send_digests", "--date", "15/07/2026")

    def test_the_preview_is_for_coordinators_and_site_leads(
        self, client, recipient, hr, open_today
    ):
        client.force_login(recipient)
        assert client.get(reverse("attendance:digest_preview")).status_code == 200
        assert client.get(reverse("attendance:digest_preview_html")).status_code == 200
        client.force_login(hr)
        assert client.get(reverse("attendance:digest_preview")).status_code == 403


class TestThePreviewPage:
    def test_it_lists_the_weeks_failed_and_perhaps_sent_emails_of_the_people_overseen(
        self, client, recipient, site_lead, open_today
    ):
        today = timezone.localdate()
        DigestRun.objects.create(recipient=recipient, day=today, status="unknown")
        DigestRun.objects.create(recipient=site_lead, day=today, status="failed", attempts=6)
        DigestRun.objects.create(
            recipient=site_lead,
            day=today - timedelta(days=1),
            status="sent",
            sent_at=timezone.now(),
        )
        DigestRun.objects.create(
            recipient=recipient, day=today - timedelta(days=30), status="failed"
        )
        client.force_login(recipient)
        page = client.get(reverse("attendance:digest_preview"))
        troubled = page.context["troubled"]
        assert sorted((row.run.recipient.username, row.run.status) for row in troubled) == [
            ("coordinator", "unknown"),
            ("lead", "failed"),
        ]
        assert 'id="troubled-title"' in page.content.decode()

    def test_it_lists_a_still_checked_in_alert_that_failed(
        self, client, recipient, site_lead, site_a, open_today
    ):
        alert = StillCheckedInAlert.objects.create(site=site_a, day=timezone.localdate())
        StillCheckedInDelivery.objects.create(alert=alert, recipient=site_lead, status="failed")
        StillCheckedInDelivery.objects.create(
            alert=alert, recipient=recipient, status="sent", sent_at=timezone.now()
        )
        client.force_login(recipient)
        (row,) = client.get(reverse("attendance:digest_preview")).context["troubled"]
        assert (row.run.recipient, row.run.status) == (site_lead, "failed")
        assert site_a.name in row.what

    def test_it_shows_no_one_elses_emails_to_someone_who_does_not_oversee_them(
        self, client, recipient, open_today, site_b
    ):
        lead_b = UserFactory(username="lead-b", role=Role.SITE_LEAD, sites=[site_b])
        DigestRun.objects.create(recipient=lead_b, day=timezone.localdate(), status="unknown")
        client.force_login(recipient)
        page = client.get(reverse("attendance:digest_preview"))
        assert list(page.context["troubled"]) == []
        assert 'id="troubled-title"' not in page.content.decode()

    def test_the_list_costs_the_same_queries_for_more_failures(
        self, client, recipient, site_a, open_today, django_assert_max_num_queries
    ):
        client.force_login(recipient)
        DigestRun.objects.create(recipient=recipient, day=timezone.localdate(), status="failed")
        with django_assert_max_num_queries(60) as few:
            client.get(reverse("attendance:digest_preview"))
        for days in range(1, 6):
            lead = UserFactory(username=f"lead-{days}", role=Role.SITE_LEAD, sites=[site_a])
            day = timezone.localdate() - timedelta(days=days)
            DigestRun.objects.create(recipient=lead, day=day, status="unknown")
            alert = StillCheckedInAlert.objects.create(site=site_a, day=day)
            StillCheckedInDelivery.objects.create(alert=alert, recipient=lead, status="failed")
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(reverse("attendance:digest_preview"))


@pytest.fixture
def celery_eager():
    from ffs_portal.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_other_roles_get_no_digest(db, factory_a):
    UserFactory(role=Role.HR, factory=factory_a, email="hr@example.com")
    assert not digests.recipients().exists()


class TestContent:
    @pytest.fixture
    def known_day(self, site_a, term_a, recipient):
        """Five children on the list a day ago: three came (one collected late, one never
        collected), one absent ill, one not recorded; an illness; a refused pickup."""
        from attendance.models import Incident, RefusedPickup

        OpeningHours.objects.filter(site=site_a).update(opens=time(8), closes=time(18))
        day = timezone.localdate() - timedelta(days=1)
        children = [
            enrolled_child(term_a, medical_notes="哮喘", hukou_province="sichuan") for _ in range(5)
        ]
        came = [
            ("collected", at(day, 8), at(day, 17), False),
            ("collected", at(day, 8, 10), at(day, 18, 40), True),
            ("present", at(day, 8, 20), None, False),
        ]
        for child, (status, in_at, out_at, late) in zip(children, came, strict=False):
            AttendanceRecord.objects.create(
                site=site_a,
                child=child,
                day=day,
                status=status,
                checked_in_at=in_at,
                checked_out_at=out_at,
                late=late,
            )
        AttendanceRecord.objects.create(
            site=site_a, child=children[3], day=day, status="absent", absence_reason="ill"
        )
        Incident.objects.create(
            site=site_a,
            child=children[0],
            kind="illness",
            occurred_at=at(day, 10),
            description="发烧 38.5 度",
            action_taken="通知家长",
        )
        RefusedPickup.objects.create(
            site=site_a,
            child=children[1],
            day=day,
            at=at(day, 17),
            name="陌生人",
            reason="not_listed",
        )
        return day

    def test_the_figures_of_a_known_day(self, recipient, known_day):
        digest = content.build(recipient, known_day)
        [row] = digest.rows
        today = row.today
        assert (today.listed, today.attended, today.absent, today.not_arrived) == (5, 3, 1, 1)
        assert (today.late_pickups, today.refused_pickups, today.incidents) == (1, 1, 1)
        assert today.present == 1  # never checked out
        assert [n for _kind, n in row.incident_kinds] == [1]
        assert row.flags  # a child still here after closing needs attention

    def test_the_email_says_it_in_chinese_and_keeps_medical_details_out(self, recipient, known_day):
        recipient.language = "zh-hans"
        recipient.save()
        subject, text, html = content.render(recipient, known_day)
        assert "需要关注" in subject
        assert "出勤率 60%" in text and "应到 5" in text and "到场 3" in text
        assert "生病 1" in text
        for secret in ("哮喘", "发烧", "38.5", "四川", "Sichuan"):
            assert secret not in text and secret not in html

    def test_the_next_days_email_names_the_emails_that_failed_or_perhaps_went(
        self, recipient, site_lead, known_day
    ):
        recipient.language = "zh-hans"
        recipient.save()
        DigestRun.objects.create(
            recipient=site_lead, day=known_day - timedelta(days=1), status="unknown", attempts=1
        )
        _subject, text, html = content.render(recipient, known_day)
        assert "需要查看的邮件" in text and "需要查看的邮件" in html
        lead = site_lead.get_full_name() or site_lead.username
        assert lead in text and lead in html

    def test_the_email_counts_health_checks_and_doses_without_names_or_signs(
        self, recipient, known_day, site_a, carer
    ):
        from attendance.health.models import HealthCheck, MedicineAuthorisation, MedicineDose

        # Two children who came that day (a dose is missed only by a child who was there).
        came = AttendanceRecord.objects.filter(day=known_day, checked_in_at__isnull=False)
        children = [r.child for r in came.order_by("pk")[:2]]
        for child, card, signs in ((children[0], "yellow", ["blisters"]), (children[1], "red", [])):
            HealthCheck.objects.create(
                site=site_a,
                child=child,
                day=known_day,
                kind="arrival",
                at=at(known_day, 8),
                card=card,
                signs=signs,
                temperature="38.4" if card == "red" else None,
            )
        syrup = MedicineAuthorisation.objects.create(
            site=site_a,
            child=children[0],
            medicine="布洛芬",
            dose="5 ml",
            times=["09:00", "12:00"],
            valid_from=known_day,
            valid_to=known_day,
            signed_by="王建国",
        )
        witness = UserFactory(role=Role.CHILDCARE, sites=[site_a])
        MedicineDose.objects.create(
            authorisation=syrup,
            site=site_a,
            given_at=at(known_day, 9, 5),
            due="09:00",
            given_by=carer,
            witness=witness,
        )
        recipient.language = "en"
        _subject, text, html = content.render(recipient, known_day)
        assert "health check 2 (yellow card 1, red card 1)" in text
        assert "medicine doses given 1, missed 1" in text
        for secret in ("Blisters", "blisters", "38.4", "布洛芬", children[0].name):
            assert secret not in text and secret not in html

    def test_a_site_with_no_term_running_is_named_apart(self, recipient, known_day, factory_a):
        from tests.factories import SiteFactory

        SiteFactory(factory=factory_a, name="星河课后中心", kind="asc")
        digest = content.build(recipient, known_day)
        assert [row.site.name for row in digest.rows] == ["星河暑期家庭友好空间"]
        assert [site.name for site in digest.closed] == ["星河课后中心"]
        _subject, text, _html = content.render(recipient, known_day)
        assert "当天无开放安排: 星河课后中心" in text

    def test_a_day_with_no_site_due_to_open_sends_nothing(self, recipient, site_a, term_a):
        OpeningHours.objects.filter(site=site_a).delete()
        run = DigestRun.objects.create(recipient=recipient, day=timezone.localdate())
        assert digests.deliver(run.pk, content.message) is False
        run.refresh_from_db()
        assert run.status == "skipped" and mail.outbox == []

    def test_building_a_digest_costs_the_same_queries_for_more_sites(
        self, recipient, known_day, factory_a, django_assert_max_num_queries
    ):
        from tests.factories import SiteFactory, TermFactory

        with django_assert_max_num_queries(40) as few:
            content.build(recipient, known_day)
        for _ in range(4):
            term = TermFactory(site=SiteFactory(factory=factory_a))
            enrolled_child(term)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert len(content.build(recipient, known_day).rows) >= 1
