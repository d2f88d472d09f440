"""The outbox: a notice per event and guardian, written in the act's transaction, suppressed
without consent, sent once."""

import pytest
from django.db import transaction

from attendance import services
from attendance.models import RefusalReason
from ffs_portal.notices import services as notices
from ffs_portal.notices.models import Notice, NoticeKind, NoticeStatus
from tests.factories import WorkerFactory

pytestmark = pytest.mark.django_db


def test_a_hand_over_writes_a_notice_to_each_parent(checked_in, site_a, carer, grandma):
    second = WorkerFactory(family=checked_in.family, factory=checked_in.family.factory)
    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    notices_ = list(Notice.objects.order_by("guardian_id"))
    guardians = sorted(checked_in.family.workers.values_list("pk", flat=True))
    assert len(guardians) == 2 and second.pk in guardians
    assert [n.guardian_id for n in notices_] == guardians
    assert {n.kind for n in notices_} == {NoticeKind.COLLECTED}
    assert {n.status for n in notices_} == {NoticeStatus.QUEUED}
    body = notices_[0].body
    assert "王小明" in body and "李秀英" in body and "/parents/" in body
    assert "奶奶" in body  # the relation, in the parents' language


def test_the_notice_is_part_of_the_act(checked_in, site_a, carer, grandma):
    with transaction.atomic():
        services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
        transaction.set_rollback(True)
    assert not Notice.objects.exists()


def test_a_refusal_and_an_incident_write_notices(checked_in, site_a, carer):
    services.refuse_pickup(
        site=site_a, child=checked_in, by=carer, reason=RefusalReason.NOT_LISTED, name="张三"
    )
    from ffs_portal.lib import clock

    services.report_incident(
        site=site_a,
        child=checked_in,
        by=carer,
        kind="injury",
        occurred_at=clock.now(),
        description="膝盖擦伤，流血",
        action_taken="清洗、贴创可贴",
    )
    kinds = set(Notice.objects.values_list("kind", flat=True))
    assert kinds == {NoticeKind.PICKUP_REFUSED, NoticeKind.INCIDENT}
    incident = Notice.objects.get(kind=NoticeKind.INCIDENT)
    assert "擦伤" not in incident.body and "创可贴" not in incident.body  # no medical details
    assert "受伤" in incident.body or "Injury" not in incident.body


def test_without_consent_to_messages_the_notice_is_suppressed(
    checked_in, site_a, carer, grandma, messages_in_tmp
):
    checked_in.consents.update(covers_messages=False)
    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    notice = Notice.objects.get()
    assert notice.status == NoticeStatus.SUPPRESSED
    assert "/parents/" not in notice.body
    assert notices.deliver(notice.pk) is False
    assert not messages_in_tmp.exists()


def test_one_notice_per_event_and_guardian(child, parent, site_a):
    from ffs_portal.lib import clock

    for _ in range(2):
        notices.notify_guardians(
            kind=NoticeKind.COLLECTED,
            event="collected:1",
            child=child,
            site=site_a,
            person="x",
            at=clock.now(),
        )
    assert Notice.objects.filter(guardian=parent).count() == 1


def test_a_notice_is_written_as_a_file_once(checked_in, site_a, carer, grandma, messages_in_tmp):
    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    notice = Notice.objects.get()
    assert notices.deliver(notice.pk) is True
    assert notices.deliver(notice.pk) is False  # a task delivered twice sends nothing more
    files = list(messages_in_tmp.iterdir())
    assert len(files) == 1
    assert "王小明" in files[0].read_text()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT and notice.attempts == 1


def test_a_provider_failure_marks_the_notice_failed_for_a_retry(
    checked_in, site_a, carer, grandma, monkeypatch
):
    from ffs_portal.notices import backends

    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    notice = Notice.objects.get()

    def refuse(self, notice):
        raise backends.DeliveryError("LimitExceeded")

    monkeypatch.setattr(backends.FileBackend, "send", refuse)
    with pytest.raises(backends.DeliveryError):
        notices.deliver(notice.pk)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED and "LimitExceeded" in notice.last_error
    monkeypatch.undo()
    assert notices.deliver(notice.pk) is True


def test_queued_notices_are_handed_to_workers_once_per_tick(checked_in, site_a, carer, grandma):
    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    handed = []
    assert notices.hand_over_queued(handed.append) == 1
    assert notices.hand_over_queued(handed.append) == 0  # handed already, not yet claimed
    assert handed == [Notice.objects.get().pk]


def test_a_broker_that_is_down_leaves_notices_queued(checked_in, site_a, carer, grandma):
    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)

    def down(notice_id):
        raise ConnectionError("broker down")

    assert notices.hand_over_queued(down) == 0
    assert Notice.objects.get().handed_at is None


def test_the_task_sends_through_the_chosen_backend(
    checked_in, site_a, carer, grandma, celery_eager, messages_in_tmp
):
    from ffs_portal.notices.tasks import hand_over_queued

    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    assert hand_over_queued.delay().get() == 1
    assert Notice.objects.get().status == NoticeStatus.SENT
    assert len(list(messages_in_tmp.iterdir())) == 1


def test_a_withdrawn_consent_stops_every_message_at_once(checked_in, site_a, carer, grandma):
    from ffs_portal.lib import clock

    checked_in.consents.update(withdrawn_at=clock.now())
    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    assert Notice.objects.get().status == NoticeStatus.SUPPRESSED


# An SMS of Chinese text: 70 characters, or 67 per segment when it takes several.
SEGMENT = 67


@pytest.mark.parametrize("kind", [kind for kind in NoticeKind if kind != NoticeKind.ANNOUNCEMENT])
def test_every_message_with_its_link_fits_in_two_sms_segments(kind, settings, child):
    settings.PORTAL_URL = "https://ffs-portal.example.cn"
    link = notices.parent_link(child.family.workers.get())
    values = {
        "child": "欧阳𠮷安安",  # long names of children, adults and courses
        "person": "外婆 司马秀英英",
        "time": "16:40",
        "code": "123456",
        "course": "远程亲子沟通与陪伴",
        "place": "工会活动室（二楼）",
        "link": link,
    }
    text = notices._text(kind, values)
    assert len(text) <= 2 * SEGMENT, (len(text), text)


def test_an_announcement_of_the_longest_fits_in_two_sms_segments(site_a):
    site_a.name = "星河玩具厂暑期家庭友好空间"
    text = notices._text(
        NoticeKind.ANNOUNCEMENT,
        {"site": site_a.name, "text": "台" * notices.ANNOUNCEMENT_MAX_LENGTH},
    )
    assert len(text) <= 2 * SEGMENT, len(text)
