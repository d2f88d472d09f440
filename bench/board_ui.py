"""A scripted childcare worker in a real Chromium (1024×768) checks 30 children in, one tap
each, then hands each of them over to a parent (tap, choose, confirm), on gunicorn and the
configured database. It prints the time per child the interface adds on top of the
server's own time (Server-Timing), against the target of 0.5 s, and a baseline measured in
the same run: one bare request from the same page. Times are taken inside the page, from
the tap to the tile (or the sheet) on screen: the pauses of the script between taps, which
stand for the worker's own, are not counted.

    DATABASE_URL=postgres://... python bench/board_ui.py [--children 30]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.boardbench import support  # noqa: E402

PORT = 8767
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=30)
    args = parser.parse_args()
    support.setup()
    from django.urls import reverse
    from playwright.sync_api import sync_playwright

    [(site, users)] = support.ensure_sites(1, 200, 1)
    support.reset_attendance([site])
    children = support.children_of(site)[: args.children]
    session = support.session_for(users[0])
    board = reverse("attendance:site_board", kwargs={"site": site.pk})
    bare = reverse("bench_page")
    server = []

    def on_response(response):
        timing = response.headers.get("server-timing", "")
        if "dur=" in timing and "/static/" not in response.url:
            server.append(float(timing.split("dur=")[1]))

    with support.gunicorn(PORT, workers=2) as base, sync_playwright() as playwright:
        launch = {"args": ARGS}
        if Path(CHROMIUM).exists():
            launch["executable_path"] = CHROMIUM
        browser = playwright.chromium.launch(**launch)
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        context.add_cookies(
            [
                {"name": "sessionid", "value": session["sessionid"], "url": base},
                {"name": "csrftoken", "value": session["csrftoken"], "url": base},
            ]
        )
        page = context.new_page()
        page.goto(base + board)
        page.wait_for_selector("#board")
        bare_ms = page.evaluate(
            """async (url) => { const times = [];
                 for (let i = 0; i < 20; i++) { const t = performance.now();
                   await (await fetch(url)).text(); times.push(performance.now() - t); }
                 times.sort((a, b) => a - b); return times[10]; }""",
            bare,
        )
        page.on("response", on_response)
        # Timestamps taken inside the page: each tap, each tile replaced, each sheet shown.
        page.evaluate(
            """() => {
              window.__taps = [];
              window.__tiles = {};
              window.__sheets = [];
              document.addEventListener("click", () => window.__taps.push(performance.now()), true);
              new MutationObserver((mutations) => {
                for (const m of mutations) for (const n of m.addedNodes)
                  if (n.id && n.id.startsWith("t-"))
                    window.__tiles[n.id + ":" + n.dataset.s] = performance.now();
              }).observe(document.getElementById("board"), { childList: true, subtree: true });
              document.getElementById("sheet").addEventListener(
                "shown.bs.modal", () => window.__sheets.push(performance.now()));
            }"""
        )

        def last_tap():
            return page.evaluate("() => window.__taps[window.__taps.length - 1]")

        def tile_at(key, status):
            return page.evaluate(f"() => window.__tiles['t-{key}:{status}']")

        ins, outs = [], []
        script_started = time.perf_counter()
        for child in children:
            before = len(server)
            page.locator(f"#t-{child.key} .tm").click()
            tapped = last_tap()
            page.wait_for_selector(f"#t-{child.key}[data-s=present]")
            ins.append((tile_at(child.key, "present") - tapped, sum(server[before:])))
        for child in children:
            before = len(server)
            page.locator(f"#t-{child.key} .tm").click()
            tapped = last_tap()
            page.wait_for_selector("#sheet.show .collector")
            shown = page.evaluate("() => window.__sheets[window.__sheets.length - 1]")
            page.locator("#sheet .collector").first.click()
            page.locator("#sheet .checkout button[type=submit]").click()
            confirmed = last_tap()
            page.wait_for_selector(f"#t-{child.key}[data-s=collected]")
            page.wait_for_selector("#sheet", state="hidden")
            done = tile_at(child.key, "collected")
            outs.append(((shown - tapped) + (done - confirmed), sum(server[before:])))
        script_seconds = time.perf_counter() - script_started
        browser.close()

    def figures(name, rows):
        wall = statistics.median(r[0] for r in rows)
        ui = statistics.median(r[0] - r[1] for r in rows)
        server_ms = statistics.median(r[1] for r in rows)
        print(
            f"{name:<34} on screen after {wall:5.0f} ms, server {server_ms:4.0f} ms, "
            f"interface {ui:4.0f} ms  × bare request {ui / bare_ms:4.1f}",
            flush=True,
        )
        return ui

    print(
        f"database: {support.database_name()}; {len(children)} children; bare request from "
        f"the page {bare_ms:.0f} ms (baseline)",
        flush=True,
    )
    ui_in = figures("check-in (one tap)", ins)
    ui_out = figures("check-out (tap, choose, confirm)", outs)
    per_child = ui_in + ui_out
    print(
        f"the script itself (Playwright's own round trips included): "
        f"{script_seconds / len(children):.2f} s per child, in and out",
        flush=True,
    )
    print(
        f"interface time per child, in and out: {per_child / 1000:.2f} s (target < 0.5 s) → "
        f"{'met' if per_child < 500 else 'NOT met'}",
        flush=True,
    )
    support.reset_attendance([site])


if __name__ == "__main__":
    main()
