"""Django's admin: read-only records for administrators, nothing for anyone else."""

from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from attendance.models import DigestRun, DigestStatus
from ffs_portal import audit


def test_the_admin_shows_the_operational_records_read_only(client, administrator, coordinator):
    audit.record(actor=administrator, action="account.switched_off", about=coordinator)
    client.force_login(administrator)
    index = client.get(reverse("admin:index")).content.decode()
    for page in ("auditentry", "digestrun", "accessattempt"):
        assert "/admin/" in index and page in index, page
    assert "/admin/auth/group/" not in index
    assert "totpdevice" not in index and "staticdevice" not in index
    assert client.get(reverse("admin:ffs_portal_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:ffs_portal_auditentry_add")).status_code == 403
    entry = audit.record(actor=administrator, action="account.switched_on", about=coordinator)
    change = reverse("admin:ffs_portal_auditentry_change", args=[entry.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"action": "edited"}).status_code == 403
    assert not Group.objects.exists()
    # Sign-in failures are read, not deleted: a lock-out is cleared on the person's page.
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    assert client.get(reverse("admin:axes_accessattempt_add")).status_code == 403


def test_send_again_hands_the_chosen_daily_emails_to_a_worker(
    client, administrator, coordinator, monkeypatch, django_capture_on_commit_callbacks
):
    from ffs_portal.outcomes.tasks import send_digest

    run = DigestRun.objects.create(
        recipient=coordinator,
        day=timezone.localdate(),
        status=DigestStatus.SENT,
        sent_at=timezone.now(),
    )
    queued = []
    monkeypatch.setattr(send_digest, "delay", queued.append)
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:attendance_digestrun_changelist"),
            {"action": "send_again", "_selected_action": [run.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert queued == [run.pk]
    run.refresh_from_db()
    assert run.status == DigestStatus.FAILED  # claimable again by the worker


def test_nobody_else_reaches_the_admin(client, insiders):
    for user in insiders.values():
        client.force_login(user)
        assert client.get(reverse("admin:index"), follow=True).status_code in (403, 404)
