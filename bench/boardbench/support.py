"""Data, server and sessions for the board's benchmarks."""

import os
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SETTINGS = "bench.boardbench.settings"
BENCH_FACTORY = "bench-board"


def setup() -> None:
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def database_name() -> str:
    from django.db import connection

    return f"{connection.vendor} ({connection.settings_dict['NAME']})"


def children_of(site):
    from enrollment.models import Child

    return list(Child.objects.filter(enrollments__term__site=site).order_by("pk"))


def ensure_sites(sites: int, children: int, tablets: int, factory: str = BENCH_FACTORY):
    """``sites`` sites of a bench factory, each open today with ``children`` enrolled children
    in three rooms and ``tablets`` childcare workers. Made once, kept between runs."""
    from django.db import transaction
    from django.utils import timezone

    from enrollment.models import (
        Adult,
        Child,
        Enrollment,
        Factory,
        Family,
        OpeningHours,
        PickupPermission,
        Room,
        Site,
        Term,
        Worker,
    )
    from ffs_portal.lib import pinyin
    from ffs_portal.models import Role, User

    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
    given = [
        "小明",
        "欣怡",
        "子涵",
        "浩然",
        "梓萱",
        "宇轩",
        "诗琪",
        "俊杰",
        "雨桐",
        "明轩",
        "佳怡",
        "博文",
    ]
    today = timezone.localdate()
    code = factory
    factory, _ = Factory.objects.get_or_create(
        code=code,
        defaults={"name": "基准测试玩具厂", "city": "东莞", "province": "guangdong"},
    )
    result = []
    for number in range(sites):
        name = f"基准托管点{number + 1}"
        site = Site.objects.filter(factory=factory, name=name).first()
        if site is None or Child.objects.filter(enrollments__term__site=site).count() != children:
            with transaction.atomic():
                if site is not None:
                    _drop_site(site)
                site = Site.objects.create(
                    factory=factory, name=name, kind="asc", capacity=children
                )
                OpeningHours.objects.bulk_create(
                    OpeningHours(site=site, weekday=d, opens="07:30", closes="18:00")
                    for d in range(7)
                )
                rooms = [
                    Room.objects.create(site=site, name=room, min_age=low, max_age=high)
                    for room, low, high in (("幼儿组", 3, 5), ("儿童组", 6, 9), ("少年组", 10, 14))
                ]
                term = Term.objects.create(
                    site=site,
                    name="基准学期",
                    starts_on=today - timedelta(days=30),
                    ends_on=today + timedelta(days=300),
                )
                families = Family.objects.bulk_create(
                    Family(factory=factory) for _ in range(children)
                )
                Worker.objects.bulk_create(
                    Worker(
                        factory=factory,
                        family=f,
                        employee_no=f"B{number:02d}{i:05d}",
                        name=surnames[i % 20] + "建华",
                        mobile=f"138{number:02d}{i:06d}",
                    )
                    for i, f in enumerate(families)
                )
                made = []
                for i, family in enumerate(families):
                    child_name = surnames[(i * 7) % 20] + given[i % len(given)]
                    made.append(
                        Child(
                            family=family,
                            name=child_name,
                            sex="fm"[i % 2],
                            name_initials=pinyin.initials(child_name),
                            name_pinyin=pinyin.full_pinyin(child_name),
                            date_of_birth=date(today.year - 3 - i % 12, 1 + i % 12, 1 + i % 28),
                            allergies="花生" if i % 9 == 0 else "",
                        )
                    )
                made = Child.objects.bulk_create(made)
                Enrollment.objects.bulk_create(
                    Enrollment(
                        child=c, term=term, status="enrolled", room=rooms[i % 3] if i % 2 else None
                    )
                    for i, c in enumerate(made)
                )
                adults = Adult.objects.bulk_create(
                    Adult(
                        family=c.family,
                        name=f"{c.name[0]}秀英",
                        relation="grandmother",
                        mobile=f"139{number:02d}{i:06d}",
                    )
                    for i, c in enumerate(made)
                )
                PickupPermission.objects.bulk_create(
                    PickupPermission(child=c, adult=a) for c, a in zip(made, adults, strict=True)
                )
        users = []
        for t in range(tablets):
            user, _created = User.objects.get_or_create(
                username=f"{code}-{number}-{t}",
                defaults={"role": Role.CHILDCARE, "last_name": "基", "first_name": f"老师{t}"},
            )
            # Also when the site was made again for another size.
            user.sites.set([site])
            users.append(user)
        result.append((site, users))
    return result


def _drop_site(site) -> None:
    from attendance.models import AttendanceRecord, Incident, RefusedPickup, RollCall
    from attendance.tablet.models import OfflineAct, Tablet
    from enrollment.models import Enrollment, Family, Term

    families = list(Family.objects.filter(children__enrollments__term__site=site).distinct())
    OfflineAct.objects.filter(site=site).delete()
    Tablet.objects.filter(site=site).delete()
    RollCall.objects.filter(site=site).delete()
    RefusedPickup.objects.filter(site=site).delete()
    Incident.objects.filter(site=site).delete()
    AttendanceRecord.objects.filter(site=site).delete()
    Enrollment.objects.filter(term__site=site).delete()
    Term.objects.filter(site=site).delete()
    for family in families:
        family.workers.all().delete()
        family.delete()
    site.users.clear()
    site.delete()


def reset_attendance(sites) -> None:
    """Start each run from a morning with nobody checked in."""
    from attendance.models import ActionKey, AttendanceRecord, Incident, RefusedPickup
    from ffs_portal.models import AuditEntry

    RefusedPickup.objects.filter(site__in=sites).delete()
    Incident.objects.filter(site__in=sites).delete()
    AttendanceRecord.objects.filter(site__in=sites).delete()
    ActionKey.objects.all().delete()
    AuditEntry.objects.filter(factory__in={site.factory_id for site in sites}).delete()
    AuditEntry.objects.filter(action="bench.insert").delete()


def session_for(user) -> dict:
    """Cookies of a signed-in session for ``user`` and a CSRF token."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "ffs_portal.backends.PortalBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    csrf = _get_new_csrf_string()
    return {
        "cookie": (
            f"{settings.SESSION_COOKIE_NAME}={session.session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={csrf}"
        ),
        "csrf": csrf,
        "sessionid": session.session_key,
        "csrftoken": csrf,
    }


def clear_sessions() -> None:
    from django.contrib.sessions.models import Session

    Session.objects.all().delete()


@contextmanager
def gunicorn(port: int, workers: int = 4, threads: int = 1):
    """The portal under gunicorn with the bench settings, on 127.0.0.1:``port``: sync workers
    by default, so that a request's server time is its own work, not time queued behind
    another; with ``threads``, gthread workers. The settings are those docker-compose runs
    (ffs_portal/deploy/gunicorn.conf.py)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "PYTHONPATH": str(BASE_DIR),
        "WEB_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": str(workers),
        "WEB_THREADS": str(threads),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(BASE_DIR / "ffs_portal" / "deploy" / "gunicorn.conf.py"),
            "ffs_portal.wsgi",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def percentile(values, p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values) -> dict:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "mean": statistics.fmean(values) if values else float("nan"),
    }


def server_ms(response_headers) -> float:
    value = response_headers.get("Server-Timing", "")
    return float(value.split("dur=")[1]) if "dur=" in value else float("nan")
