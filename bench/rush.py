"""The morning rush: 50 → 400 tablets on nginx and gunicorn as docker-compose runs them.

Each tablet is a thread doing what the board's JavaScript does on a registered tablet:
unlock with a PIN (the lock screen, then the PIN form), open the board, then tap a child
every 2–4 s (a POST with an idempotency key, sent again with the same key after 1, 2, 4, 8
and 15 s when the answer is a 5xx, a 429 or nothing within 10 s) and refresh the board
every 5 s with the version it holds (204 when nothing changed) as the script does: not within
4 s of a tap, so a worker tapping every 2–4 s rarely refreshes. ``--refresh always`` refreshes
every 5 s whatever the worker does: the heavier case, as if every tablet were a room's tablet
watching the door's.

Every step starts from a morning with nobody checked in; the tablets of a step unlock and
open their boards at once ("open"), and the door opens when every tablet is ready, as at a
site where the workers unlock their tablets before the first families come: check-ins per
second are counted from that moment to the last acknowledgement. The baseline, measured in the same run under the same load, is a bare
signed-in view doing one INSERT (`bench/boardbench/urls.py`), called by every tenth tablet
between its taps. Figures: check-ins acknowledged per second, the time from the first send
of a tap to its acknowledgement (p50/p95/p99, retries included), the requests the server
answered 503, the tablets' timeouts, and a check at the end that every acknowledged
check-in is in the database once.

    DATABASE_URL=postgres://... python bench/rush.py [--steps 50 100 200 300 350 400]
        [--seconds 40] [--workers 8] [--threads 2]

nginx must be installed (Debian: nginx-light); ``--no-proxy`` talks to gunicorn directly.
"""

import argparse
import collections
import http.client
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.boardbench import support  # noqa: E402

FACTORY = "bench-rush"
TABLETS_PER_SITE = 4
CHILDREN = 100
PIN = "2468"
GUNICORN_PORT = 8771
PROXY_PORT = 8772
TIMEOUT = 10  # the board's TIMEOUT_MS
BACKOFF = (1, 2, 4, 8, 15, 15)  # the board's BACKOFF
REFRESH = 5
ERRORS = collections.Counter()  # what the tablets' requests failed with, for --verbose
VERSION = re.compile(r'id="board-live"[^>]*data-version="([^"]*)"')


class Tablet(threading.Thread):
    def __init__(self, host, plan, seconds, refresh_mode, baseline, log, barriers):
        super().__init__(daemon=True)
        self.start_barrier, self.ready_barrier, self.end_barrier = barriers
        self.host, self.plan, self.seconds = host, plan, seconds
        self.refresh_mode, self.baseline, self.log = refresh_mode, baseline, log
        self.cookies = {"ffs_tablet": plan["tablet_cookie"], "csrftoken": plan["csrf"]}
        self.conn = None
        self.version = ""
        self.rng = random.Random()

    # -- one request, as fetch() sends it ---------------------------------------------------

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body, seconds); status 0 when nothing came within TIMEOUT."""
        all_headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Accept-Language": "zh-CN",
            **(headers or {}),
        }
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
            all_headers["X-CSRFToken"] = self.cookies["csrftoken"]
        started = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, timeout=TIMEOUT)
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            ERRORS[f"{type(error).__name__} {error}"[:80]] += 1
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return 0, {}, b"", time.perf_counter() - started
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.headers, data, time.perf_counter() - started

    def note(self, kind, status, seconds, server=float("nan")):
        self.log.append((kind, status, seconds * 1000, server, time.monotonic()))

    # -- the tablet's morning ----------------------------------------------------------------

    def run(self):
        try:
            self.morning()
        finally:
            self.again()

    def again(self):
        """Every tablet of the step opens its board again at the same moment (a power cut
        over, the Wi-Fi back): the board alone, the tablets already unlocked."""
        try:
            self.end_barrier.wait(timeout=self.seconds + 120)
        except threading.BrokenBarrierError:
            return
        status, headers, _b, seconds = self.request("GET", self.plan["board"])
        self.note("board at once", status, seconds, support.server_ms(headers))
        if self.conn is not None:
            self.conn.close()

    def morning(self):
        self.start_barrier.wait()
        started = time.perf_counter()
        opened = self.open_board()
        self.note("opened", 200 if opened else -1, time.perf_counter() - started)
        # The door opens once every tablet is ready (or has given up), as at a site where the
        # workers unlock their tablets before the first families arrive.
        with suppress(threading.BrokenBarrierError):
            self.ready_barrier.wait(timeout=120)
        if not opened:
            return
        self.log.append(("door opens", None, 0, 0, time.monotonic()))
        deadline = time.monotonic() + self.seconds
        children = list(self.plan["children"])
        now = time.monotonic()
        next_tap = now + self.rng.uniform(0, 4)
        next_refresh = now + self.rng.uniform(0, REFRESH)
        last_touch = 0.0
        taps = 0
        while children:
            now = time.monotonic()
            if now > deadline:
                break
            if next_refresh <= now:
                touched = now - last_touch < REFRESH - 1
                if self.refresh_mode == "always" or not touched:
                    self.refresh()
                next_refresh += REFRESH
            if next_tap <= time.monotonic():
                self.tap(children.pop(0))
                taps += 1
                last_touch = time.monotonic()
                if self.baseline and taps % 2 == 0:
                    self.bare()
                next_tap = time.monotonic() + self.rng.uniform(2, 4)
            time.sleep(max(0, min(next_tap, next_refresh) - time.monotonic()))

    def open_board(self) -> bool:
        """The lock screen, the PIN and the board, each tried again after a busy answer or
        none, with the board's backoff, as the worker would press again."""
        steps = (
            ("lock screen", "GET", self.plan["lock"], None, 200),
            (
                "unlock",
                "POST",
                self.plan["unlock"],
                {"person": self.plan["person"], "pin": PIN},
                302,
            ),
            ("board", "GET", self.plan["board"], None, 200),
        )
        for kind, method, path, form, expected in steps:
            body = urlencode(form) if form else None
            first = time.perf_counter()
            for attempt in range(len(BACKOFF) + 1):
                status, headers, data, seconds = self.request(method, path, body)
                if status == expected or 0 < status < 500 and status != 429:
                    break
                self.note(f"{kind} request", status, seconds)
                if attempt < len(BACKOFF):
                    time.sleep(BACKOFF[attempt])
            self.note(kind, status, time.perf_counter() - first, support.server_ms(headers))
            if status != expected:
                return False
        match = VERSION.search(data.decode("utf-8", "replace"))
        self.version = match.group(1) if match else ""
        return True

    def tap(self, path):
        """A check-in, sent again with the same key until the portal answers for it."""
        body = urlencode({"idem": str(uuid.uuid4())})
        headers = {"HX-Request": "true"}
        first = time.perf_counter()
        for attempt in range(len(BACKOFF) + 1):
            status, answer, _b, seconds = self.request("POST", path, body, headers)
            self.note("check-in request", status, seconds, support.server_ms(answer))
            if status == 200:
                self.note("check-in", 200, time.perf_counter() - first)
                self.plan["acknowledged"].append(path)
                return
            if 0 < status < 500 and status != 429:
                self.note("check-in", status, time.perf_counter() - first)
                return
            if attempt < len(BACKOFF):
                time.sleep(BACKOFF[attempt])
        self.note("check-in", -1, time.perf_counter() - first)

    def refresh(self):
        path = f"{self.plan['live']}?{urlencode({'v': self.version, 'q': ''})}"
        headers = {"HX-Request": "true", "X-Tablet-Poll": "1"}
        status, answer, body, seconds = self.request("GET", path, headers=headers)
        self.note(f"refresh {status}", status, seconds, support.server_ms(answer))
        if status == 200:
            match = VERSION.search(body.decode("utf-8", "replace"))
            if match:
                self.version = match.group(1)

    def bare(self):
        status, answer, _b, seconds = self.request("POST", "/bench/insert/", "x=1")
        self.note("bare INSERT", status, seconds, support.server_ms(answer))


def prepare(tablets):
    """Sites of a rush factory (CHILDREN enrolled, TABLETS_PER_SITE registered tablets and
    workers with a PIN each), and each tablet's plan."""
    from django.urls import reverse

    from attendance.tablet import middleware
    from attendance.tablet.models import Tablet as TabletRow
    from staff import pins
    from staff.models import StaffProfile

    sites = support.ensure_sites(
        -(-tablets // TABLETS_PER_SITE), CHILDREN, TABLETS_PER_SITE, factory=FACTORY
    )
    encoded = pins.encode(PIN)
    plans = []
    for site, users in sites:
        children = support.children_of(site)
        for t, user in enumerate(users):
            StaffProfile.objects.update_or_create(
                user=user, defaults={"pin": encoded, "pin_failures": 0, "pin_locked_until": None}
            )
            row, _ = TabletRow.objects.get_or_create(
                site=site, name=f"门口{t + 1}", revoked_at=None
            )
            plans.append(
                {
                    "site": site,
                    "tablet_cookie": middleware.cookie_value(row),
                    "csrf": support.session_for(user)["csrf"],
                    "person": user.pk,
                    "lock": reverse("tablet:lock_screen"),
                    "unlock": reverse("tablet:unlock"),
                    "board": reverse("attendance:site_board", kwargs={"site": site.pk}),
                    "live": reverse("attendance:board_live", kwargs={"site": site.pk}),
                    "children": [
                        reverse("attendance:check_in", kwargs={"site": site.pk, "child": c.key})
                        for c in children[t::TABLETS_PER_SITE]
                    ],
                    "acknowledged": [],
                }
            )
    return [site for site, _ in sites], plans[:tablets]


NGINX = """
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    {site}
}}
"""


@contextmanager
def proxy(upstream_port):
    """nginx with the portal's own site configuration (ffs_portal/deploy/nginx.conf), its
    upstream pointed at the local gunicorn."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    site = (support.BASE_DIR / "ffs_portal" / "deploy" / "nginx.conf").read_text()
    site = site.replace("server web:8000;", f"server 127.0.0.1:{upstream_port};")
    site = site.replace("listen 8080;", f"listen 127.0.0.1:{PROXY_PORT};")
    with tempfile.TemporaryDirectory() as prefix:
        conf = Path(prefix) / "nginx.conf"
        conf.write_text(NGINX.format(prefix=prefix, site=site))
        process = subprocess.Popen([nginx, "-p", prefix, "-c", str(conf), "-g", "daemon off;"])
        try:
            time.sleep(0.5)
            if process.poll() is not None:
                raise RuntimeError("nginx did not start")
            yield f"127.0.0.1:{PROXY_PORT}"
        finally:
            process.terminate()
            process.wait(timeout=10)


def step(host, sites, plans, seconds, refresh_mode):
    from attendance.models import AttendanceRecord

    support.reset_attendance(sites)
    support.clear_sessions()
    log = []
    barriers = [threading.Barrier(len(plans)) for _ in range(3)]  # start, door, again
    tablets = [
        Tablet(host, plan, seconds, refresh_mode, n % 10 == 0, log, barriers)
        for n, plan in enumerate(plans)
    ]
    for plan in plans:
        plan["acknowledged"].clear()
    for tablet in tablets:
        tablet.start()
    for tablet in tablets:
        tablet.join()
    acknowledged = [path for plan in plans for path in plan["acknowledged"]]
    stored = AttendanceRecord.objects.filter(site__in=sites, status="present").count()
    return log, len(acknowledged), len(set(acknowledged)), stored


def calibration() -> float:
    """Milliseconds one fixed loop of pure Python takes on this machine now, measured before
    each step while nothing else runs: the host's speed at that moment, which varies (the
    same loop has taken from 520 to 870 ms here within an hour)."""
    started = time.process_time()
    sum(i * i for i in range(10_000_000))
    return (time.process_time() - started) * 1000


def figures(log, kind):
    rows = [r for r in log if r[0] == kind]
    ok = [r for r in rows if r[1] in (200, 204, 302)]
    return rows, support.summary([r[2] for r in ok]), support.summary([r[3] for r in ok])


def timeline(log, opens, width=3):
    """Every ``width`` seconds from the door opening: check-ins acknowledged per second, their
    p95 and the slowest request the server itself reported (a stall shows as one bin)."""
    acked, served = collections.defaultdict(list), collections.defaultdict(list)
    failed = collections.defaultdict(collections.Counter)
    for kind, status, ms, server, at in log:
        if at >= opens and kind == "check-in" and status == 200:
            acked[int((at - opens) // width)].append(ms)
        if at >= opens and kind == "check-in request" and server == server:
            served[int((at - opens) // width)].append(server)
        if status not in (200, 204, 302):
            failed[int((at - opens) // width)][f"{kind} {status}"] += 1
    cells = []
    for b in sorted(acked):
        p95 = support.percentile(acked[b], 95)
        slowest = max(served[b], default=float("nan"))
        cells.append(
            f"{b * width:>3}s {len(acked[b]) / width:5.1f}/s p95 {p95:5.0f} srv {slowest:5.0f}"
        )
    for n in range(0, len(cells), 3):
        print("  " + " | ".join(cells[n : n + 3]), flush=True)
    for b in sorted(failed):
        print(f"  {b * width:>4}s: {dict(failed[b])}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, nargs="+", default=[50, 100, 200, 300, 350, 400])
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--refresh", choices=["always", "js"], default="js")
    parser.add_argument("--no-proxy", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="figures of every request kind")
    args = parser.parse_args()
    support.setup()
    all_sites, all_plans = prepare(max(args.steps))
    print(
        f"database: {support.database_name()}; sites of {CHILDREN} children with "
        f"{TABLETS_PER_SITE} tablets each; gunicorn {args.workers} workers × {args.threads} "
        f"threads{'' if args.no_proxy else ' behind nginx'}; {args.seconds:.0f} s a step; "
        f"refresh: {args.refresh}",
        flush=True,
    )
    header = (
        f"{'tablets':>7} {'check-ins/s':>11} {'p50':>7} {'p95':>7} {'p99':>7} "
        f"{'bare p95':>8} {'×bare':>6} {'refresh/s':>9} {'204':>4} {'503s':>5} {'timeouts':>8} "
        f"{'lost':>4} {'open p95':>8} {'unlock p95':>10} {'board at once p95':>17} {'loop':>5}"
    )
    with serve(args) as host:
        # Every worker loads its templates and connections before the figures count.
        step(host, all_sites[:5], all_plans[:20], 10, args.refresh)
        print(header, flush=True)
        for tablets in args.steps:
            plans = all_plans[:tablets]
            sites = sorted({p["site"].pk for p in plans})
            site_rows = [s for s in all_sites if s.pk in sites]
            speed = calibration()
            log, acked, distinct, stored = step(host, site_rows, plans, args.seconds, args.refresh)
            _r, checkin, _s = figures(log, "check-in")
            _r, bare, _s = figures(log, "bare INSERT")
            _r, opened, _s = figures(log, "opened")
            _r, unlock, _s = figures(log, "unlock")
            _r, again, _s = figures(log, "board at once")
            refreshes = [r for r in log if r[0].startswith("refresh")]
            nothing = sum(1 for r in refreshes if r[1] == 204)
            busy = sum(1 for r in log if r[1] == 503)
            timeouts = sum(1 for r in log if r[1] == 0)
            lost = sum(1 for r in log if r[0] == "check-in" and r[1] == -1)
            # From the door opening to the last acknowledgement.
            opens = min((r[4] for r in log if r[0] == "door opens"), default=float("nan"))
            acks = [r[4] for r in log if r[0] == "check-in" and r[1] == 200]
            elapsed = max(acks) - opens if acks else float("nan")
            print(
                f"{tablets:>7} {acked / elapsed:>11.1f} {checkin['p50']:>7.0f} "
                f"{checkin['p95']:>7.0f} {checkin['p99']:>7.0f} {bare['p95']:>8.0f} "
                f"{checkin['p95'] / bare['p95']:>6.1f} {len(refreshes) / elapsed:>9.1f} "
                f"{nothing:>4} {busy:>5} {timeouts:>8} {lost:>4} {opened['p95']:>8.0f} "
                f"{unlock['p95']:>10.0f} {again['p95']:>17.0f} {speed:>5.0f}",
                flush=True,
            )
            answers = collections.Counter(
                (r[0], r[1]) for r in log if r[0] not in ("opened", "door opens")
            )
            odd = {k: n for k, n in answers.items() if k[1] not in (200, 204, 302)}
            if odd:
                print(f"  other answers: {odd}", flush=True)
            if acked != distinct or stored != distinct:
                print(
                    f"  !! acknowledged {acked}, distinct {distinct}, in the database {stored}",
                    flush=True,
                )
            if args.verbose:
                if ERRORS:
                    print(f"  the tablets' connection errors: {dict(ERRORS)}", flush=True)
                    ERRORS.clear()
                timeline(log, opens)
                for kind in sorted({r[0] for r in log} - {"door opens"}):
                    _r, waited, server = figures(log, kind)
                    print(
                        f"  {kind:<18} n={waited['n']:<5} waited p50 {waited['p50']:7.0f} "
                        f"p95 {waited['p95']:7.0f}  server p50 {server['p50']:6.1f} "
                        f"p95 {server['p95']:6.1f}",
                        flush=True,
                    )
    print(
        "times in ms; 'open': the lock screen, the PIN and the board from the tablet's first "
        "request, every tablet of the step at once; 'board at once': every tablet, unlocked, "
        "loading its board at the same moment at the end of the step; 'loop': the machine's "
        "speed before the step (ms of a fixed Python loop, lower is faster)",
        flush=True,
    )
    support.reset_attendance(all_sites)


@contextmanager
def serve(args):
    """gunicorn as docker-compose runs it, behind nginx unless ``--no-proxy``."""
    with support.gunicorn(GUNICORN_PORT, workers=args.workers, threads=args.threads) as base:
        if args.no_proxy or not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
            if not args.no_proxy:
                print("nginx is not installed: talking to gunicorn directly", flush=True)
            yield base.removeprefix("http://")
        else:
            with proxy(GUNICORN_PORT) as host:
                yield host


if __name__ == "__main__":
    main()
