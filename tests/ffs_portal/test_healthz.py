import json

import pytest
from django.urls import reverse


def test_healthz_reports_database_and_broker_without_a_login(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_says_degraded_when_the_broker_is_unreachable(client, db, monkeypatch):
    from ffs_portal.celery import app

    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["broker"] == "unavailable"
    assert response.json()["status"] == "degraded"


@pytest.mark.django_db
def test_healthz_holds_no_data(client, hr):
    body = json.dumps(client.get(reverse("healthz")).json())
    assert hr.username not in body and "factory" not in body
