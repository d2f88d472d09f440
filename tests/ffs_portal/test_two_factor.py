"""Two-factor sign-in: required for coordinators and administrators, open to anyone, with
one-time recovery codes; a manager resets a lost phone."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ffs_portal import two_factor
from ffs_portal.models import AuditEntry, Role, User
from tests.factories import TEST_PASSWORD, UserFactory, code_for, with_authenticator

VERIFY = reverse("two_factor_verify")
SETUP = reverse("two_factor_setup")
DASHBOARD = reverse("attendance:dashboard")


def password_step(client, user, **extra):
    return client.post(
        reverse("login"), {"username": user.username, "password": TEST_PASSWORD}, **extra
    )


def test_a_coordinators_password_alone_does_not_sign_in(client, coordinator):
    response = password_step(client, coordinator)
    assert response.status_code == 302
    assert response["Location"] == VERIFY
    assert "_auth_user_id" not in client.session
    refused = client.get(DASHBOARD)
    assert refused.status_code == 302 and refused["Location"].startswith(reverse("login"))
    assert client.get(reverse("home")).status_code == 302


def test_with_the_code_the_coordinator_reaches_the_dashboard(client, coordinator):
    password_step(client, coordinator)
    response = client.post(VERIFY, {"code": code_for(coordinator)}, follow=True)
    assert response.redirect_chain[-1][0] == DASHBOARD
    assert client.session["_auth_user_id"] == str(coordinator.pk)


def test_a_wrong_code_is_refused_and_five_start_the_sign_in_again(client, coordinator):
    password_step(client, coordinator)
    right = code_for(coordinator)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    first = client.post(VERIFY, {"code": wrong})
    assert first.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "4" in str(first.context["form"].errors["code"])
    for _ in range(4):
        last = client.post(VERIFY, {"code": wrong})
    assert last["Location"] == reverse("login")
    # Dropped: even the right code now needs the password first.
    again = client.post(VERIFY, {"code": code_for(coordinator)})
    assert again["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="account.two_factor_refused").count() == 5


def test_a_code_is_asked_for_only_a_while_after_the_password(client, coordinator, settings):
    settings.TWO_FACTOR_PENDING_SECONDS = 0
    password_step(client, coordinator)
    response = client.post(VERIFY, {"code": code_for(coordinator)})
    assert response["Location"] == reverse("login")


def recovery_codes(client, user) -> list[str]:
    client.force_login(user)
    response = client.post(reverse("recovery_codes_renew"), follow=True)
    client.post(reverse("logout"))
    return response.context["codes"]


def test_a_recovery_code_works_once(coordinator):
    codes = recovery_codes(Client(), coordinator)
    assert len(codes) == 10 and len(set(codes)) == 10
    first = Client()
    password_step(first, coordinator)
    response = first.post(VERIFY, {"code": codes[0]}, follow=True)
    assert response.redirect_chain[-1][0] == DASHBOARD
    assert "9" in response.content.decode()  # codes left, in the warning
    second = Client()
    password_step(second, coordinator)
    refused = second.post(VERIFY, {"code": codes[0]})
    assert refused.status_code == 200
    assert "_auth_user_id" not in second.session
    # Each wrong code pauses the devices a moment (1 s, 2 s, …): the person types again later.
    from django_otp.plugins.otp_static.models import StaticDevice

    StaticDevice.objects.filter(user=coordinator).update(throttling_failure_count=0)
    TOTPDevice.objects.filter(user=coordinator).update(throttling_failure_count=0)
    assert second.post(VERIFY, {"code": codes[1]})["Location"] == reverse("home")


def test_a_coordinator_without_an_app_sets_one_up_at_the_first_sign_in(client, factory_a):
    newcomer = UserFactory(role=Role.COORDINATOR, factories=[factory_a])
    assert password_step(client, newcomer)["Location"] == SETUP
    page = client.get(SETUP)
    assert page.status_code == 200
    assert page.context["qr"].startswith("data:image/svg+xml")
    assert "_auth_user_id" not in client.session
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    code = f"{TOTP(device.bin_key).token():06d}"
    done = client.post(SETUP, {"code": code}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("two_factor_codes")
    assert len(done.context["codes"]) == 10
    assert client.session["_auth_user_id"] == str(newcomer.pk)
    assert client.get(DASHBOARD).status_code == 200
    # Shown once.
    assert client.get(reverse("two_factor_codes"))["Location"] == reverse("account_settings")
    assert two_factor.is_set_up(newcomer)


def test_the_setup_page_refuses_a_wrong_code(client, factory_a):
    newcomer = UserFactory(role=Role.COORDINATOR, factories=[factory_a])
    password_step(client, newcomer)
    client.get(SETUP)
    response = client.post(SETUP, {"code": "000000"})
    assert response.status_code == 200 and response.context["form"].errors["code"]
    assert not two_factor.is_set_up(newcomer)
    assert "_auth_user_id" not in client.session


def test_a_session_of_a_two_factor_role_without_the_second_step_is_ended(client, coordinator):
    client.force_login(coordinator)
    session = client.session
    del session[two_factor.SESSION_KEY]
    session.save()
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_anyone_may_turn_it_on_and_then_signing_in_asks_the_code(client, hr):
    client.force_login(hr)
    assert "设置身份验证器" in client.get(reverse("account_settings")).content.decode()
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=hr, confirmed=False)
    client.post(SETUP, {"code": f"{TOTP(device.bin_key).token():06d}"})
    assert two_factor.is_set_up(hr)
    later = Client()
    assert password_step(later, hr)["Location"] == VERIFY
    assert later.post(VERIFY, {"code": code_for(hr)})["Location"] == reverse("home")


def test_a_manager_resets_a_lost_app_and_the_persons_sessions_end(
    client, administrator, coordinator
):
    theirs = Client()
    theirs.force_login(coordinator)
    assert theirs.get(DASHBOARD).status_code == 200
    client.force_login(administrator)
    client.post(
        reverse("people:act", kwargs={"person": coordinator.pk}), {"action": "reset_two_factor"}
    )
    assert not two_factor.is_set_up(coordinator)
    assert theirs.get(DASHBOARD).status_code == 302
    assert password_step(Client(), coordinator)["Location"] == SETUP
    assert AuditEntry.objects.filter(person=coordinator, action="account.two_factor_reset").exists()


def test_the_admin_sign_in_goes_through_the_portals(client, administrator, coordinator):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(coordinator)
    assert client.get(reverse("admin:index"), follow=True).status_code == 403


def test_codes_are_not_kept_in_the_audit_or_the_sign_in_records(client, coordinator):
    password_step(client, coordinator)
    code = code_for(coordinator)
    client.post(VERIFY, {"code": code})
    from axes.models import AccessAttempt

    recorded = str(list(AuditEntry.objects.values_list("details", flat=True))) + str(
        list(AccessAttempt.objects.values_list("post_data", flat=True))
    )
    assert not re.search(rf"\b{code}\b", recorded)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_two_factor_roles(role):
    assert UserFactory.build(role=role).needs_two_factor
    assert not UserFactory.build(role=Role.HR).needs_two_factor


def test_the_demo_coordinator_signs_in_with_the_code_demo_code_prints(client, db):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from ffs_portal.demo.management.commands.seed_demo import DEMO_PASSWORD

    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("demo_code", "coordinator", stdout=out)
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    client.post(reverse("login"), {"username": "coordinator", "password": DEMO_PASSWORD})
    assert client.post(VERIFY, {"code": code})["Location"] == reverse("home")
    # A real person's authenticator is on their phone alone.
    with_authenticator(User.objects.get(username="hr.dongguan"))
    with pytest.raises(CommandError, match="no demo authenticator"):
        call_command("demo_code", "hr.dongguan", stdout=StringIO())


def test_the_password_alone_cannot_set_up_a_second_phone(client, coordinator):
    password_step(client, coordinator)
    response = client.get(SETUP)
    assert response["Location"] == VERIFY
    assert client.post(SETUP, {"code": "123456"})["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=coordinator).count() == 1
    assert "_auth_user_id" not in client.session
