import json
import socket
import time

import pytest
from django.urls import reverse

from ffs_portal.lib import broker_probe

# What a load balancer may wait for /healthz, whatever the broker does.
HEALTHZ_BUDGET_SECONDS = 0.2


@pytest.fixture(autouse=True)
def fresh_answers():
    broker_probe.forget()
    yield
    broker_probe.forget()


@pytest.fixture
def broker_at(monkeypatch):
    """Point the app's broker at ``url``."""
    from ffs_portal.celery import app

    def point(url: str) -> None:
        monkeypatch.setattr(app.conf, "broker_url", url)

    return point


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def hanging_broker():
    """A port that accepts connections (the kernel completes them) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def timed_get(client):
    started = time.monotonic()
    response = client.get(reverse("healthz"))
    return response, time.monotonic() - started


def test_healthz_reports_database_and_broker_without_a_login(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_says_degraded_when_the_broker_is_unreachable(client, db, broker_at):
    broker_at("redis://127.0.0.1:1/0")
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["broker"] == "unavailable"
    assert response.json()["status"] == "degraded"


def test_healthz_answers_in_time_when_nothing_listens_at_the_broker(
    client, db, broker_at, closed_port
):
    broker_at(f"redis://127.0.0.1:{closed_port}/0")
    client.get(reverse("healthz"))  # the first request of a test loads the URLconf
    broker_probe.forget()
    for _ in range(3):
        response, seconds = timed_get(client)
        assert response.json()["broker"] == "unavailable"
        assert seconds < HEALTHZ_BUDGET_SECONDS


def test_healthz_answers_in_time_when_the_broker_hangs(client, db, broker_at, hanging_broker):
    broker_at(f"redis://127.0.0.1:{hanging_broker}/0")
    client.get(reverse("healthz"))
    broker_probe.forget()
    response, seconds = timed_get(client)
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "unavailable"}
    assert seconds < HEALTHZ_BUDGET_SECONDS


def test_the_brokers_answer_is_kept_a_few_seconds(client, db, broker_at, monkeypatch):
    asked = []
    monkeypatch.setattr(broker_probe, "_ask", lambda url: asked.append(url) or False)
    broker_at("redis://127.0.0.1:1/0")
    for _ in range(5):
        client.get(reverse("healthz"))
    assert len(asked) == 1
    monkeypatch.setattr(broker_probe, "KEEP_SECONDS", 0.0)
    client.get(reverse("healthz"))
    assert len(asked) == 2


@pytest.mark.django_db
def test_healthz_holds_no_data(client, hr):
    body = json.dumps(client.get(reverse("healthz")).json())
    assert hr.username not in body and "factory" not in body
