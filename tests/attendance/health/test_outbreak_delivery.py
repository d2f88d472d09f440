"""A real Redis and a real Celery worker: three children with blisters in one site raise one
alert, e-mailed once to the site lead and once to the coordinator, however many checks and
repeated tasks reach the worker."""

from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from attendance.health import services, tasks
from attendance.health.models import OutbreakAlert
from attendance.models import HealthCard
from enrollment.models import HealthCheckMode
from tests.attendance.test_digest_delivery import (
    celery_worker,
    free_port,
    publish_to,
    redis_server,
    wait_for,
)
from tests.factories import enrolled_child

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_the_outbreak_alert_fires_once_not_once_per_child(
    site_a, term_a, carer, site_lead, coordinator, tmp_path, monkeypatch
):

    site_a.health_check = HealthCheckMode.REQUIRED
    site_a.save()
    coordinator.email = "coordinator@example.com"
    coordinator.save()
    children = [enrolled_child(term_a, name=name) for name in ("王小明", "李小红", "张伟")]
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    publish_to(monkeypatch, broker)
    server = redis_server(port)
    mail_dir = tmp_path / "mail"
    worker = celery_worker(broker, tmp_path, EMAIL_HOST="")
    queue = redis.Redis(host="127.0.0.1", port=port)
    try:
        # Three checks at the door, one by one, each queuing the watch after its commit.
        for child in children:
            services.record_arrival_check(
                site=site_a,
                child=child,
                by=carer,
                card=HealthCard.YELLOW,
                signs=["blisters"],
                on_outbreak_watch=tasks.queue_watch,
            )
        # The same watch delivered again, and the next day's within the window.
        tasks.queue_watch(site_a.pk, timezone.localdate())
        tasks.queue_watch(site_a.pk, timezone.localdate() + timedelta(days=1))
        assert wait_for(OutbreakAlert.objects.exists), (tmp_path / "worker.log").read_text()[-3000:]
        # Every task taken and done (the solo worker acks a task after running it).
        assert wait_for(lambda: queue.llen("celery") == 0 and not queue.keys("unacked*"), 30)
        assert wait_for(lambda: mail_dir.exists() and len(list(mail_dir.iterdir())) >= 2, 10)
        alert = OutbreakAlert.objects.get()
        assert (alert.sign, alert.children) == ("blisters", 3)
        sent = sorted(path.read_text() for path in mail_dir.iterdir())
        assert len(sent) == 2
        assert sum("coordinator@example.com" in text for text in sent) == 1
        assert sum("lead@example.com" in text for text in sent) == 1
    finally:
        worker.terminate()
        server.terminate()
        worker.wait(timeout=30)
        server.wait(timeout=30)
