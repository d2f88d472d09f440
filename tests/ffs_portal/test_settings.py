"""Production refuses to start on unsafe settings, and docker-compose's defaults are the safe
ones (the penetration test's finding 10)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"


def start(**environment) -> subprocess.CompletedProcess:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "-c", START],
        cwd=ROOT,
        env={**keep, "DJANGO_SETTINGS_MODULE": "ffs_portal.settings", **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    started = start(DJANGO_HTTPS="true", DJANGO_DEBUG="false")
    assert started.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in started.stderr


def test_production_starts_with_a_secret_key():
    started = start(DJANGO_HTTPS="true", DJANGO_DEBUG="false", DJANGO_SECRET_KEY="k" * 50)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "False"


def test_docker_compose_defaults_are_production_behind_https():
    compose = (ROOT / "docker-compose.yml").read_text()
    # web, worker and beat share one environment (the x-portal anchor).
    assert compose.count("<<: *portal") == 3
    portal = compose[compose.index("x-portal:") : compose.index("\nservices:")]
    environment = dict(
        line.strip().split(": ", 1)
        for line in portal[portal.index("environment:") : portal.index("volumes:")].splitlines()[1:]
        if line.strip() and not line.strip().startswith("#")
    )
    # Required, never defaulted: compose refuses to start without it.
    assert environment["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")
    assert environment["DJANGO_HTTPS"] == "${DJANGO_HTTPS:-true}"
    assert "DJANGO_DEBUG" not in environment
    # Behind the TLS terminator and nginx, and links that people open over HTTPS.
    assert environment["AXES_PROXY_COUNT"] == "${AXES_PROXY_COUNT:-2}"
    assert environment["PORTAL_URL"].startswith("${PORTAL_URL:-https://")
