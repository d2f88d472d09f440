from django.urls import reverse
from django.utils import translation


def test_pages_are_in_simplified_chinese_by_default(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in response.content.decode()


def test_the_language_switch_is_remembered_for_the_user(client, hr):
    client.force_login(hr)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/families/"})
    assert response.status_code == 302
    assert response["Location"] == "/families/"
    hr.refresh_from_db()
    assert hr.language == "en"
    # A new session on another device still gets the user's choice.
    other_device = client.__class__()
    other_device.force_login(hr)
    page = other_device.get(reverse("enrollment:family_list"))
    assert page["Content-Language"] == "en"
    assert "Families" in page.content.decode()


def test_a_signed_out_visitor_can_switch_with_a_cookie(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert "Sign in" in client.get(reverse("login")).content.decode()


def test_an_unknown_language_or_an_outside_next_changes_nothing(client, hr):
    client.force_login(hr)
    response = client.post(
        reverse("set_language"), {"language": "fr", "next": "https://evil.example.com/"}
    )
    assert response["Location"] == "/"
    hr.refresh_from_db()
    assert hr.language == "zh-hans"


def test_an_unknown_page_is_a_404_in_the_users_language(client, hr, settings):
    settings.DEBUG = False
    client.force_login(hr)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "找不到页面" in response.content.decode()
    hr.language = "en"
    hr.save()
    assert "Page not found" in client.get("/no-such-page/").content.decode()


def test_a_server_error_shows_a_page_that_leaks_nothing(hr, settings):
    from django.test import Client

    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.urls_with_error"
    client = Client(raise_request_exception=False)
    client.force_login(hr)
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "出错了" in body
    assert "secret-detail" not in body and "Traceback" not in body


def test_dates_follow_the_language():
    from datetime import date

    from django.utils.formats import date_format

    day = date(2026, 7, 15)
    with translation.override("zh-hans"):
        assert date_format(day) == "2026年7月15日"
    with translation.override("en"):
        assert date_format(day) == "15 Jul 2026"
