from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from attendance.models import AttendanceRecord, AttendanceStatus, Incident
from enrollment.models import Child, Enrollment, Factory, Site
from ffs_portal.demo.management.commands.seed_demo import DEMO_PASSWORD
from ffs_portal.models import Role, User


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_every_demo_login_reaches_its_page(client):
    call_command("seed_demo", stdout=StringIO())
    records = AttendanceRecord.objects.count()
    counts = (Factory.objects.count(), Site.objects.count(), Child.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert counts == (Factory.objects.count(), Site.objects.count(), Child.objects.count())
    assert AttendanceRecord.objects.count() == records
    assert counts[0] == 2
    assert set(Site.objects.values_list("kind", flat=True)) == {"ffs", "asc"}
    assert Enrollment.objects.filter(status="enrolled").count() > 20
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    # A name outside the Basic Multilingual Plane survives the database.
    assert Child.objects.filter(name="𠮷安").exists()
    for user in User.objects.all():
        response = client.post(
            reverse("login"), {"username": user.username, "password": DEMO_PASSWORD}, follow=True
        )
        assert response.status_code == 200, user.username
        assert response.redirect_chain[-1][0] != reverse("login"), user.username
        client.post(reverse("logout"))


@pytest.mark.django_db
def test_seed_demo_gives_the_after_school_centre_a_realistic_board_on_a_weekday(monkeypatch):
    from datetime import datetime

    from django.utils import timezone

    # A Wednesday at 19:30, during the school year, when the centre is open 16:00–20:30.
    evening = timezone.make_aware(datetime(2026, 11, 25, 19, 30))
    monkeypatch.setattr("django.utils.timezone.now", lambda: evening)
    call_command("seed_demo", stdout=StringIO())
    asc = Site.objects.get(kind="asc")
    today = AttendanceRecord.objects.filter(site=asc, day=evening.date())
    statuses = set(today.values_list("status", flat=True))
    assert statuses == {
        AttendanceStatus.PRESENT,
        AttendanceStatus.COLLECTED,
        AttendanceStatus.ABSENT,
    }
    assert today.filter(status=AttendanceStatus.ABSENT).count() == 1
    # Today's (earlier days have their own, for the dashboards).
    assert Incident.objects.filter(site=asc, occurred_at__date=evening.date()).count() == 1
    assert today.filter(checked_in_at__hour__gte=16).exists()
