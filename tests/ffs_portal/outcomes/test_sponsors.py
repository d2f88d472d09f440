"""Sponsors and their read-only login: coordinators manage them; a sponsor's login reads its
own sponsor's reports and reaches nothing else."""

import pytest
from django.urls import reverse
from django.utils import timezone

from ffs_portal.models import Role, User
from ffs_portal.outcomes.models import Sponsor, Sponsorship
from tests.test_sweeps import PUBLIC, object_samples, world  # noqa: F401 - the sweep's world
from tests.urlsweep import all_routes, build_url

# What a sponsor's login may open: its landing page, its reports, its own account.
SPONSOR_PAGES = {
    "home",
    "outcomes:reports",
    "outcomes:sponsor_report",
    "account_settings",
    "password_change",
    "password_change_done",
    "password_choose",
    "two_factor_codes",
    "recovery_codes_renew",
    "logout",
}


def test_a_sponsor_lands_on_its_reports(client, sponsor_user):
    client.force_login(sponsor_user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("outcomes:reports")
    page = client.get(response["Location"]).content.decode()
    assert sponsor_user.sponsor.name in page


@pytest.mark.django_db
def test_a_sponsor_is_refused_every_other_page(client, world, sponsor_user):  # noqa: F811
    """Every URL of the portal, present and future, except its own pages: 403 or 404."""
    samples = {**object_samples(world), "uidb64": "MQ", "token": "set-password"}
    client.force_login(sponsor_user)
    checked = 0
    for route in all_routes():
        if route.name in PUBLIC | SPONSOR_PAGES or route.name.startswith("admin:"):
            continue
        url = build_url(route, samples)
        status = client.get(url).status_code
        if status == 405:
            status = client.post(url).status_code
        assert status in (403, 404), f"{route.name} {url} → {status} for a sponsor"
        checked += 1
    assert checked > 60
    # The admin site sends it to the admin's own sign-in, which it cannot pass.
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_a_sponsor_never_reaches_a_child_or_a_family(client, sponsor_user, term_a):
    from tests.factories import enrolled_child

    child = enrolled_child(term_a)
    client.force_login(sponsor_user)
    for url in (
        reverse("enrollment:family_detail", kwargs={"family": child.family.key}),
        reverse("enrollment:child_edit", kwargs={"child": child.key}),
        reverse("enrollment:child_photo", kwargs={"child": child.key}),
        reverse("enrollment:family_list"),
        reverse("attendance:dashboard"),
    ):
        assert client.get(url).status_code in (403, 404), url


def test_a_sponsor_reads_its_own_report_and_not_another_sponsors(client, sponsor_user, sponsor_b):
    client.force_login(sponsor_user)
    year = timezone.localdate().year
    own = reverse(
        "outcomes:sponsor_report", kwargs={"sponsor": sponsor_user.sponsor_id, "year": year}
    )
    other = reverse("outcomes:sponsor_report", kwargs={"sponsor": sponsor_b.pk, "year": year})
    assert client.get(own).status_code == 200
    assert client.get(other).status_code == 404
    assert client.get(other + "?format=xlsx").status_code == 404


def test_a_coordinator_adds_a_sponsor_a_sponsorship_and_a_login(client, coordinator, factory_a):
    client.force_login(coordinator)
    response = client.post(
        reverse("outcomes:sponsor_create"),
        {"name": "TÜV Rheinland", "contact_name": "Anna Lee", "contact_email": "anna@example.com"},
    )
    sponsor = Sponsor.objects.get(name="TÜV Rheinland")
    assert response["Location"] == reverse("outcomes:sponsor_edit", kwargs={"sponsor": sponsor.pk})
    client.post(
        reverse("outcomes:sponsorship_add", kwargs={"sponsor": sponsor.pk}),
        {"factory": factory_a.pk, "program": "ffs", "year": "2026"},
    )
    assert Sponsorship.objects.filter(sponsor=sponsor, factory=factory_a, year=2026).exists()
    client.post(
        reverse("outcomes:sponsor_login_add", kwargs={"sponsor": sponsor.pk}),
        {"name": "Anna Lee", "username": "anna.lee", "password": "a-long-pass-phrase"},
    )
    login = User.objects.get(username="anna.lee")
    assert (login.role, login.sponsor) == (Role.SPONSOR, sponsor)
    client.post(
        reverse(
            "outcomes:sponsor_login_deactivate", kwargs={"sponsor": sponsor.pk, "login": login.pk}
        )
    )
    login.refresh_from_db()
    assert not login.is_active


@pytest.mark.parametrize(
    "data,message",
    [
        ({"factory": "", "program": "ffs", "year": "2026"}, "这个字段是必填项"),
        ({"factory": "FACTORY", "program": "zoo", "year": "2026"}, "选择一个有效的选项"),
        ({"factory": "FACTORY", "program": "ffs", "year": "1999"}, "2000"),
        ({"factory": "FACTORY", "program": "ffs", "year": "二〇二六"}, "输入整数"),
    ],
)
def test_bad_sponsorship_input_is_explained_and_nothing_saved(
    client, coordinator, sponsor_a, factory_a, data, message
):
    client.force_login(coordinator)
    before = Sponsorship.objects.count()
    data = {k: (str(factory_a.pk) if v == "FACTORY" else v) for k, v in data.items()}
    response = client.post(
        reverse("outcomes:sponsorship_add", kwargs={"sponsor": sponsor_a.pk}), data
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Sponsorship.objects.count() == before


def test_the_same_sponsorship_twice_is_refused_with_a_reason(
    client, coordinator, sponsor_a, factory_a
):
    client.force_login(coordinator)
    year = timezone.localdate().year
    response = client.post(
        reverse("outcomes:sponsorship_add", kwargs={"sponsor": sponsor_a.pk}),
        {"factory": factory_a.pk, "program": "ffs", "year": year},
    )
    assert "已经" in response.content.decode()
    assert Sponsorship.objects.filter(sponsor=sponsor_a, year=year).count() == 1


def test_another_factorys_sponsorship_cannot_be_added_or_removed(
    client, coordinator, sponsor_a, sponsor_b, factory_b
):
    client.force_login(coordinator)
    response = client.post(
        reverse("outcomes:sponsorship_add", kwargs={"sponsor": sponsor_a.pk}),
        {"factory": factory_b.pk, "program": "asc", "year": "2026"},
    )
    assert response.status_code == 200 and not sponsor_a.sponsorships.filter(factory=factory_b)
    theirs = sponsor_b.sponsorships.get()
    url = reverse("outcomes:sponsorship_remove", kwargs={"sponsorship": theirs.pk})
    assert client.post(url).status_code == 404
    assert Sponsorship.objects.filter(pk=theirs.pk).exists()


def test_bad_sponsor_and_login_input_is_explained(client, coordinator, sponsor_a):
    client.force_login(coordinator)
    response = client.post(reverse("outcomes:sponsor_create"), {"name": "  "})
    assert "这个字段是必填项" in response.content.decode()
    response = client.post(
        reverse("outcomes:sponsor_create"), {"name": sponsor_a.name.upper(), "contact_email": "x"}
    )
    page = response.content.decode()
    assert "已经有" in page and "有效的 Email" in page
    response = client.post(
        reverse("outcomes:sponsor_login_add", kwargs={"sponsor": sponsor_a.pk}),
        {"name": "A", "username": "a b", "password": "1234"},
    )
    page = response.content.decode()
    assert "至少" in page
    assert not User.objects.filter(role=Role.SPONSOR).exists()


def test_hr_and_site_staff_do_not_manage_sponsors(client, hr, carer, site_lead, sponsor_a):
    for user in (hr, carer, site_lead):
        client.force_login(user)
        assert client.get(reverse("outcomes:sponsor_list")).status_code == 403
        assert client.get(reverse("outcomes:reports")).status_code == 403


def test_a_coordinator_sees_the_sponsors_of_their_factories_and_new_ones(
    client, coordinator, sponsor_a, sponsor_b
):
    fresh = Sponsor.objects.create(name="Mattel")
    client.force_login(coordinator)
    page = client.get(reverse("outcomes:sponsor_list")).content.decode()
    assert sponsor_a.name in page and fresh.name in page and sponsor_b.name not in page
