"""The session and the signed-in user, read at every request with a prepared statement each,
behave as Django's own database sessions and model backend."""

from datetime import timedelta

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from ffs_portal.backends import PortalBackend
from ffs_portal.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_session_is_read_back_and_an_expired_or_unknown_one_is_not():
    session = SessionStore()
    session["seen"] = "早上好"
    session.save()
    assert SessionStore(session.session_key)["seen"] == "早上好"
    Session.objects.filter(pk=session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    expired = SessionStore(session.session_key)
    assert "seen" not in expired and expired.session_key is None
    unknown = SessionStore("x" * 32)
    assert dict(unknown.items()) == {} and unknown.session_key is None


def test_the_signed_in_user_is_read_as_the_model_backend_reads_them(carer):
    backend = PortalBackend()
    user = backend.get_user(carer.pk)
    assert (user.pk, user.username, user.role, user.password) == (
        carer.pk,
        carer.username,
        carer.role,
        carer.password,
    )
    assert list(user.sites.all()) == list(carer.sites.all())
    assert backend.get_user(carer.pk + 1000) is None
    assert backend.get_user("not a number") is None
    carer.is_active = False
    carer.save()
    assert backend.get_user(carer.pk) is None


@pytest.mark.parametrize(
    "backend", ["ffs_portal.backends.PortalBackend", "django.contrib.auth.backends.ModelBackend"]
)
def test_a_session_under_either_backend_stays_signed_in_until_the_password_changes(
    client, carer, backend
):
    session = client.session
    session.update(
        {
            SESSION_KEY: str(carer.pk),
            BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: carer.get_session_auth_hash(),
        }
    )
    session.save()
    client.cookies["sessionid"] = session.session_key
    home = reverse("home")
    assert client.get(home).wsgi_request.user == carer
    carer.set_password("换了一个新密码2026")
    carer.save()
    assert not client.get(home).wsgi_request.user.is_authenticated
