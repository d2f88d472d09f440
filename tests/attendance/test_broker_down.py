"""With the broker unreachable (Redis stopped), the tablet still checks children in and out:
no board act talks to Celery inline."""

import socket
import time
import uuid

import pytest
from django.urls import reverse

from attendance.models import AttendanceRecord, AttendanceStatus
from ffs_portal.celery import app
from tests.factories import enrolled_child

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker_down(monkeypatch):
    url = f"redis://127.0.0.1:{closed_port()}/0"
    monkeypatch.setattr(app.conf, "broker_url", url)
    monkeypatch.setattr(app.conf, "result_backend", url)
    # Any connection error proves it is down.
    with pytest.raises(Exception), app.connection_for_write() as conn:  # noqa: B017
        conn.ensure_connection(max_retries=1, timeout=1)
    sent = []
    monkeypatch.setattr(app, "send_task", lambda *a, **k: sent.append(a) or 1 / 0)
    return sent


def test_check_in_and_check_out_work_with_the_broker_down(
    client, carer, site_a, term_a, broker_down
):
    child = enrolled_child(term_a)
    client.force_login(carer)
    started = time.monotonic()
    check_in = reverse("attendance:check_in", kwargs={"site": site_a.pk, "child": child.key})
    assert client.post(check_in, {"idem": str(uuid.uuid4())}).status_code == 200
    check_out = reverse("attendance:check_out", kwargs={"site": site_a.pk, "child": child.key})
    parent = child.family.workers.get()
    response = client.post(
        check_out, {"idem": str(uuid.uuid4()), "collector": f"worker:{parent.pk}"}
    )
    assert response.status_code == 200
    assert (
        client.get(reverse("attendance:site_board", kwargs={"site": site_a.pk})).status_code == 200
    )
    assert AttendanceRecord.objects.get().status == AttendanceStatus.COLLECTED
    assert broker_down == []
    assert time.monotonic() - started < 5
