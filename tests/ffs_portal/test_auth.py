import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from ffs_portal.models import Role
from tests.factories import TEST_PASSWORD, UserFactory, code_for


def login(client, username, password=TEST_PASSWORD, **extra):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR="10.0.0.8",
        **extra,
    )


@pytest.mark.parametrize(
    "user_fixture,landing",
    [
        ("hr", "enrollment:family_list"),
        ("carer", "attendance:board"),
        ("site_lead", "attendance:board"),
        ("coordinator", "attendance:dashboard"),
        ("administrator", "attendance:dashboard"),
    ],
)
def test_each_role_lands_on_its_own_page(client, request, user_fixture, landing):
    user = request.getfixturevalue(user_fixture)
    response = login(client, user.username, follow=True)
    if user.needs_two_factor:
        assert response.redirect_chain[-1][0] == reverse("two_factor_verify")
        response = client.post(reverse("two_factor_verify"), {"code": code_for(user)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(landing)
    assert response.status_code == 200


def test_the_session_key_changes_at_login(client, hr):
    client.get(reverse("login"))
    client.cookies["sessionid"] = "anonymous-session-key-chosen-by-someone-else"
    session = client.session
    session["marker"] = "before login"
    session.save()
    before = session.session_key
    login(client, hr.username)
    assert client.session.session_key != before
    assert client.session["_auth_user_id"] == str(hr.pk)


def test_a_wrong_password_or_a_wrong_user_name_get_the_same_message(client, hr):
    wrong_password = login(client, hr.username, "not-the-password")
    unknown_user = login(client, "nobody-by-this-name")
    assert wrong_password.status_code == unknown_user.status_code == 200
    errors = [r.context["form"].non_field_errors() for r in (wrong_password, unknown_user)]
    assert errors[0] == errors[1]
    assert "_auth_user_id" not in client.session


def test_the_login_error_is_in_chinese_by_default(client, hr):
    response = login(client, hr.username, "not-the-password")
    assert "请输入一个正确的" in response.content.decode()


def test_repeated_failures_lock_the_account_for_a_while(client, hr, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, hr.username, "guess")
    locked = login(client, hr.username)  # even the right password now
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "15" in locked.content.decode()


def test_the_account_stays_locked_when_the_right_password_comes_from_elsewhere(
    client, hr, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, hr.username, "guess")
    elsewhere = Client().post(
        reverse("login"),
        {"username": hr.username, "password": TEST_PASSWORD},
        REMOTE_ADDR="10.9.9.9",
    )
    assert elsewhere.status_code == 429


def test_logout_needs_a_post_and_ends_the_session(client, hr):
    client.force_login(hr)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_password_reset_link_arrives_by_email_and_works(
    client, hr, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": hr.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [hr.email]
    assert "设置新密码" in message.subject
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-passphrase-9", "new_password2": "a-new-long-passphrase-9"},
    )
    hr.refresh_from_db()
    assert hr.check_password("a-new-long-passphrase-9")


def test_a_reset_for_an_unknown_address_sends_nothing_but_looks_the_same(
    client, db, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_forms_refuse_a_post_without_the_csrf_token(db, hr):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": hr.username, "password": TEST_PASSWORD})
    assert response.status_code == 403


def test_hr_users_must_belong_to_a_factory(db):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        UserFactory(role=Role.HR, factory=None)


def test_a_role_without_the_capability_gets_a_403_in_its_language(client, carer):
    client.force_login(carer)
    response = client.get(reverse("enrollment:family_list"))
    assert response.status_code == 403
    assert "这个页面不属于您的角色" in response.content.decode()


def test_each_user_sets_language_and_the_daily_email_hour(client, coordinator):
    client.force_login(coordinator)
    url = reverse("account_settings")
    response = client.post(
        url,
        {
            "language": "en",
            "email": coordinator.email,
            "digest_enabled": "on",
            "digest_hour": "7",
            "time_zone": "Europe/London",
        },
    )
    assert response.status_code == 302
    coordinator.refresh_from_db()
    assert (coordinator.language, coordinator.digest_hour, coordinator.time_zone) == (
        "en",
        7,
        "Europe/London",
    )
    bad = client.post(
        url,
        {
            "language": "en",
            "email": coordinator.email,
            "digest_hour": "25",
            "time_zone": "Mars/Base",
        },
    )
    assert bad.status_code == 200
    coordinator.refresh_from_db()
    assert coordinator.digest_hour == 7
