"""The people pages: each manager gives only the roles and scopes below their own, reaches
only the people they oversee, and each act on an account does what it says at once."""

import pytest
from django.test import Client
from django.urls import reverse

from ffs_portal.models import AuditEntry, Role, User
from staff import services as staff_services
from staff.models import DutyPeriod
from tests.attendance.test_tablet import on_tablet  # noqa: F401 - fixture
from tests.factories import TEST_PASSWORD, UserFactory, with_authenticator

ADD = reverse("people:add")


def person(**fields) -> dict:
    """The add form as a manager fills it in, with a one-time password."""
    return {
        "last_name": "周",
        "first_name": "丽",
        "username": "zhou.li",
        "email": "zhou.li@example.com",
        "language": "zh-hans",
        "how": "password",
        **fields,
    }


# The role and scope given, by name: what each needs from the world.
def scopes(factory_a, factory_b, site_a, site_b) -> dict:
    return {
        "hr of A": {"role": "hr", "factory": factory_a.pk},
        "hr of B": {"role": "hr", "factory": factory_b.pk},
        "worker at A": {"role": "childcare", "sites": [site_a.pk]},
        "worker at B": {"role": "childcare", "sites": [site_b.pk]},
        "worker at A and B": {"role": "childcare", "sites": [site_a.pk, site_b.pk]},
        "lead of A": {"role": "site_lead", "sites": [site_a.pk]},
        "lead of B": {"role": "site_lead", "sites": [site_b.pk]},
        "coordinator of A": {"role": "coordinator", "factories": [factory_a.pk]},
        "coordinator of all": {"role": "coordinator", "all_factories": "on"},
        "administrator": {"role": "admin"},
    }


EVERYTHING = {
    "hr of A",
    "hr of B",
    "worker at A",
    "worker at B",
    "worker at A and B",
    "lead of A",
    "lead of B",
    "coordinator of A",
    "coordinator of all",
    "administrator",
}
# What each manager may give; anything else is a 403 and nothing is saved.
MAY_GIVE = {
    "administrator": EVERYTHING,
    "coordinator": {"hr of A", "worker at A", "lead of A"},
    "coordinator of all": {
        "hr of A",
        "hr of B",
        "worker at A",
        "worker at B",
        "worker at A and B",
        "lead of A",
        "lead of B",
    },
    "site_lead": {"worker at A"},
    "hr": set(),
    "carer": set(),
    "sponsor_user": set(),
}


@pytest.fixture
def managers(request, administrator, coordinator, site_lead, hr, carer, sponsor_user):
    return {
        "administrator": administrator,
        "coordinator": coordinator,
        "coordinator of all": with_authenticator(
            UserFactory(username="coordinator.all", role=Role.COORDINATOR, all_factories=True)
        ),
        "site_lead": site_lead,
        "hr": hr,
        "carer": carer,
        "sponsor_user": sponsor_user,
    }


@pytest.mark.parametrize("manager", list(MAY_GIVE))
@pytest.mark.parametrize("scope", sorted(EVERYTHING))
def test_each_manager_gives_only_the_roles_and_scopes_below_their_own(
    client, managers, manager, scope, factory_a, factory_b, site_a, site_b
):
    client.force_login(managers[manager])
    entries = AuditEntry.objects.count()
    data = person(**scopes(factory_a, factory_b, site_a, site_b)[scope])
    response = client.post(ADD, data)
    if scope in MAY_GIVE[manager]:
        assert response.status_code == 302, response.content.decode()[:2000]
        given = User.objects.get(username="zhou.li")
        assert response["Location"] == reverse("people:person", kwargs={"person": given.pk})
        assert given.role == data["role"]
        assert AuditEntry.objects.filter(person=given, action="account.created").exists()
    else:
        assert response.status_code == 403
        assert not User.objects.filter(username="zhou.li").exists()
        assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("manager", ["coordinator", "site_lead"])
def test_the_form_offers_only_what_the_manager_may_give(
    client, managers, manager, site_a, site_b, factory_b
):
    client.force_login(managers[manager])
    page = client.get(ADD).content.decode()
    assert site_a.name in page
    assert site_b.name not in page and factory_b.name not in page
    assert ('value="coordinator"' in page) is False
    assert ('value="hr"' in page) is (manager == "coordinator")


@pytest.fixture
def worker_a(site_a):
    return UserFactory(username="worker.a", role=Role.CHILDCARE, sites=[site_a])


@pytest.fixture
def worker_b(site_b):
    return UserFactory(username="worker.b", role=Role.CHILDCARE, sites=[site_b])


def test_another_factorys_person_is_not_found(client, coordinator, site_lead, worker_b, outsiders):
    for manager in (coordinator, site_lead):
        client.force_login(manager)
        for name in ("people:person", "people:edit", "people:act"):
            url = reverse(name, kwargs={"person": worker_b.pk})
            assert client.get(url).status_code in (404, 405)
            assert client.post(url, {"action": "switch_off"}).status_code == 404
    worker_b.refresh_from_db()
    assert worker_b.is_active


def test_a_worker_shared_with_another_factory_is_managed_by_who_oversees_both(
    client, coordinator, administrator, site_a, site_b
):
    shared = UserFactory(role=Role.CHILDCARE, sites=[site_a, site_b])
    url = reverse("people:person", kwargs={"person": shared.pk})
    client.force_login(coordinator)
    assert client.get(url).status_code == 404
    client.force_login(administrator)
    assert client.get(url).status_code == 200


def test_a_site_lead_manages_their_workers_but_not_other_leads_or_hr(
    client, site_lead, worker_a, hr, site_a
):
    other_lead = UserFactory(role=Role.SITE_LEAD, sites=[site_a])
    client.force_login(site_lead)
    listed = [p.pk for p in client.get(reverse("people:list")).context["people"]]
    assert listed == [worker_a.pk]
    for someone in (other_lead, hr, site_lead):
        assert (
            client.get(reverse("people:person", kwargs={"person": someone.pk})).status_code == 404
        )


def test_raising_a_managed_person_above_the_managers_own_is_refused_and_nothing_changes(
    client, coordinator, worker_a, site_a, factory_b
):
    client.force_login(coordinator)
    url = reverse("people:edit", kwargs={"person": worker_a.pk})
    base = person(username="", role="childcare", sites=[site_a.pk])
    for forged in (
        {"role": "coordinator", "factories": [site_a.factory_id]},
        {"role": "admin"},
        {"role": "hr", "factory": factory_b.pk},
    ):
        assert client.post(url, {**base, **forged}).status_code == 403
    worker_a.refresh_from_db()
    assert worker_a.role == Role.CHILDCARE and worker_a.last_name == "李"
    assert client.post(url, {**base, "role": "site_lead"}).status_code == 302
    worker_a.refresh_from_db()
    assert worker_a.role == Role.SITE_LEAD
    entry = AuditEntry.objects.get(person=worker_a, action="account.changed")
    assert "role" in entry.details["fields"]


def test_the_list_takes_the_same_queries_for_three_people_or_thirty(
    client, administrator, site_a, factory_a, django_assert_max_num_queries
):
    client.force_login(administrator)

    def people(n):
        for _ in range(n):
            UserFactory(role=Role.CHILDCARE, sites=[site_a])
            UserFactory(role=Role.HR, factory=factory_a)
            UserFactory(role=Role.COORDINATOR, factories=[factory_a])

    people(1)
    with django_assert_max_num_queries(9) as few:
        client.get(reverse("people:list"))
    people(10)
    with django_assert_max_num_queries(len(few)) as many:
        response = client.get(reverse("people:list"))
    assert len(response.context["people"]) >= 30
    assert len(many) == len(few)


def test_a_person_page_shows_the_accounts_history(client, administrator, worker_a):
    client.force_login(administrator)
    act = reverse("people:act", kwargs={"person": worker_a.pk})
    client.post(act, {"action": "switch_off"})
    client.post(act, {"action": "switch_on"})
    page = client.get(reverse("people:person", kwargs={"person": worker_a.pk}))
    labels = [entry.label for entry in page.context["state"].history]
    assert labels[:2] == ["已重新启用账号", "已停用账号"]
    assert "已停用账号" in page.content.decode()


# Switching off ------------------------------------------------------------------------------


def test_switching_off_ends_a_live_session_and_a_tablet_pin_at_once(
    client, site_lead, worker_a, site_a
):
    profile = staff_services.profile_for(worker_a)
    staff_services.pin_set(profile=profile, pin="4826", by=None)
    DutyPeriod.objects.create(site=site_a, user=worker_a, clock_in_at=profile.user.date_joined)
    theirs = Client()
    theirs.force_login(worker_a)
    assert theirs.get(reverse("attendance:board")).status_code == 200

    client.force_login(site_lead)
    response = client.post(
        reverse("people:act", kwargs={"person": worker_a.pk}), {"action": "switch_off"}
    )
    assert response.status_code == 302

    signed_out = theirs.get(reverse("attendance:board"))
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith(reverse("login"))
    profile.refresh_from_db()
    assert profile.takes_pin is False
    assert profile.pin  # kept, for when they come back
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="停用"):
        staff_services.pin_check(profile, "4826")
    # The duty clock refuses the PIN, and the duty left open is closed.
    duty = client.post(
        reverse("staff:duty", kwargs={"site": site_a.pk}),
        {"person": worker_a.pk, "pin": "4826", "action": "in"},
        follow=True,
    )
    assert duty.status_code == 200
    assert not DutyPeriod.objects.filter(user=worker_a, clock_out_at__isnull=True).exists()
    worker_a.refresh_from_db()
    assert worker_a.deactivated_at is not None
    # Records keep the name; switched on again, the old session stays ended.
    client.post(reverse("people:act", kwargs={"person": worker_a.pk}), {"action": "switch_on"})
    assert theirs.get(reverse("attendance:board")).status_code == 302
    assert (
        Client()
        .post(reverse("login"), {"username": worker_a.username, "password": TEST_PASSWORD})
        .status_code
        == 302
    )


def test_a_switched_off_person_cannot_sign_in(client, administrator, worker_a):
    client.force_login(administrator)
    client.post(reverse("people:act", kwargs={"person": worker_a.pk}), {"action": "switch_off"})
    response = Client().post(
        reverse("login"), {"username": worker_a.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in response.wsgi_request.session


# One-time passwords, resets, lock-outs --------------------------------------------------------


def test_a_one_time_password_is_shown_once_and_replaced_at_the_first_sign_in(
    client, site_lead, site_a
):
    client.force_login(site_lead)
    response = client.post(ADD, person(role="childcare", sites=[site_a.pk]), follow=True)
    password = response.context["one_time_password"]
    assert password and password in response.content.decode()
    again = client.get(response.redirect_chain[-1][0])
    assert again.context["one_time_password"] is None
    assert password not in again.content.decode()
    assert password not in str(list(AuditEntry.objects.values_list("details", flat=True)))

    theirs = Client()
    signed_in = theirs.post(
        reverse("login"), {"username": "Zhou.Li", "password": password}, follow=True
    )
    assert signed_in.redirect_chain[-1][0] == reverse("password_choose")
    assert theirs.get(reverse("attendance:board")).status_code == 302
    assert theirs.post(reverse("attendance:board")).status_code == 403
    chosen = theirs.post(
        reverse("password_choose"),
        {"new_password1": "a-long-passphrase-7", "new_password2": "a-long-passphrase-7"},
        follow=True,
    )
    assert chosen.redirect_chain[-1][0] == reverse("attendance:board")
    assert theirs.get(reverse("attendance:board")).status_code == 200


def test_a_manager_sends_a_reset_and_clears_a_lock_out(
    client, coordinator, hr, settings, celery_eager, django_capture_on_commit_callbacks
):
    from django.core import mail

    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            reverse("login"),
            {"username": hr.username.upper(), "password": "guess"},
            REMOTE_ADDR="10.7.0.1",
        )
    locked = Client().post(reverse("login"), {"username": hr.username, "password": TEST_PASSWORD})
    assert locked.status_code == 429
    client.force_login(coordinator)
    page = client.get(reverse("people:person", kwargs={"person": hr.pk}))
    assert page.context["state"].locked_out
    act = reverse("people:act", kwargs={"person": hr.pk})
    client.post(act, {"action": "clear_lock"})
    assert (
        not client.get(reverse("people:person", kwargs={"person": hr.pk}))
        .context["state"]
        .locked_out
    )
    signed_in = Client().post(
        reverse("login"), {"username": hr.username, "password": TEST_PASSWORD}
    )
    assert signed_in.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        client.post(act, {"action": "reset_password"})
    [message] = mail.outbox
    assert message.to == [hr.email] and "/accounts/reset/" in message.body
    assert AuditEntry.objects.filter(person=hr, action="account.lock_cleared").exists()


def test_a_reset_for_someone_without_an_address_says_what_to_do(client, site_lead, site_a):
    nobody = UserFactory(role=Role.CHILDCARE, sites=[site_a], email="")
    client.force_login(site_lead)
    response = client.post(
        reverse("people:act", kwargs={"person": nobody.pk}),
        {"action": "reset_password"},
        follow=True,
    )
    assert "一次性密码" in response.content.decode()


def test_an_unknown_act_is_explained(client, site_lead, worker_a):
    client.force_login(site_lead)
    response = client.post(
        reverse("people:act", kwargs={"person": worker_a.pk}), {"action": "promote"}, follow=True
    )
    assert response.status_code == 200
    assert worker_a.role == User.objects.get(pk=worker_a.pk).role


# User names -----------------------------------------------------------------------------------


def test_user_names_are_unique_ignoring_case(client, administrator, hr):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username=hr.username.upper())
    client.force_login(administrator)
    response = client.post(
        ADD, person(username=hr.username.upper(), role="hr", factory=hr.factory_id)
    )
    assert response.status_code == 200
    assert "已被占用" in str(response.context["form"].errors["username"])


def test_sign_in_matches_the_user_name_ignoring_case(hr):
    for typed in (hr.username.upper(), hr.username.title(), f" {hr.username}"):
        response = Client().post(
            reverse("login"), {"username": typed.strip(), "password": TEST_PASSWORD}
        )
        assert response.status_code == 302, typed


def test_a_reset_before_the_first_password_asks_for_a_new_invitation(
    client, coordinator, factory_a
):
    invited = UserFactory(role=Role.HR, factory=factory_a)
    invited.set_unusable_password()
    invited.save()
    client.force_login(coordinator)
    response = client.post(
        reverse("people:act", kwargs={"person": invited.pk}),
        {"action": "reset_password"},
        follow=True,
    )
    assert "重新发送邀请" in response.content.decode()
    assert not AuditEntry.objects.filter(action="account.password_reset_sent").exists()


def test_switching_off_a_sponsors_login_ends_its_session_too(client, coordinator, sponsor_user):
    theirs = Client()
    theirs.force_login(sponsor_user)
    assert theirs.get(reverse("outcomes:reports")).status_code == 200
    client.force_login(coordinator)
    client.post(
        reverse(
            "outcomes:sponsor_login_deactivate",
            kwargs={"sponsor": sponsor_user.sponsor_id, "login": sponsor_user.pk},
        )
    )
    assert theirs.get(reverse("outcomes:reports")).status_code == 302
    assert AuditEntry.objects.filter(person=sponsor_user, action="account.switched_off").exists()


def test_a_coordinator_of_named_factories_oversees_the_factory_they_add(client, coordinator):
    from enrollment.models import Factory

    client.force_login(coordinator)
    response = client.post(
        reverse("program:factory_create"),
        {"name": "惠州欢乐玩具厂", "code": "hz-huanle", "city": "惠州", "province": "guangdong"},
    )
    assert response.status_code == 302
    factory = Factory.objects.get(code="hz-huanle")
    assert factory in coordinator.factories.all()
    page = client.get(ADD).content.decode()
    assert "惠州欢乐玩具厂" in page


def test_a_sponsors_login_is_changed_on_the_sponsors_page(client, administrator, sponsor_user):
    client.force_login(administrator)
    page = client.get(reverse("people:person", kwargs={"person": sponsor_user.pk}))
    assert page.status_code == 200
    assert sponsor_user.sponsor.name in page.content.decode()
    edit = client.get(reverse("people:edit", kwargs={"person": sponsor_user.pk}))
    assert edit["Location"] == reverse("people:person", kwargs={"person": sponsor_user.pk})


def test_a_one_time_password_asks_for_a_new_one_after_a_password_not_a_tablet_pin(
    site_lead,
    on_tablet,  # noqa: F811 - the fixture
    worker,  # noqa: F811 - the fixture
    site_a,
):
    """A worker given a one-time password still unlocks the tablet with their PIN (its pages
    only): choosing a password is for a session opened with the password."""
    from tests.attendance.test_tablet import unlock

    lead = Client()
    lead.force_login(site_lead)
    lead.post(reverse("people:act", kwargs={"person": worker.pk}), {"action": "one_time_password"})
    response = unlock(on_tablet, worker)
    assert response["Location"] == reverse("attendance:site_board", args=[site_a.pk])
    assert on_tablet.get(response["Location"]).status_code == 200
