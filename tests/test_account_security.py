"""Findings of the penetration test: the client address behind proxies, sign-in throttling,
changing the e-mail address, and password resets."""

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse

from ffs_portal.lib.client_address import client_address
from tests.factories import TEST_PASSWORD

PROXY = "10.0.0.1"


def sign_in(client, username, password=TEST_PASSWORD, *, address="10.0.0.8", **extra):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **extra,
    )


def via_proxy(client_ip: str, forged: str = "") -> dict:
    """What a request looks like behind one proxy: the proxy appends its client's address."""
    chain = f"{forged}, {client_ip}" if forged else client_ip
    return {"address": PROXY, "HTTP_X_FORWARDED_FOR": chain}


# The client address ---------------------------------------------------------------------


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_a_proxy_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_behind_one_proxy_the_address_it_added_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request_from(PROXY, "198.51.100.1")) == "198.51.100.1"


def test_behind_one_proxy_what_the_client_wrote_to_the_left_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    forged = request_from(PROXY, "192.0.2.66, 198.51.100.1")
    assert client_address(forged) == "198.51.100.1"


def test_behind_two_proxies_the_address_is_counted_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    chain = request_from(PROXY, "192.0.2.66, 198.51.100.1, 10.0.0.2")
    assert client_address(chain) == "198.51.100.1"


@pytest.mark.parametrize("forwarded", [None, "", "not-an-address", " , "])
def test_a_missing_or_broken_forwarded_header_falls_back_to_the_proxy(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request_from(PROXY, forwarded)) == PROXY


def test_a_failed_sign_in_behind_the_proxy_is_counted_for_the_client(client, hr, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    sign_in(client, hr.username, "guess", **via_proxy("198.51.100.1", forged="192.0.2.66"))
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.1"]


def test_a_forged_forwarded_header_without_a_proxy_is_not_believed(client, hr, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    sign_in(client, hr.username, "guess", address="203.0.113.7", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.7"]
