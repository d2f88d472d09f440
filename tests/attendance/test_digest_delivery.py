"""A real Redis and a real Celery worker: a broker outage delays the daily e-mails but loses
none, and none is sent twice once the broker is back."""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from datetime import time as clock_time

import pytest
from django.db import connection
from django.utils import timezone

from attendance import digests
from attendance.models import DigestRun
from ffs_portal.outcomes.tasks import send_digest
from tests.factories import enrolled_child

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_server(port: int) -> subprocess.Popen:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is needed for the broker outage test")
        pytest.skip("needs redis-server (CI installs it); everything else runs without it")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("redis-server did not start")


def database_url_of_the_tests() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST'] or '127.0.0.1'}"
        f":{settings['PORT'] or 5432}/{settings['NAME']}"
    )


def wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def test_a_broker_outage_delays_digests_but_loses_none_and_sends_none_twice(
    coordinator, site_lead, term_a, tmp_path, monkeypatch
):
    from ffs_portal.celery import app

    enrolled_child(term_a)  # site A is open today with a child on its list: something to report
    site_lead.digest_enabled = False  # only the coordinator's e-mail is due in this story
    site_lead.save()
    coordinator.email = "coordinator@example.com"
    coordinator.date_joined = timezone.now() - timedelta(days=30)
    coordinator.save()
    day = timezone.localdate()
    DigestRun.objects.create(
        recipient=coordinator, day=day - timedelta(days=1), status="sent", sent_at=timezone.now()
    )
    evening = datetime.combine(day, clock_time(19, 30), tzinfo=timezone.get_current_timezone())
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    monkeypatch.setattr(app.conf, "broker_url", broker)
    monkeypatch.setattr(app.conf, "result_backend", broker)
    # Connections are pooled per app and the result backend is kept per thread: start from
    # fresh ones on the test's own broker, and leave the others to the tests that follow.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    monkeypatch.setattr(app, "_local", threading.local())

    # The broker is down at the hour: the run is recorded, nothing is sent, nothing is lost.
    assert digests.queue_due(send_digest.delay, evening) == 0
    run = DigestRun.objects.get(recipient=coordinator, day=day)
    assert run.status == "queued"

    redis = redis_server(port)
    mail_dir = tmp_path / "mail"
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed in finally
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ffs_portal",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env={
            **os.environ,
            "REDIS_URL": broker,
            "DATABASE_URL": database_url_of_the_tests(),
            "FFS_VAR_DIR": str(tmp_path),
            "EMAIL_HOST": "",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # The broker is back: the next beat tick hands the run over and it is sent once.
        assert digests.queue_due(send_digest.delay, evening) == 1
        assert wait_for(lambda: DigestRun.objects.get(pk=run.pk).status == "sent"), (
            tmp_path / "worker.log"
        ).read_text()[-3000:]
        assert wait_for(lambda: mail_dir.exists() and len(list(mail_dir.iterdir())) == 1, 10)
        # A second beat and a task delivered twice change nothing.
        assert digests.queue_due(send_digest.delay, evening) == 0
        send_digest.delay(run.pk)
        # The worker takes tasks one by one: once the next run is sent, the duplicate was
        # handled before it.
        other = DigestRun.objects.create(recipient=site_lead, day=day)
        send_digest.delay(other.pk)
        assert wait_for(lambda: DigestRun.objects.get(pk=other.pk).status == "sent")
        assert wait_for(lambda: len(list(mail_dir.iterdir())) == 2, 10)
        assert DigestRun.objects.get(pk=run.pk).attempts == 1
        recipients = sorted(
            path.read_text().count("coordinator@example.com") for path in mail_dir.iterdir()
        )
        assert recipients == [0, 1]
    finally:
        worker.terminate()
        redis.terminate()
        worker.wait(timeout=30)
        redis.wait(timeout=30)
        log.close()
