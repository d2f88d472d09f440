"""Registered tablets: registration and revocation by the site lead, the lock screen, PIN
unlock with its throttles, the idle lock, and what a session opened with a PIN may reach."""

import time
import uuid

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from attendance.models import AttendanceRecord
from attendance.tablet import middleware, services
from attendance.tablet.models import Tablet
from ffs_portal.models import AuditEntry, Role
from staff import pins
from staff import services as staff_services
from tests.attendance.conftest import PIN, as_tablet
from tests.factories import TEST_PASSWORD, UserFactory, enrolled_child

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_tablet(client, tablet):
    """The test client is the registered tablet (it carries the tablet's cookie)."""
    return as_tablet(client, tablet)


@pytest.fixture
def child(term_a):
    return enrolled_child(term_a, name="王小明", medical_notes="哮喘")


def unlock(client, person, pin=PIN):
    return client.post(reverse("tablet:unlock"), {"person": person.pk, "pin": pin})


class TestRegistration:
    def test_a_lead_registers_this_browser_and_it_shows_the_lock_screen(
        self, client, site_lead, site_a, worker
    ):
        client.force_login(site_lead)
        response = client.post(
            reverse("tablet:register", kwargs={"site": site_a.pk}), {"name": " 小班  平板 "}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("tablet:lock_screen")
        tablet = Tablet.objects.get()
        assert (tablet.name, tablet.site, tablet.registered_by) == ("小班 平板", site_a, site_lead)
        cookie = response.cookies[middleware.COOKIE]
        assert cookie["httponly"] and int(cookie["max-age"]) > 300 * 24 * 3600
        # The lead's own session ends on the tablet.
        assert "_auth_user_id" not in client.session
        page = client.get(reverse("tablet:lock_screen"))
        assert page.status_code == 200
        assert "张敏" in page.content.decode()
        assert AuditEntry.objects.filter(action="tablet.registered", actor=site_lead).exists()

    def test_two_tablets_of_a_site_cannot_share_a_name(self, client, site_lead, site_a, tablet):
        client.force_login(site_lead)
        response = client.post(
            reverse("tablet:register", kwargs={"site": site_a.pk}), {"name": "小班 平板"}
        )
        assert response.status_code == 200
        assert "已经有" in response.content.decode() or "already" in response.content.decode()
        assert Tablet.objects.count() == 1

    @pytest.mark.parametrize("role", [Role.CHILDCARE, Role.HR])
    def test_only_a_lead_registers_or_revokes(self, client, site_a, factory_a, tablet, role):
        user = UserFactory(role=role, sites=[site_a], factory=factory_a)
        client.force_login(user)
        register = reverse("tablet:register", kwargs={"site": site_a.pk})
        assert client.post(register, {"name": "x"}).status_code == 403
        revoke = reverse("tablet:revoke", kwargs={"site": site_a.pk, "tablet": tablet.key})
        assert client.post(revoke).status_code == 403
        tablet.refresh_from_db()
        assert tablet.revoked_at is None

    def test_another_sites_lead_finds_no_tablet(self, client, site_b, site_a, tablet):
        lead = UserFactory(role=Role.SITE_LEAD, sites=[site_b])
        client.force_login(lead)
        revoke = reverse("tablet:revoke", kwargs={"site": site_a.pk, "tablet": tablet.key})
        assert client.post(revoke).status_code == 404
        tablet.refresh_from_db()
        assert tablet.revoked_at is None


class TestTheLockScreen:
    def test_it_shows_the_staff_and_nothing_about_a_child(self, on_tablet, worker, child):
        AttendanceRecord.objects.create(
            site=worker.sites.get(),
            child=child,
            day=timezone.localdate(),
            status="present",
            checked_in_at=timezone.now(),
        )
        page = on_tablet.get(reverse("tablet:lock_screen")).content.decode()
        assert "张敏" in page
        assert "王小明" not in page and "哮喘" not in page

    def test_a_browser_that_is_not_a_tablet_gets_the_sign_in_page(self, client):
        response = client.get(reverse("tablet:lock_screen"))
        assert response["Location"] == reverse("login")

    def test_the_sign_in_page_of_a_tablet_leads_to_its_lock_screen(self, on_tablet):
        assert on_tablet.get(reverse("login"))["Location"] == reverse("tablet:lock_screen")
        # A password stays one tap away.
        assert on_tablet.get(reverse("login") + "?password=1").status_code == 200

    def test_a_forged_cookie_is_the_sign_in_page_and_is_forgotten(self, client, tablet):
        forged = signing.get_cookie_signer(salt=middleware.COOKIE + "x").sign(str(tablet.key))
        client.cookies[middleware.COOKIE] = forged
        response = client.get(reverse("tablet:lock_screen"))
        assert response["Location"] == reverse("login")
        assert response.cookies[middleware.COOKIE].value == ""

    def test_a_password_still_signs_in_on_a_tablet(self, on_tablet, worker, site_a):
        response = on_tablet.post(
            reverse("login"), {"username": worker.username, "password": TEST_PASSWORD}
        )
        assert response.status_code == 302
        assert on_tablet.get(reverse("attendance:site_board", args=[site_a.pk])).status_code == 200


class TestUnlock:
    def test_a_worker_unlocks_with_their_pin_and_acts_as_themselves(
        self, on_tablet, worker, site_a, child
    ):
        response = unlock(on_tablet, worker)
        assert response["Location"] == reverse("attendance:site_board", args=[site_a.pk])
        board = on_tablet.get(response["Location"]).content.decode()
        assert "张敏" in board  # whose acts these are, in the top bar
        check_in = reverse("attendance:check_in", kwargs={"site": site_a.pk, "child": child.key})
        assert on_tablet.post(check_in, {"idem": str(uuid.uuid4())}).status_code == 200
        record = AttendanceRecord.objects.get(child=child)
        assert record.checked_in_by == worker
        entry = AuditEntry.objects.get(action="attendance.checked_in")
        assert entry.actor == worker
        assert AuditEntry.objects.filter(action="tablet.unlocked", actor=worker).exists()

    def test_a_wrong_pin_is_refused_recorded_and_counted(self, on_tablet, worker):
        response = unlock(on_tablet, worker, "0000")
        assert response.status_code == 403
        assert "PIN" in response.content.decode()
        assert "_auth_user_id" not in on_tablet.session
        refused = AuditEntry.objects.get(action="tablet.pin_refused")
        assert refused.details["person"] == worker.username
        assert refused.details["why"] == "wrong_pin"
        assert staff_services.profile_for(worker).pin_failures == 1

    def test_someone_not_on_this_sites_staff_is_refused_like_a_wrong_pin(self, on_tablet, site_b):
        stranger = UserFactory(sites=[site_b])
        staff_services.pin_set(profile=staff_services.profile_for(stranger), pin=PIN, by=None)
        response = unlock(on_tablet, stranger)
        assert response.status_code == 403
        assert "_auth_user_id" not in on_tablet.session
        assert AuditEntry.objects.get(action="tablet.pin_refused").details["why"] == "not_staff"

    def test_five_wrong_pins_lock_the_person_even_with_the_right_one_after(self, on_tablet, worker):
        for _ in range(5):
            unlock(on_tablet, worker, "1111")
        response = unlock(on_tablet, worker)
        assert response.status_code == 403
        assert "_auth_user_id" not in on_tablet.session

    def test_ten_wrong_pins_on_one_tablet_pause_it_for_everyone(self, on_tablet, worker, site_a):
        others = [UserFactory(sites=[site_a]) for _ in range(3)]
        for n in range(services.DEVICE_PIN_FAILURES):
            unlock(on_tablet, others[n % 3], "9999")
        response = unlock(on_tablet, worker)  # the right PIN of someone not yet tried
        assert response.status_code == 403
        assert "_auth_user_id" not in on_tablet.session
        assert AuditEntry.objects.filter(details__why="device_paused").exists()

    def test_a_switched_off_account_cannot_unlock(self, on_tablet, worker):
        worker.is_active = False
        worker.save(update_fields=["is_active"])
        assert unlock(on_tablet, worker).status_code == 403
        assert "_auth_user_id" not in on_tablet.session

    def test_a_pin_is_cheap_to_check_and_an_old_one_is_rehashed(self, worker):
        from django.contrib.auth.hashers import make_password

        profile = staff_services.profile_for(worker)
        profile.pin = make_password(PIN)  # as PINs were stored before
        profile.save(update_fields=["pin"])
        staff_services.pin_check(profile, PIN)
        profile.refresh_from_db()
        assert pins.is_current(profile.pin)
        began = time.perf_counter()
        staff_services.pin_check(profile, PIN)
        assert time.perf_counter() - began < 0.2


class TestAPinSession:
    @pytest.fixture
    def unlocked(self, on_tablet, worker):
        unlock(on_tablet, worker)
        return on_tablet

    def test_it_reaches_the_door_pages_of_its_own_site_only(self, unlocked, site_a, site_b, worker):
        worker.sites.add(site_b)  # works at two spaces: the tablet is this one's
        assert unlocked.get(reverse("attendance:site_board", args=[site_a.pk])).status_code == 200
        assert unlocked.get(reverse("staff:duty", args=[site_a.pk])).status_code == 200
        other = unlocked.get(reverse("attendance:site_board", args=[site_b.pk]))
        assert other["Location"] == reverse("attendance:site_board", args=[site_a.pk])
        # Not the account's own settings: a PIN does not change a password or an e-mail.
        assert unlocked.get(reverse("account_settings")).status_code == 302
        assert unlocked.post(reverse("account_settings"), {}).status_code == 403

    def test_the_lock_button_signs_out_and_shows_the_lock_screen(self, unlocked, worker):
        response = unlocked.post(reverse("tablet:lock"))
        assert response["Location"] == reverse("tablet:lock_screen")
        assert "_auth_user_id" not in unlocked.session
        assert AuditEntry.objects.filter(action="tablet.locked", actor=worker).exists()

    def test_it_locks_after_the_sites_idle_minutes(self, unlocked, site_a):
        board = reverse("attendance:site_board", args=[site_a.pk])
        session = unlocked.session
        session[middleware.SESSION_SEEN] = int(time.time()) - 4 * 60
        session.save()
        # The board's own refresh does not count as a touch...
        live = reverse("attendance:board_live", args=[site_a.pk])
        assert unlocked.get(live, headers={middleware.POLL_HEADER: "1"}).status_code == 200
        assert unlocked.session[middleware.SESSION_SEEN] < int(time.time()) - 200
        session = unlocked.session
        session[middleware.SESSION_SEEN] = int(time.time()) - 6 * 60
        session.save()
        # ...and after five minutes without one, the next request finds the tablet locked.
        response = unlocked.get(board)
        assert response["Location"] == reverse("tablet:lock_screen")
        assert "_auth_user_id" not in unlocked.session

    def test_a_touch_is_written_to_the_session_at_most_every_few_seconds(self, unlocked, site_a):
        board = reverse("attendance:site_board", args=[site_a.pk])
        session = unlocked.session
        recent = int(time.time()) - 5
        session[middleware.SESSION_SEEN] = recent
        session.save()
        assert unlocked.get(board).status_code == 200
        # A tap seconds after the last written one saves nothing (no UPDATE of the session).
        assert unlocked.session[middleware.SESSION_SEEN] == recent
        session = unlocked.session
        session[middleware.SESSION_SEEN] = int(time.time()) - middleware.SEEN_EVERY_SECONDS
        session.save()
        assert unlocked.get(board).status_code == 200
        assert unlocked.session[middleware.SESSION_SEEN] >= int(time.time()) - 2

    def test_a_revoked_tablet_signs_its_session_out_at_once(self, unlocked, tablet, site_a):
        services.tablet_revoke(tablet=tablet, by=None)
        response = unlocked.get(reverse("attendance:site_board", args=[site_a.pk]))
        assert response["Location"] == reverse("login")
        assert "_auth_user_id" not in unlocked.session
        assert unlocked.get(reverse("tablet:lock_screen"))["Location"] == reverse("login")

    def test_the_lead_revokes_a_lost_tablet_from_their_own_computer(
        self, client, site_lead, site_a, tablet
    ):
        client.force_login(site_lead)
        page = client.get(reverse("tablet:tablets", kwargs={"site": site_a.pk}))
        assert "小班 平板" in page.content.decode()
        client.post(reverse("tablet:revoke", kwargs={"site": site_a.pk, "tablet": tablet.key}))
        tablet.refresh_from_db()
        assert tablet.revoked_by == site_lead and tablet.revoked_at is not None


def test_the_lead_sets_the_idle_time_and_the_hand_over_checks(client, site_lead, site_a):
    client.force_login(site_lead)
    page = reverse("tablet:tablets", kwargs={"site": site_a.pk})
    response = client.post(
        page,
        {
            "tablet_lock_minutes": "3",
            "pickup_code_required": "on",
            "pickup_signature": "on",
            "health_check": "required",
        },
    )
    assert response.status_code == 302
    site_a.refresh_from_db()
    assert site_a.health_check == "required"
    assert (site_a.tablet_lock_minutes, site_a.pickup_code_required, site_a.pickup_signature) == (
        3,
        True,
        True,
    )
    refused = client.post(page, {"tablet_lock_minutes": "0"})
    assert refused.status_code == 200
    site_a.refresh_from_db()
    assert site_a.tablet_lock_minutes == 3


def test_the_lead_sets_when_parents_hear_a_child_has_not_arrived(client, site_lead, site_a):
    client.force_login(site_lead)
    page = reverse("tablet:tablets", kwargs={"site": site_a.pk})
    assert site_a.not_arrived_minutes == 30
    client.post(page, {"tablet_lock_minutes": "5", "not_arrived_minutes": "45"})
    site_a.refresh_from_db()
    assert site_a.not_arrived_minutes == 45
    assert (
        client.post(page, {"tablet_lock_minutes": "5", "not_arrived_minutes": "2"}).status_code
        == 200
    )
    client.post(page, {"tablet_lock_minutes": "5"})  # left out: unchanged
    site_a.refresh_from_db()
    assert site_a.not_arrived_minutes == 45
