"""The tablet's today board for a site with 200 enrolled children, on gunicorn and the
configured database: server time of a full load and of the board's own refresh, and what a
cold load transfers besides the (cached) static files. Baseline: a bare signed-in page
through the same middleware, in the same run.

    DATABASE_URL=postgres://... python bench/board_page.py [--children 200] [--repeat 40]
"""

import argparse
import gzip
import re
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.boardbench import support  # noqa: E402

PORT = 8766


def get(base, path, session, headers=None):
    request = urllib.request.Request(  # noqa: S310 - a local server the script started
        base + path, headers={"Cookie": session["cookie"], **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = response.read()
        return response.status, support.server_ms(response.headers), body


def measure(base, path, session, repeat, headers=None):
    times, size = [], 0
    for _ in range(repeat):
        _status, ms, body = get(base, path, session, headers)
        times.append(ms)
        size = len(body)
    return support.summary(times), size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    support.setup()
    from django.urls import reverse
    from django.utils import timezone

    from attendance import selectors, services

    [(site, users)] = support.ensure_sites(1, args.children, 1)
    support.reset_attendance([site])
    children = support.children_of(site)
    carer = users[0]
    # A mid-morning board: a third here, a few collected early, one absent, one incident.
    for child in children[::3]:
        services.check_in(site=site, child=child, by=carer)
    services.mark_absent(site=site, child=children[1], by=carer, reason="ill")
    services.report_incident(
        site=site,
        child=children[0],
        by=carer,
        kind="injury",
        occurred_at=timezone.now(),
        description="擦伤",
        action_taken="贴创可贴",
    )
    session = support.session_for(carer)
    board = reverse("attendance:site_board", kwargs={"site": site.pk})
    live = reverse("attendance:board_live", kwargs={"site": site.pk})
    bare = reverse("bench_page")
    print(f"database: {support.database_name()}; one site, {len(children)} children", flush=True)
    with support.gunicorn(PORT, workers=2) as base:
        for path in (bare, board, live):
            measure(base, path, session, 3)  # warm up
        baseline, _ = measure(base, bare, session, args.repeat)
        full, html = measure(base, board, session, args.repeat)
        version = selectors.board_version(site, timezone.localdate(), timezone.now()).fingerprint
        poll, _ = measure(base, f"{live}?v={version}", session, args.repeat)
        _status, _ms, body = get(base, board, session)
        static = sorted(set(re.findall(rb'(?:src|href)="(/static/[^"]+)"', body)))
        static_bytes = sum(len(get(base, s.decode(), session)[2]) for s in static)
        queries = count_queries(board, carer)

    def row(name, figures, extra=""):
        ratio = figures["p95"] / baseline["p95"]
        print(
            f"{name:<34} server p50 {figures['p50']:6.1f} p95 {figures['p95']:6.1f} ms"
            f"  × bare page p95 {ratio:5.1f}{extra}",
            flush=True,
        )

    row("bare signed-in page (baseline)", baseline)
    row("today board, full load", full, f"  ({queries} queries)")
    row("board refresh, nothing changed", poll)
    print(
        f"cold load: HTML {html / 1024:.0f} KB ({len(gzip.compress(body)) / 1024:.0f} KB "
        f"gzipped); static files (cached after the first visit) {static_bytes / 1024:.0f} KB; "
        f"targets: < 150 ms server time, < 200 KB → "
        f"{'met' if full['p95'] < 150 and html < 200 * 1024 else 'NOT met'}",
        flush=True,
    )
    support.reset_attendance([site])


def count_queries(path, user):
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return len(captured)


if __name__ == "__main__":
    main()
