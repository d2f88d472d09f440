"""A request that waited in the proxy's queue longer than the tablet waits is answered 503 at
once, before the session or the database is touched; the tablet sends it again."""

import time

import pytest
from django.urls import reverse

from ffs_portal.middleware import queued_seconds

pytestmark = pytest.mark.django_db


def test_a_request_nobody_waits_for_any_more_is_refused_at_once(
    client, carer, site_a, settings, django_assert_num_queries
):
    settings.REQUEST_QUEUE_LIMIT_SECONDS = 8
    client.force_login(carer)
    board = reverse("attendance:site_board", kwargs={"site": site_a.pk})
    stale = f"t={time.time() - 9:.3f}"
    with django_assert_num_queries(0):
        response = client.get(board, HTTP_X_REQUEST_START=stale)
    assert response.status_code == 503 and response["Retry-After"] == "1"
    fresh = f"t={time.time() - 1:.3f}"
    assert client.get(board, HTTP_X_REQUEST_START=fresh).status_code == 200
    assert client.get(board).status_code == 200  # no proxy in front


def test_the_boards_own_refresh_gives_way_sooner(client, carer, site_a, settings):
    settings.REQUEST_QUEUE_LIMIT_SECONDS = 8
    settings.POLL_QUEUE_LIMIT_SECONDS = 1.5
    client.force_login(carer)
    live = reverse("attendance:board_live", kwargs={"site": site_a.pk})
    waited = f"t={time.time() - 3:.3f}"
    refused = client.get(live, HTTP_X_REQUEST_START=waited, HTTP_X_TABLET_POLL="1")
    assert refused.status_code == 503
    # The same wait for a tap (or a search, which the worker typed) is answered.
    assert client.get(live, HTTP_X_REQUEST_START=waited).status_code == 200
    fresh = f"t={time.time() - 0.5:.3f}"
    assert client.get(live, HTTP_X_REQUEST_START=fresh, HTTP_X_TABLET_POLL="1").status_code == 200


@pytest.mark.parametrize(
    "header, waited",
    [("t=1700000010.500", 9.5), ("1700000010500", 9.5), ("t=1700000019", 1.0), ("t=soon", None)],
)
def test_the_proxys_header_in_seconds_or_milliseconds(header, waited):
    assert queued_seconds(header, now=1700000020.0) == waited


def test_a_page_refused_in_the_browser_says_so_in_chinese_and_tries_again(
    client, tablet, site_a, settings
):
    """The lock screen or the PIN refused in a rush: a page the worker can read (Chinese
    first), that asks again by itself for a page, and leads back to the lock screen after
    the PIN's form; the board's own requests keep their line of text."""
    settings.REQUEST_QUEUE_LIMIT_SECONDS = 8
    stale = f"t={time.time() - 9:.3f}"
    lock = reverse("tablet:lock_screen")
    page = client.get(lock, HTTP_X_REQUEST_START=stale)
    html = page.content.decode()
    assert page.status_code == 503 and page["Content-Type"].startswith("text/html")
    assert "系统繁忙" in html and '<meta http-equiv="refresh" content="2">' in html
    assert f'href="{lock}"' in html and "default-src 'none'" in page["Content-Security-Policy"]
    pin = client.post(
        reverse("tablet:unlock"),
        {"person": "1", "pin": "2468"},
        HTTP_X_REQUEST_START=stale,
        HTTP_REFERER=f"http://testserver{lock}",
    )
    html = pin.content.decode()
    assert pin.status_code == 503 and "没有保存" in html and "refresh" not in html
    assert f'href="http://testserver{lock}"' in html
    elsewhere = client.post(
        reverse("tablet:unlock"),
        {"person": "1"},
        HTTP_X_REQUEST_START=stale,
        HTTP_REFERER="https://evil.example/",
    )
    assert 'href="/"' in elsewhere.content.decode()
    board = reverse("attendance:site_board", kwargs={"site": site_a.pk})
    tap = client.post(board, HTTP_X_REQUEST_START=stale, HTTP_HX_REQUEST="true")
    assert tap.status_code == 503 and tap.content == b"Busy: try again."
