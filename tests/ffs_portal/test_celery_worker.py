"""A real Celery worker process, on the configured broker (Redis in CI), runs a task."""

import os
import subprocess
import sys
import time

import pytest

from ffs_portal.tasks import ping

pytestmark = pytest.mark.celery_worker


@pytest.fixture
def worker():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ffs_portal",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        env={**os.environ},
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_real_worker_completes_a_task(worker):
    started = time.monotonic()
    result = ping.delay()
    assert result.get(timeout=60) == "pong"
    assert worker.poll() is None, "the worker exited"
    assert time.monotonic() - started < 60
