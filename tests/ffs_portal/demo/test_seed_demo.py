import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from attendance.models import AttendanceRecord, AttendanceStatus, Incident
from enrollment.models import Child, Enrollment, Factory, Site
from ffs_portal.demo.management.commands.seed_demo import DEMO_PASSWORD
from ffs_portal.models import Role, User


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_every_demo_login_reaches_its_page(client):
    printed = StringIO()
    call_command("seed_demo", stdout=printed)
    # Every demo user is listed, each with its role in one language (English).
    listed = printed.getvalue()
    with translation.override("en"):
        for user in User.objects.all():
            line = rf"^  {re.escape(user.username)} +{re.escape(str(Role(user.role).label))} — "
            assert re.search(line, listed, re.M), user.username
    assert "工厂人事" not in listed
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
        if user.needs_two_factor:
            # The demo's coordinator and administrator: the code `demo_code` prints.
            out = StringIO()
            call_command("demo_code", user.username, stdout=out)
            response = client.post(
                reverse("two_factor_verify"), {"code": out.getvalue().strip()}, follow=True
            )
        assert response.status_code == 200, user.username
        assert response.redirect_chain[-1][0] not in (
            reverse("login"),
            reverse("two_factor_verify"),
            reverse("two_factor_setup"),
        ), user.username
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
