"""Findings of the penetration test: the client address behind proxies, sign-in throttling,
changing the e-mail address, and password resets."""

import re
import socket
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ffs_portal import tasks
from ffs_portal.lib import throttle
from ffs_portal.lib.client_address import client_address
from ffs_portal.models import AuditEntry, Role
from tests.factories import TEST_PASSWORD, UserFactory

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


# Sign-in throttling ----------------------------------------------------------------------


def spray(client, users, tries: int, **where) -> list[int]:
    """Wrong passwords on the users in turn, as a password sprayer would: status codes."""
    return [
        sign_in(client, users[n % len(users)].username, f"guess-{n}", **where).status_code
        for n in range(tries)
    ]


@pytest.fixture
def nine_users(db):
    return [UserFactory(username=f"worker{n}") for n in range(9)]


def test_twenty_wrong_passwords_for_one_user_name_over_five_addresses_lock_it(client, hr):
    for address in ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5"]:
        for _ in range(4):
            sign_in(Client(), hr.username, "guess", address=address)
    locked = sign_in(client, hr.username, address="10.1.0.6")  # the right password
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_account_locks_at_the_fifth_failure_from_anywhere(client, hr, settings):
    codes = [
        sign_in(Client(), hr.username, "guess", address=f"10.2.0.{n}").status_code
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert codes == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]


def test_spraying_from_one_address_over_many_user_names_is_paused_at_its_limit(
    client, nine_users, hr, carer, settings
):
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT
    assert limit == 20
    # 27 tries on 9 users: three each, never five on one user name.
    codes = spray(client, nine_users, 27)
    assert codes == [200] * (limit - 1) + [429] * (27 - limit + 1)
    paused = sign_in(Client(), hr.username)  # the right password, from the same address
    assert paused.status_code == 429
    assert paused.context["by_address"] is True
    # The accounts themselves are not locked: from another network they sign in.
    assert sign_in(Client(), hr.username, address="10.3.0.1").status_code == 302
    assert sign_in(Client(), nine_users[0].username, address="10.3.0.1").status_code == 302


def test_a_sign_in_of_ones_own_between_guesses_does_not_clear_the_address(
    client, nine_users, carer, settings
):
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT
    spray(client, nine_users, limit - 1)
    assert sign_in(Client(), carer.username).status_code == 302
    assert spray(client, nine_users, 1) == [429]


def test_the_address_lock_page_says_the_account_itself_is_not_locked(client, nine_users, hr):
    spray(client, nine_users, 20)
    page = sign_in(client, hr.username).content.decode()
    assert "您自己的账号没有被锁定" in page
    assert "15 分钟" in page


def test_two_clients_behind_one_proxy_are_told_apart(client, nine_users, hr, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    codes = spray(client, nine_users, 20, **via_proxy("198.51.100.1"))
    assert codes[-1] == 429
    colleague = sign_in(Client(), hr.username, **via_proxy("198.51.100.2"))
    assert colleague.status_code == 302


def test_a_client_behind_the_proxy_cannot_escape_the_limit_by_forging_the_header(
    client, nine_users, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    codes = [
        sign_in(
            client,
            nine_users[n % 9].username,
            "guess",
            **via_proxy("198.51.100.1", forged=f"192.0.2.{n}"),
        ).status_code
        for n in range(20)
    ]
    assert codes[-1] == 429


def test_a_forged_forwarded_header_without_a_proxy_does_not_spread_the_guesses(
    client, nine_users, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    codes = [
        sign_in(
            client,
            nine_users[n % 9].username,
            "guess",
            address="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        ).status_code
        for n in range(20)
    ]
    assert codes[-1] == 429


# Changing the e-mail address ------------------------------------------------------------

SETTINGS = reverse("account_settings")


def settings_form(user, **changes) -> dict:
    """The settings page as the user sees it, with some fields changed."""
    data = {
        "language": user.language,
        "email": user.email,
        "digest_hour": str(user.digest_hour),
        "time_zone": user.time_zone,
    }
    if user.digest_enabled:
        data["digest_enabled"] = "on"
    return {**data, **changes}


def test_the_settings_page_shows_the_current_password_field(client, coordinator):
    client.force_login(coordinator)
    page = client.get(SETTINGS).content.decode()
    assert 'name="current_password"' in page
    assert 'autocomplete="current-password"' in page


def test_changing_the_email_without_the_password_is_refused_and_nothing_is_saved(
    client, coordinator
):
    client.force_login(coordinator)
    response = client.post(
        SETTINGS, settings_form(coordinator, email="someone@example.net", language="en")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["current_password"] == [
        "要更改电子邮箱地址，请输入您当前的密码。"
    ]
    coordinator.refresh_from_db()
    assert (coordinator.email, coordinator.language) == ("coordinator@example.com", "zh-hans")
    assert mail.outbox == []


def test_changing_the_email_with_a_wrong_password_is_refused_and_nothing_is_saved(
    client, coordinator
):
    client.force_login(coordinator)
    response = client.post(
        SETTINGS,
        settings_form(
            coordinator, email="someone@example.net", digest_hour="6", current_password="guess"
        ),
    )
    assert response.status_code == 200
    [error] = response.context["form"].errors["current_password"]
    assert "不是您当前的密码" in error
    assert error in response.content.decode()
    coordinator.refresh_from_db()
    assert (coordinator.email, coordinator.digest_hour) == ("coordinator@example.com", 19)
    assert mail.outbox == []


def test_changing_the_email_with_the_password_saves_it_and_tells_the_old_address(
    client, coordinator, celery_eager, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            SETTINGS,
            settings_form(coordinator, email="new@example.com", current_password=TEST_PASSWORD),
        )
    assert response.status_code == 302
    coordinator.refresh_from_db()
    assert coordinator.email == "new@example.com"
    # Nothing goes out before the change is committed; then a task sends the notice.
    assert mail.outbox == []
    [callback] = queued
    callback()
    [notice] = mail.outbox
    assert notice.to == ["coordinator@example.com"]
    assert "电子邮箱地址已更改" in notice.subject
    changed_at = AuditEntry.objects.get(actor=coordinator, action="account.email_changed").at
    when = timezone.localtime(changed_at, ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    html = notice.alternatives[0][0]
    for part in (notice.body, html):
        assert "new@example.com" in part
        assert when in part
        assert "协调员" in part


def test_the_notice_is_in_the_users_language_and_time_zone(
    client, coordinator, celery_eager, django_capture_on_commit_callbacks
):
    coordinator.language, coordinator.time_zone = "en", "Europe/London"
    coordinator.save()
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            SETTINGS,
            settings_form(coordinator, email="new@example.com", current_password=TEST_PASSWORD),
        )
    [notice] = mail.outbox
    assert notice.subject == "FFS Portal: the e-mail address of your account was changed"
    changed_at = AuditEntry.objects.get(action="account.email_changed").at
    when = timezone.localtime(changed_at, ZoneInfo("Europe/London")).strftime("%H:%M")
    assert f"{when} (Europe/London) to new@example.com" in notice.body
    assert "tell your program coordinator" in notice.body


def test_other_settings_save_without_the_password_and_send_nothing(
    client, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post(SETTINGS, settings_form(coordinator, language="en", digest_hour="7"))
    assert response.status_code == 302
    coordinator.refresh_from_db()
    assert (coordinator.language, coordinator.digest_hour) == ("en", 7)
    assert queued == []
    assert mail.outbox == []


def test_a_first_address_needs_the_password_too_and_tells_no_one(
    client, factory_a, django_capture_on_commit_callbacks
):
    user = UserFactory(role=Role.COORDINATOR, factories=[factory_a], email="")
    client.force_login(user)
    refused = client.post(SETTINGS, settings_form(user, email="mine@example.com"))
    assert "current_password" in refused.context["form"].errors
    with django_capture_on_commit_callbacks(execute=True) as queued:
        client.post(
            SETTINGS, settings_form(user, email="mine@example.com", current_password=TEST_PASSWORD)
        )
    user.refresh_from_db()
    assert user.email == "mine@example.com"
    assert queued == []


def test_guessing_the_password_on_the_settings_page_locks_the_account(
    client, coordinator, settings
):
    client.force_login(coordinator)
    codes = [
        client.post(
            SETTINGS,
            settings_form(coordinator, email="someone@example.net", current_password=f"guess-{n}"),
            REMOTE_ADDR="10.4.0.1",
        ).status_code
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert codes == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert sign_in(Client(), coordinator.username, address="10.4.0.2").status_code == 429
    recorded = "".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "guess-" not in recorded


# Password resets -------------------------------------------------------------------------

RESET = reverse("password_reset")


def ask_reset(client, email, *, address="10.0.0.8", **extra):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address, **extra)


def page(response) -> str:
    """The page as the asker sees it, but for the CSRF token that differs on every page."""
    token = response.context["csrf_token"]
    return response.content.decode().replace(str(token), "(token)")


def test_a_reset_is_queued_for_a_task_once_the_request_is_committed(
    client, hr, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.send_password_reset, "delay", queued.append)
    with django_capture_on_commit_callbacks() as on_commit:
        response = ask_reset(client, hr.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert queued == []
    assert mail.outbox == []
    [callback] = on_commit
    callback()
    # The request looked nothing up and sent nothing: the task has the address as typed.
    assert queued == [hr.email]
    assert mail.outbox == []


def test_the_reset_task_sends_the_link_to_the_portals_address(hr):
    tasks.send_password_reset(hr.email)
    [message] = mail.outbox
    assert message.to == [hr.email]
    link = re.search(r"(https?://\S+/accounts/reset/\S+)", message.body).group(1)
    assert link.startswith("http://127.0.0.1:8000/accounts/reset/")


def test_the_reset_email_is_in_the_accounts_language(
    client, hr, celery_eager, django_capture_on_commit_callbacks
):
    hr.language = "en"
    hr.save()
    with django_capture_on_commit_callbacks(execute=True):
        ask_reset(client, hr.email)  # from a page in Chinese
    [message] = mail.outbox
    assert message.subject == "FFS Portal: choose a new password"


def test_an_unknown_address_takes_the_same_path_and_gets_the_same_answer(
    hr, celery_eager, django_capture_on_commit_callbacks
):
    answers = []
    for email in (hr.email, "nobody@example.com"):
        with (
            django_capture_on_commit_callbacks() as queued,
            CaptureQueriesContext(connection) as queries,
        ):
            response = ask_reset(Client(), email, follow=True)
        answers.append((response.redirect_chain, page(response), len(queries), len(queued)))
        for callback in queued:
            callback()
    assert answers[0] == answers[1]
    assert answers[0][3] == 1  # one task queued for each: the lookup happens in the worker
    assert [m.to for m in mail.outbox] == [[hr.email]]


def test_the_fourth_reset_for_one_email_within_the_hour_is_not_sent(
    hr, celery_eager, django_capture_on_commit_callbacks
):
    answers = []
    for n in range(4):  # from four addresses, so that only the e-mail's limit applies
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(
                ask_reset(Client(), hr.email.upper(), address=f"10.5.0.{n}", follow=True)
            )
    assert len(mail.outbox) == 3
    assert answers[3].redirect_chain == answers[0].redirect_chain
    assert page(answers[3]) == page(answers[0])


def test_the_eleventh_reset_from_one_address_within_the_hour_is_not_sent(
    client, hr, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        for n in range(10):
            ask_reset(client, f"someone{n}@example.com")
        throttled = ask_reset(client, hr.email, follow=True)
    assert len(queued) == 10
    assert mail.outbox == []
    assert throttled.redirect_chain[-1][0] == reverse("password_reset_done")
    assert "如果有账号使用这个邮箱" in throttled.content.decode()
    # Someone at another address may still ask for the same account.
    with django_capture_on_commit_callbacks(execute=True):
        ask_reset(Client(), hr.email, address="10.6.0.1")
    assert [m.to for m in mail.outbox] == [[hr.email]]


def test_behind_the_proxy_each_client_has_its_own_reset_allowance(
    client, hr, settings, celery_eager, django_capture_on_commit_callbacks
):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(10):
        ask_reset(client, f"someone{n}@example.com", **via_proxy("198.51.100.1"))
    with django_capture_on_commit_callbacks(execute=True):
        ask_reset(client, hr.email, **via_proxy("198.51.100.2"))
    assert len(mail.outbox) == 1


def test_no_reset_goes_out_when_the_counters_cannot_be_reached(
    client, hr, settings, django_capture_on_commit_callbacks
):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "ffs_portal.lib.redis_cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed}/0",
        }
    }
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = ask_reset(client, hr.email)
    assert response["Location"] == reverse("password_reset_done")
    assert queued == []
    assert mail.outbox == []


def test_a_throttle_window_starts_again_once_it_has_passed():
    window = timedelta(seconds=1)
    counted = [throttle.allow("test:window", limit=2, window=window) for _ in range(3)]
    assert counted == [True, True, False]
    time.sleep(1.1)
    assert throttle.allow("test:window", limit=2, window=window) is True
