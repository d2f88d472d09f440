"""Check-in under load: 50 tablets checking children in at the same time, on gunicorn and
the configured database (PostgreSQL for figures that mean something).

Each tablet is a thread with its own connection and signed-in session; it taps a child
every 2–4 s, as a worker facing a line of parents would (``--pause 0.5 1.5`` for a stress
run). After every third check-in each tablet also calls the baseline (a bare signed-in
view doing one INSERT), so both are measured in the same run, on the same server, under
the same load. Server time is Django's own (a Server-Timing header, all
middleware included); the time the tablet waited is printed too.

    DATABASE_URL=postgres://... python bench/board_checkin.py [--tablets 50] [--seconds 30]
"""

import argparse
import http.client
import random
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.boardbench import support  # noqa: E402

SITES = 10
PORT = 8765
BASELINE = "/bench/insert/"


def tablet(base, session, paths, seconds, pause, results, barrier):
    host = base.removeprefix("http://")
    conn = http.client.HTTPConnection(host, timeout=30)
    headers = {
        "Cookie": session["cookie"],
        "X-CSRFToken": session["csrf"],
        "Content-Type": "application/x-www-form-urlencoded",
        "HX-Request": "true",
    }
    rng = random.Random()
    barrier.wait()
    deadline = time.monotonic() + seconds
    # Tablets do not all tap at the same instant: each starts somewhere in its first pause.
    time.sleep(rng.uniform(0, pause[1]))
    for index, path in enumerate(paths):
        if time.monotonic() > deadline:
            break
        body = urlencode({"idem": str(uuid.uuid4())})
        started = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        waited = (time.perf_counter() - started) * 1000
        results.append((path, response.status, support.server_ms(response.headers), waited))
        # A baseline call comes in the middle of the worker's pause after a check-in.
        beside_baseline = BASELINE in path or BASELINE in paths[min(index + 1, len(paths) - 1)]
        time.sleep(rng.uniform(*pause) / (2 if beside_baseline else 1))
    conn.close()


def run_phase(base, plans, seconds, pause):
    results = []
    barrier = threading.Barrier(len(plans))
    threads = [
        threading.Thread(target=tablet, args=(base, s, p, seconds, pause, results, barrier))
        for s, p in plans
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - started


def report(name, results, elapsed, baseline=None):
    ok = [r[1:] for r in results if r[1] == 200]
    server = support.summary([r[1] for r in ok])
    waited = support.summary([r[2] for r in ok])
    line = (
        f"{name:<28} {len(ok):>5}/{len(results):<5} {len(results) / elapsed:6.1f}/s  "
        f"server p50 {server['p50']:6.1f} p95 {server['p95']:6.1f} p99 {server['p99']:6.1f} ms  "
        f"waited p95 {waited['p95']:6.1f} ms"
    )
    if baseline:
        ratio_server = server["p95"] / baseline[0]
        ratio_waited = waited["p95"] / baseline[1]
        line += f"  × baseline p95: server {ratio_server:.2f}, waited {ratio_waited:.2f}"
    print(line, flush=True)
    return server["p95"], waited["p95"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tablets", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--children", type=int, default=200)
    parser.add_argument("--pause", type=float, nargs=2, default=(2.0, 4.0))
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    support.setup()
    from django.urls import reverse

    per_site = max(1, args.tablets // SITES)
    sites = support.ensure_sites(SITES, args.children, per_site)
    support.reset_attendance([site for site, _ in sites])
    print(
        f"database: {support.database_name()}; {SITES} sites × {args.children} children, "
        f"{args.tablets} tablets, a tap every {args.pause[0]:g}–{args.pause[1]:g} s, "
        f"{args.seconds:.0f} s",
        flush=True,
    )
    sessions = []
    checkins = []
    for site, users in sites:
        children = support.children_of(site)
        for t, user in enumerate(users):
            sessions.append(support.session_for(user))
            mine = children[t :: len(users)]
            checkins.append(
                [
                    reverse("attendance:check_in", kwargs={"site": site.pk, "child": c.key})
                    for c in mine
                ]
            )
    sessions, checkins = sessions[: args.tablets], checkins[: args.tablets]
    insert = reverse("bench_insert")
    pause = tuple(args.pause)
    with support.gunicorn(PORT, workers=args.workers) as base:
        # Warm every worker and connection.
        run_phase(base, [(s, [insert] * 3) for s in sessions], 5, (0, 0.05))
        # Every tablet alternates a check-in and the bare view, so that both meet the same
        # machine at the same moments (other work on a shared machine comes and goes).
        plans = [
            (
                session,
                [
                    path
                    for n, checkin in enumerate(mine)
                    for path in ((checkin, insert) if n % 3 == 1 else (checkin,))
                ],
            )
            for session, mine in zip(sessions, checkins, strict=True)
        ]
        results, elapsed = run_phase(base, plans, args.seconds, pause)
    baseline = [r for r in results if r[0] == insert]
    checked = [r for r in results if r[0] != insert]
    reference = report("bare view, one INSERT", baseline, elapsed)
    p95, _waited = report("check-in", checked, elapsed, reference)
    from attendance.models import AttendanceRecord

    done = AttendanceRecord.objects.filter(site__in=[s for s, _ in sites], status="present").count()
    print(
        f"children checked in: {done}; target: check-in p95 < 50 ms server time and ≤ 3× the "
        f"bare view → {'met' if p95 < 50 and p95 <= 3 * reference[0] else 'NOT met'}",
        flush=True,
    )
    support.reset_attendance([site for site, _ in sites])


if __name__ == "__main__":
    main()
