"""The tablet offline, in a real Chromium (1024×768) on gunicorn and the configured database:

- offline tap → tile: a registered, unlocked tablet loses the network; each check-in tapped
  is on its tile (in, waiting to be sent) — timed in the page from the tap to the tile's
  change (target < 100 ms);
- replay: the network comes back with 200 acts waiting in the tablet's outbox; from then
  until the outbox is empty and the database holds each act (target < 10 s), with the counts:
  queued, applied, duplicated (must be 0), lost (must be 0), conflicts for the lead.

The baseline measured in the same run is one bare request from the page; figures as ratios
to it, and against the targets.

    DATABASE_URL=postgres://... python bench/tablet_offline.py [--children 200]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import tablet_ui  # noqa: E402
from bench.boardbench import support  # noqa: E402

PORT = 8769


def prepare(children: int):
    from django.utils import timezone

    from attendance.tablet.models import OfflineAct, Tablet
    from staff import services as staff_services
    from staff.models import DutyPeriod

    [(site, users)] = support.ensure_sites(1, children, 1)
    support.reset_attendance([site])
    OfflineAct.objects.filter(site=site).delete()
    DutyPeriod.objects.filter(site=site).delete()
    worker = users[0]
    staff_services.pin_set(
        profile=staff_services.profile_for(worker), pin=tablet_ui.PINS[0], by=None
    )
    DutyPeriod.objects.create(site=site, user=worker, clock_in_at=timezone.now())
    tablet, _new = Tablet.objects.get_or_create(site=site, name="基准平板", revoked_at=None)
    return site, worker, tablet


def until(page, script: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not page.evaluate(script):
        if time.monotonic() > deadline:
            raise SystemExit(f"not true within {seconds} s: {script}")
        page.wait_for_timeout(20)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=200)
    args = parser.parse_args()
    support.setup()
    # The database is read between the browser's steps, in Playwright's event loop.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from django.urls import reverse
    from playwright.sync_api import sync_playwright

    from attendance.models import AttendanceRecord
    from attendance.tablet import middleware
    from attendance.tablet.models import OfflineAct, OfflineOutcome

    site, worker, tablet = prepare(args.children)
    children = support.children_of(site)
    with support.gunicorn(PORT, workers=2) as base, sync_playwright() as playwright:
        launch = {"args": tablet_ui.ARGS}
        if Path(tablet_ui.CHROMIUM).exists():
            launch["executable_path"] = tablet_ui.CHROMIUM
        browser = playwright.chromium.launch(**launch)
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        context.add_cookies(
            [{"name": middleware.COOKIE, "value": tablet_ui.cookie_for(tablet), "url": base}]
        )
        page = context.new_page()
        page.goto(base + reverse("tablet:lock_screen"))
        page.locator(".face", has_text=str(worker)).click()
        for digit in tablet_ui.PINS[0]:
            page.locator(f".key[data-key='{digit}']").click()
        page.locator(".key-ok").click()
        page.wait_for_selector("#board .tile")
        page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        page.wait_for_selector("#board .tile")
        until(page, "() => navigator.serviceWorker.controller !== null && !!window.ffsOutbox", 15)
        until(page, f"() => window.ffsOutbox.get('roster-{site.pk}').then((r) => !!r)", 15)
        bare_ms = page.evaluate(
            """async (url) => { const times = [];
                 for (let i = 0; i < 20; i++) { const t = performance.now();
                   await (await fetch(url)).text(); times.push(performance.now() - t); }
                 times.sort((a, b) => a - b); return times[10]; }""",
            reverse("bench_page"),
        )
        # Each tile's change, timed in the page from the tap.
        page.evaluate(
            """() => {
              window.__taps = {}; window.__shown = {};
              document.addEventListener("click", (event) => {
                const tile = event.target.closest(".tile");
                if (tile) window.__taps[tile.id] = performance.now();
              }, true);
              new MutationObserver(() => {
                document.querySelectorAll('.tile[data-s="present"]').forEach((tile) => {
                  if (tile.id in window.__taps && !(tile.id in window.__shown))
                    window.__shown[tile.id] = performance.now();
                });
              }).observe(document.getElementById("board"),
                         { subtree: true, childList: true, attributes: true });
            }"""
        )
        context.set_offline(True)
        ids = [f"t-{child.key}" for child in children]
        for tile_id in ids:
            page.locator(f"#{tile_id} .tm").click()
            until(page, f'() => "{tile_id}" in window.__shown', 5)
        taps = page.evaluate(
            "(ids) => ids.map((id) => window.__shown[id] - window.__taps[id])", ids
        )
        queued = page.evaluate("() => window.ffsOutbox.count()")
        assert not AttendanceRecord.objects.filter(child__in=children).exists()

        began = time.perf_counter()
        context.set_offline(False)
        until(page, "() => window.ffsOutbox.count().then((n) => n === 0)", 60)
        replay_seconds = time.perf_counter() - began
        browser.close()

    records = AttendanceRecord.objects.filter(child__in=children)
    applied = records.count()
    duplicated = applied - records.values("child").distinct().count()
    acts = OfflineAct.objects.filter(site=site)
    conflicts = acts.filter(outcome=OfflineOutcome.CONFLICT).count()
    tap_p95 = support.percentile(taps, 95)
    print(
        f"database: {support.database_name()}; {len(children)} children expected; bare request "
        f"from the page {bare_ms:.0f} ms (baseline)",
        flush=True,
    )
    print(
        f"offline tap → tile (in, waiting): median {statistics.median(taps):.0f} ms, p95 "
        f"{tap_p95:.0f} ms, worst {max(taps):.0f} ms, × bare request {tap_p95 / bare_ms:.1f} "
        f"(target < 100 ms) → {'met' if tap_p95 < 100 else 'NOT met'}",
        flush=True,
    )
    print(
        f"replay of {queued} queued acts: {replay_seconds:.1f} s, "
        f"× bare request {replay_seconds * 1000 / bare_ms:.0f} (target < 10 s) → "
        f"{'met' if replay_seconds < 10 else 'NOT met'}; applied {applied}, recorded as offline "
        f"acts {acts.count()}, duplicated {duplicated}, lost {queued - applied}, conflicts "
        f"{conflicts}",
        flush=True,
    )
    support.reset_attendance([site])


if __name__ == "__main__":
    main()
