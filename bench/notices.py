"""Benchmark: messages to families, from the act to the message delivered.

Starts real Celery processes on the configured Redis (``REDIS_URL``) and database: beat,
which hands the outbox's queued messages to the workers every 10 s, and one worker (the
file backend, each message written under a temporary folder). Then:

1. **act → delivered**: ``--acts`` children are checked in, then handed over to a parent
   one after another, a pause of 1–3 s between them as at a real gate. Each hand-over writes
   its message in its own transaction; the time is from that commit to the message's
   ``sent_at``. Baseline in the same run: as many messages handed to the worker directly
   after their commit (``send_notice.delay``), without waiting for beat's tick.
2. **closing**: 1,000 messages written at once (one transaction, as at a site's closing),
   a second worker started, and the time from the commit until the last one is sent.
   Baseline in the same run: the same 1,000 messages delivered one after another in this
   process, without Celery (what the sending itself costs).

    python bench/notices.py [--acts 30] [--closing 1000]

Targets: act → delivered p95 under 15 s with one worker; 1,000 messages drained by two
workers in under 60 s.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ffs_portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from attendance import services as attendance  # noqa: E402
from ffs_portal.celery import app  # noqa: E402
from ffs_portal.demo import generate  # noqa: E402
from ffs_portal.models import Role  # noqa: E402
from ffs_portal.notices import services as notices  # noqa: E402
from ffs_portal.notices.models import Notice, NoticeKind, NoticeStatus  # noqa: E402
from ffs_portal.notices.tasks import send_notice  # noqa: E402
from tests.factories import (  # noqa: E402
    FactoryFactory,
    SiteFactory,
    TermFactory,
    UserFactory,
    enrolled_child,
)

CODE = "bench-notices"
TARGET_ACT_SECONDS = 15
TARGET_DRAIN_SECONDS = 60


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def start(role: str, folder: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "celery", "-A", "ffs_portal"]
    if role == "beat":
        command += ["beat", "--loglevel=WARNING", f"--schedule={folder / 'beat-schedule'}"]
    else:
        command += [
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            f"--hostname={role}@bench",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    log = open(folder / f"{role}.log", "w")  # noqa: SIM115 - the process keeps it
    env = {**os.environ, "FFS_VAR_DIR": str(folder), "NOTICE_BACKEND": "file"}
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_until_sent(ids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not Notice.objects.filter(pk__in=ids).exclude(status=NoticeStatus.SENT).exists():
            return True
        time.sleep(0.2)
    return False


def remove() -> None:
    generate.remove_generated(prefix=CODE)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--acts", type=int, default=30)
    parser.add_argument("--closing", type=int, default=1000)
    args = parser.parse_args()
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        sys.exit("Set REDIS_URL: the benchmark needs a real broker.")
    remove()
    factory = FactoryFactory(code=CODE, name="基准工厂")
    site = SiteFactory(factory=factory, name="基准空间")
    term = TermFactory(site=site)
    carer = UserFactory(username=f"{CODE}-carer", role=Role.CHILDCARE, sites=[site])
    children = [enrolled_child(term, name=f"孩子{n}") for n in range(2 * args.acts)]
    for child in children:
        child.consents.update(covers_messages=True)
        attendance.check_in(site=site, child=child, by=carer)
    app.control.purge()
    folder = Path(tempfile.mkdtemp(prefix="notices-"))
    processes = [start("beat", folder), start("worker1", folder)]
    rng = random.Random(2026)
    try:
        time.sleep(8)  # the worker and beat connect
        # 1. act → delivered, through beat's tick; and the baseline, handed at once.
        through_beat, direct = [], []
        for number, child in enumerate(children):
            parent = child.family.workers.get()
            with override_settings(NOTICE_FILE_PATH=folder / "messages"):
                attendance.check_out(site=site, child=child, collector=parent, by=carer)
            committed = timezone.now()
            notice = Notice.objects.get(child=child, kind=NoticeKind.COLLECTED)
            if number % 2:
                send_notice.delay(notice.pk)
                direct.append((notice.pk, committed))
            else:
                through_beat.append((notice.pk, committed))
            time.sleep(rng.uniform(1, 3))
        ids = [pk for pk, _ in through_beat + direct]
        if not wait_until_sent(ids, 60):
            raise SystemExit((folder / "worker1.log").read_text()[-3000:])
        sent = dict(Notice.objects.filter(pk__in=ids).values_list("pk", "sent_at"))
        beat_seconds = [(sent[pk] - at).total_seconds() for pk, at in through_beat]
        direct_seconds = [(sent[pk] - at).total_seconds() for pk, at in direct]

        # 2. closing: 1,000 messages at once, two workers.
        processes.append(start("worker2", folder))
        time.sleep(8)
        family, child = children[0].family, children[0]
        rows = [
            Notice(
                event=f"{CODE}:{n}",
                kind=NoticeKind.COLLECTED,
                family=family,
                child=child,
                site=site,
                mobile=f"139{n:08d}",
                channel="file",
                params=[child.name, "18:00", "—", ""],
                body=f"【FFS】{child.name} {n}",
            )
            for n in range(args.closing)
        ]
        with transaction.atomic():
            Notice.objects.bulk_create(rows)
        committed = timezone.now()
        closing_ids = list(
            Notice.objects.filter(event__startswith=f"{CODE}:").values_list("pk", flat=True)
        )
        if not wait_until_sent(closing_ids, 300):
            raise SystemExit((folder / "worker2.log").read_text()[-3000:])
        last = max(Notice.objects.filter(pk__in=closing_ids).values_list("sent_at", flat=True))
        drain_seconds = (last - committed).total_seconds()
        by_worker = Notice.objects.filter(pk__in=closing_ids).values_list("attempts", flat=True)
        twice = sum(1 for attempts in by_worker if attempts != 1)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(20)

    # Baseline of the closing: the same messages again, delivered here without Celery.
    Notice.objects.filter(pk__in=closing_ids).update(status=NoticeStatus.QUEUED)
    with override_settings(NOTICE_FILE_PATH=folder / "baseline"):
        started = time.perf_counter()
        for pk in closing_ids:
            notices.deliver(pk)
        inline_seconds = time.perf_counter() - started
    remove()

    print()
    print(f"Load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"{'what':<58}{'p50 s':>8}{'p95 s':>8}{'max s':>8}")
    for label, values in (
        ("baseline: handed to the worker at once after the commit", direct_seconds),
        ("act → delivered, through beat's 10 s tick (1 worker)", beat_seconds),
    ):
        print(f"{label:<58}{statistics.median(values):>8.2f}{p95(values):>8.2f}{max(values):>8.2f}")
    verdict = "met" if p95(beat_seconds) < TARGET_ACT_SECONDS else "NOT met"
    print(f"Target: p95 under {TARGET_ACT_SECONDS} s — {verdict}")
    print()
    print(f"{'what':<58}{'seconds':>8}{'× base':>8}")
    print(
        f"{f'baseline: {len(closing_ids)} delivered in one process':<58}{inline_seconds:>8.2f}{1:>8.1f}"
    )
    print(
        f"{f'{len(closing_ids)} queued at closing, drained by 2 workers':<58}"
        f"{drain_seconds:>8.2f}{drain_seconds / inline_seconds:>8.1f}"
    )
    print(f"Messages sent more than once: {twice}")
    verdict = "met" if drain_seconds < TARGET_DRAIN_SECONDS else "NOT met"
    print(f"Target: under {TARGET_DRAIN_SECONDS} s — {verdict}")


if __name__ == "__main__":
    main()
