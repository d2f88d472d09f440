from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from enrollment.models import Child, Enrollment, Factory, Site
from ffs_portal.management.commands.seed_demo import DEMO_PASSWORD
from ffs_portal.models import Role, User


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_every_demo_login_reaches_its_page(client):
    call_command("seed_demo", stdout=StringIO())
    counts = (Factory.objects.count(), Site.objects.count(), Child.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert counts == (Factory.objects.count(), Site.objects.count(), Child.objects.count())
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
