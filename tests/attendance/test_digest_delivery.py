"""A real Redis and a real Celery worker: a broker outage delays the daily e-mails but loses
none, and none is sent twice once the broker is back. With a real SMTP server in a thread:
a worker killed mid-send, a mail server slower than the timeout and a broker that lost its
queue still send every e-mail exactly once."""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from email import message_from_bytes

import pytest
import redis
from aiosmtpd.controller import Controller
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


def celery_worker(broker: str, tmp_path, **environment: str) -> subprocess.Popen:
    """A real Celery worker (one task at a time) on ``broker`` and the tests' database, its
    output in ``tmp_path/worker.log``; ``environment`` adds or overrides settings."""
    with open(tmp_path / "worker.log", "w") as log:  # the worker keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "ffs_portal", "worker", "--pool=solo"]
            + ["--loglevel=WARNING", "--without-gossip", "--without-mingle"]
            + ["--without-heartbeat"],
            env={
                **os.environ,
                "REDIS_URL": broker,
                "DATABASE_URL": database_url_of_the_tests(),
                "FFS_VAR_DIR": str(tmp_path),
                **environment,
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def publish_to(monkeypatch, broker: str) -> None:
    from ffs_portal.celery import app

    monkeypatch.setattr(app.conf, "broker_url", broker)
    monkeypatch.setattr(app.conf, "result_backend", broker)
    # Connections are pooled per app and the result backend is kept per thread: start from
    # fresh ones on the test's own broker, and leave the others to the tests that follow.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    monkeypatch.setattr(app, "_local", threading.local())


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
    publish_to(monkeypatch, broker)

    # The broker is down at the hour: the run is recorded, nothing is sent, nothing is lost.
    assert digests.queue_due(send_digest.delay, evening) == 0
    run = DigestRun.objects.get(recipient=coordinator, day=day)
    assert run.status == "queued"

    redis = redis_server(port)
    mail_dir = tmp_path / "mail"
    worker = celery_worker(broker, tmp_path, EMAIL_HOST="")
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


# Faults with a real SMTP server -----------------------------------------------------------

# The worker's lease on a run it claimed, and its SMTP timeout: short, so the tests can
# outlive them.
LEASE_SECONDS = 3
SMTP_TIMEOUT_SECONDS = 1


class MailServer:
    """An SMTP server that keeps what it receives; it can stall a connection's greeting (a
    worker stuck before sending anything) or answer the message slower than the client
    waits (the message is in, the answer is late)."""

    def __init__(self):
        self.messages: list[bytes] = []
        self.greeting_pauses: list[float] = []
        self.answer_pause = 0.0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.greeting_pauses:
            await asyncio.sleep(self.greeting_pauses.pop(0))
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        await asyncio.sleep(self.answer_pause)
        return "250 Message accepted for delivery"

    def received_by(self) -> list[str]:
        return sorted(message_from_bytes(m)["To"] for m in self.messages)

    def message_ids(self) -> list[str]:
        return sorted(message_from_bytes(m)["Message-ID"] for m in self.messages)


@pytest.fixture
def mail_server():
    server = MailServer()
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield server, controller.port
    finally:
        controller.stop()


@pytest.fixture
def broker(monkeypatch):
    """A Redis of the test's own on a free port (emptying it touches nobody else's tasks),
    with the app publishing to it."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    process = redis_server(port)
    publish_to(monkeypatch, url)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


class Workers:
    """Celery workers (one task at a time each) sending through the test's mail server."""

    def __init__(self, broker_url: str, mail_port: int, tmp_path):
        self.env = {
            **os.environ,
            "REDIS_URL": broker_url,
            "DATABASE_URL": database_url_of_the_tests(),
            "FFS_VAR_DIR": str(tmp_path),
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(mail_port),
            "EMAIL_USE_TLS": "false",
            "EMAIL_TIMEOUT": str(SMTP_TIMEOUT_SECONDS),
            "DIGEST_LEASE_SECONDS": str(LEASE_SECONDS),
        }
        self.log_path = tmp_path / "workers.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "ffs_portal", "worker", "--pool=solo"]
            + ["--loglevel=WARNING", "--without-gossip", "--without-mingle"]
            + ["--without-heartbeat"],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def output(self) -> str:
        return self.log_path.read_text()[-3000:]

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            process.wait(timeout=30)
        self.log.close()


@pytest.fixture
def workers(broker, mail_server, tmp_path):
    started = Workers(broker, mail_server[1], tmp_path)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def two_due(coordinator, site_lead, term_a):
    """The coordinator's and the site lead's e-mails are due now, with something to report."""
    enrolled_child(term_a)
    for user, address in [
        (coordinator, "coordinator@example.com"),
        (site_lead, "lead@example.com"),
    ]:
        user.email, user.digest_hour, user.date_joined = address, 0, timezone.now()
        user.save()
    return ["coordinator@example.com", "lead@example.com"]


def statuses() -> list[str]:
    return sorted(DigestRun.objects.values_list("status", flat=True))


def test_a_worker_killed_mid_send_leaves_every_email_sent_once(mail_server, workers, two_due):
    server, _port = mail_server
    server.greeting_pauses = [60]  # the first worker's connection stalls before sending
    first = workers.start()
    assert digests.queue_due(send_digest.delay) == 2
    assert wait_for(lambda: "sending" in statuses()), workers.output()
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    stuck = DigestRun.objects.get(status="sending")

    # The next worker sends the other e-mail; the killed worker's run waits for its lease.
    workers.start()
    assert wait_for(lambda: statuses() == ["sending", "sent"]), workers.output()
    # Its lease ran from the first worker's claim: often out already by now.
    time.sleep(max(0.0, (stuck.lease_until - timezone.now()).total_seconds()) + 0.5)
    # The next beat takes it back and hands it over again.
    assert digests.queue_due(send_digest.delay) == 1
    assert wait_for(lambda: statuses() == ["sent", "sent"]), workers.output()
    assert server.received_by() == two_due
    stuck.refresh_from_db()
    assert stuck.attempts == 2
    assert server.message_ids() == sorted(run.message_id for run in DigestRun.objects.all())
    # Further beats send nothing more.
    assert digests.queue_due(send_digest.delay) == 0
    time.sleep(1)
    assert len(server.messages) == 2


def test_a_mail_server_slower_than_the_timeout_gets_no_email_twice(mail_server, workers, two_due):
    server, _port = mail_server
    server.answer_pause = SMTP_TIMEOUT_SECONDS + 2  # it takes each message, answers too late
    workers.start()
    assert digests.queue_due(send_digest.delay) == 2
    assert wait_for(lambda: statuses() == ["unknown", "unknown"]), workers.output()
    assert all(run.last_error for run in DigestRun.objects.all())
    # No retry by the task nor by the beat, even once every lease has run out.
    time.sleep(LEASE_SECONDS + 2)
    assert digests.queue_due(send_digest.delay) == 0
    time.sleep(2)
    assert server.received_by() == two_due
    assert statuses() == ["unknown", "unknown"]
    assert [run.attempts for run in DigestRun.objects.all()] == [1, 1]


def test_tasks_lost_by_the_broker_are_all_sent_by_the_next_tick(
    broker, mail_server, workers, two_due
):
    server, _port = mail_server
    assert digests.queue_due(send_digest.delay) == 2  # no worker yet: the tasks wait in Redis
    queue = redis.Redis.from_url(broker)
    assert queue.llen("celery") == 2
    queue.flushdb()  # the broker restarts empty
    workers.start()
    time.sleep(3)
    assert statuses() == ["queued", "queued"] and server.messages == []
    # The database still says what is left to send: the next tick hands both over again.
    assert digests.queue_due(send_digest.delay) == 2
    assert wait_for(lambda: statuses() == ["sent", "sent"]), workers.output()
    assert server.received_by() == two_due
    assert digests.queue_due(send_digest.delay) == 0
