"""A real Redis and a real Celery worker: messages written while the broker is down wait in
the outbox and go out once it is back, each exactly once however often its task arrives."""

import threading

import pytest

from attendance import services
from ffs_portal.notices import services as notices
from ffs_portal.notices.models import Notice, NoticeStatus
from ffs_portal.notices.tasks import send_notice
from tests.attendance.test_digest_delivery import (
    celery_worker,
    free_port,
    redis_server,
    wait_for,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_messages_wait_out_a_broker_outage_and_go_out_once(
    checked_in, site_a, carer, grandma, tmp_path, monkeypatch
):
    from ffs_portal.celery import app

    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    monkeypatch.setattr(app.conf, "broker_url", broker)
    monkeypatch.setattr(app.conf, "result_backend", broker)
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    monkeypatch.setattr(app, "_local", threading.local())

    # The hand-over is recorded with the broker down; its message waits in the outbox.
    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    notice = Notice.objects.get()
    assert notices.hand_over_queued(send_notice.delay) == 0
    assert Notice.objects.get().status == NoticeStatus.QUEUED

    redis = redis_server(port)
    worker = celery_worker(broker, tmp_path, NOTICE_BACKEND="file")
    messages = tmp_path / "messages"
    try:
        assert notices.hand_over_queued(send_notice.delay) == 1
        assert wait_for(lambda: Notice.objects.get(pk=notice.pk).status == NoticeStatus.SENT), (
            tmp_path / "worker.log"
        ).read_text()[-3000:]
        # The same task twice more, then a fresh message: once that one is out, the
        # duplicates were handled before it (the worker takes tasks one by one).
        send_notice.delay(notice.pk)
        send_notice.delay(notice.pk)
        services.refuse_pickup(
            site=site_a, child=checked_in, by=carer, reason="not_listed", name="张三"
        )
        second = Notice.objects.exclude(pk=notice.pk).get()
        send_notice.delay(second.pk)
        assert wait_for(lambda: Notice.objects.get(pk=second.pk).status == NoticeStatus.SENT)
        assert len(list(messages.iterdir())) == 2
        assert Notice.objects.get(pk=notice.pk).attempts == 1
    finally:
        worker.terminate()
        worker.wait(10)
        redis.terminate()
        redis.wait(10)
