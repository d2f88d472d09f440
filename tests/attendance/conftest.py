"""What the tablet's tests share: a childcare worker with a PIN, a registered tablet, and a
test client that is that tablet (it carries the tablet's cookie)."""

import pytest

from attendance.tablet import middleware
from attendance.tablet.models import Tablet
from staff import services as staff_services
from tests.factories import UserFactory

PIN = "2580"


@pytest.fixture
def worker(site_a):
    user = UserFactory(username="zhang", first_name="敏", last_name="张", sites=[site_a])
    staff_services.pin_set(profile=staff_services.profile_for(user), pin=PIN, by=None)
    return user


@pytest.fixture
def tablet(site_a):
    return Tablet.objects.create(site=site_a, name="小班 平板")


def as_tablet(client, tablet):
    """``client``, carrying ``tablet``'s cookie."""
    response = client.get("/healthz")
    middleware.set_cookie(response, tablet)
    client.cookies.update(response.cookies)
    return client
