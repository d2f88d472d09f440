import re
from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ffs_portal.models import AuditEntry, Role
from staff import selectors, services
from staff.models import DutyPeriod, Qualification, RatioRule, Shift
from tests.factories import UserFactory

PIN = "4826"


@pytest.fixture
def worker(site_a):
    """A childcare worker with a PIN and a valid child-protection qualification."""
    person = UserFactory(role=Role.CHILDCARE, sites=[site_a], last_name="黄", first_name="老师")
    profile = services.profile_for(person)
    services.pin_set(profile=profile, pin=PIN, by=None)
    services.qualification_save(
        profile=profile,
        kind="child_protection",
        obtained_on=date(2025, 3, 1),
        expires_on=timezone.localdate() + timedelta(days=300),
        by=None,
    )
    return person


def test_clock_in_and_out_with_the_right_pin(site_a, worker, carer):
    period = services.clock_in(site=site_a, user=worker, pin=PIN, by=carer)
    assert list(selectors.on_duty(site_a)) == [period]
    with pytest.raises(ValidationError):
        services.clock_in(site=site_a, user=worker, pin=PIN, by=carer)
    period.clock_in_at -= timedelta(hours=4)
    period.save()
    services.clock_out(site=site_a, user=worker, pin=PIN, by=carer)
    assert not selectors.on_duty(site_a).exists()
    assert AuditEntry.objects.filter(action="staff.clocked_in").count() == 1


def test_a_clock_out_without_a_clock_in_is_refused(site_a, worker, carer):
    with pytest.raises(ValidationError):
        services.clock_out(site=site_a, user=worker, pin=PIN, by=carer)


def test_the_database_refuses_two_open_duties_and_a_clock_out_before_the_clock_in(site_a, worker):
    now = timezone.now()
    DutyPeriod.objects.create(site=site_a, user=worker, clock_in_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        DutyPeriod.objects.create(site=site_a, user=worker, clock_in_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        DutyPeriod.objects.create(
            site=site_a, user=worker, clock_in_at=now, clock_out_at=now - timedelta(minutes=1)
        )


def test_a_pin_tried_too_often_is_locked_for_a_while(site_a, worker, carer):
    for _attempt in range(services.PIN_ATTEMPTS):
        with pytest.raises(ValidationError) as wrong:
            services.clock_in(site=site_a, user=worker, pin="0000", by=carer)
    assert "15" in wrong.value.messages[0]
    with pytest.raises(ValidationError) as locked:
        services.clock_in(site=site_a, user=worker, pin=PIN, by=carer)  # even the right one
    assert "Too many" in locked.value.messages[0] or "次数" in locked.value.messages[0]
    assert not DutyPeriod.objects.exists()


def test_a_lapsed_child_protection_qualification_needs_a_site_leads_override(
    site_a, worker, carer, site_lead
):
    Qualification.objects.filter(kind="child_protection").update(
        expires_on=timezone.localdate() - timedelta(days=1)
    )
    with pytest.raises(ValidationError):
        services.clock_in(site=site_a, user=worker, pin=PIN, by=carer)
    services.pin_set(profile=services.profile_for(site_lead), pin="9911", by=None)
    with pytest.raises(ValidationError):
        services.clock_in(
            site=site_a, user=worker, pin=PIN, by=carer, override_lead=carer, override_pin=PIN
        )
    period = services.clock_in(
        site=site_a, user=worker, pin=PIN, by=carer, override_lead=site_lead, override_pin="9911"
    )
    assert period.override_by == site_lead


@pytest.mark.parametrize("pin", ["12", "1234567", "abcd", "", "12³4"])
def test_a_pin_is_four_to_six_digits(worker, pin):
    with pytest.raises(ValidationError):
        services.pin_set(profile=services.profile_for(worker), pin=pin, by=None)


def test_a_pin_typed_in_full_width_digits_is_the_same_pin(site_a, worker, carer):
    """A Chinese input method types "１２３４"; the tablet's keypad "1234"."""
    full_width = PIN.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    assert full_width != PIN
    period = services.clock_in(site=site_a, user=worker, pin=full_width, by=carer)
    assert period.user == worker
    services.pin_set(profile=services.profile_for(worker), pin="２４６８", by=None)
    period.clock_in_at -= timedelta(hours=4)
    period.save()
    assert services.clock_out(site=site_a, user=worker, pin="2468", by=carer)


def test_overlapping_shifts_of_one_person_are_refused_even_at_another_site(
    site_a, worker, site_lead
):
    from tests.factories import SiteFactory

    other_site = SiteFactory(factory=site_a.factory)
    day = timezone.localdate()
    services.shift_add(
        site=site_a, user=worker, day=day, starts=time(8), ends=time(12), by=site_lead
    )
    with pytest.raises(ValidationError) as overlap:
        services.shift_add(
            site=other_site, user=worker, day=day, starts=time(11), ends=time(14), by=site_lead
        )
    assert "08:00–12:00" in overlap.value.messages[0]
    services.shift_add(
        site=site_a, user=worker, day=day, starts=time(12), ends=time(16), by=site_lead
    )
    with pytest.raises(ValidationError):
        services.shift_add(
            site=site_a, user=worker, day=day, starts=time(9), ends=time(9), by=site_lead
        )
    assert Shift.objects.count() == 2


def test_ratio_rules_refuse_zero_and_overlapping_bands(site_a, coordinator):
    with pytest.raises(ValidationError):
        services.ratio_rules_save(site=site_a, bands=[(0, 5, 0)], by=coordinator)
    with pytest.raises(ValidationError):
        services.ratio_rules_save(site=site_a, bands=[(0, 6, 8), (6, 14, 15)], by=coordinator)
    services.ratio_rules_save(site=site_a, bands=[(6, 14, 12), (0, 5, 6)], by=coordinator)
    assert [(b.min_age, b.per_adult) for b in selectors.bands_for(site_a)] == [(0, 6), (6, 12)]
    with pytest.raises(IntegrityError), transaction.atomic():
        RatioRule.objects.create(site=site_a, min_age=15, max_age=16, children_per_adult=0)


def test_planned_staff_not_clocked_in_are_who_to_call(site_a, worker, site_lead):
    ten = timezone.localtime().replace(hour=10, minute=0)
    Shift.objects.create(site=site_a, user=worker, day=ten.date(), starts=time(8), ends=time(17))
    assert [s.user for s in selectors.planned_absent(site_a, ten)] == [worker]
    assert selectors.planned_absent(site_a, ten.replace(hour=18)) == []
    DutyPeriod.objects.create(site=site_a, user=worker, clock_in_at=timezone.now())
    assert selectors.planned_absent(site_a, ten) == []


def test_qualifications_expiring_within_30_days_are_warned(site_lead, worker):
    profile = services.profile_for(worker)
    services.qualification_save(
        profile=profile,
        kind="first_aid",
        obtained_on=date(2024, 1, 1),
        expires_on=timezone.localdate() + timedelta(days=20),
        by=None,
    )
    kinds = [q.kind for q in selectors.qualification_warnings(site_lead)]
    assert kinds == ["first_aid"]


class TestViews:
    def test_a_site_lead_manages_their_sites_staff(self, client, site_lead, site_a, worker):
        client.force_login(site_lead)
        page = client.get(reverse("staff:site_staff", kwargs={"site": site_a.pk}))
        assert page.status_code == 200 and "黄老师" in page.content.decode()

    def test_a_childcare_worker_and_hr_do_not_manage_staff(self, client, carer, hr, site_a):
        for user in (carer, hr):
            client.force_login(user)
            assert client.get(
                reverse("staff:site_staff", kwargs={"site": site_a.pk})
            ).status_code in (403, 404)

    def test_the_duty_clock_on_the_tablet(self, client, carer, site_a, worker):
        client.force_login(carer)
        url = reverse("staff:duty", kwargs={"site": site_a.pk})
        assert "黄老师" in client.get(url).content.decode()
        client.post(url, {"person": worker.pk, "pin": "0000", "action": "in"})
        assert not DutyPeriod.objects.exists()
        response = client.post(url, {"person": worker.pk, "pin": PIN, "action": "in"}, follow=True)
        assert DutyPeriod.objects.get().user == worker
        assert "在岗" in response.content.decode()

    def test_a_site_lead_adds_a_staff_member_and_bad_input_is_explained(
        self, client, site_lead, site_a
    ):
        client.force_login(site_lead)
        staff_page = client.get(reverse("staff:site_staff", kwargs={"site": site_a.pk}))
        url = f"{reverse('people:add')}?site={site_a.pk}"
        assert url in staff_page.content.decode()
        form = client.get(url).context["form"]
        assert form.initial["sites"] == [site_a.pk] and form.initial["role"] == "childcare"
        data = {
            "last_name": "周",
            "first_name": "丽",
            "username": "zhou.li",
            "language": "zh-hans",
            "role": "childcare",
            "sites": [site_a.pk],
            "mobile": "12345",
            "how": "password",
        }
        assert client.post(url, data).status_code == 200
        data["mobile"] = "13712345678"
        response = client.post(url, data)
        assert response.status_code == 302
        person = site_a.users.get(username="zhou.li")
        assert person.staff_profile.mobile == "13712345678"

    def test_coordinators_edit_ratio_rules_and_zero_is_refused(self, client, coordinator, site_a):
        client.force_login(coordinator)
        url = reverse("staff:ratio_rules", kwargs={"site": site_a.pk})
        response = client.post(url, {"min_0": "0", "max_0": "5", "per_0": "0"})
        assert response.status_code == 200 and not RatioRule.objects.exists()
        client.post(
            url,
            {"min_0": "0", "max_0": "5", "per_0": "7", "min_1": "6", "max_1": "14", "per_1": "14"},
        )
        assert RatioRule.objects.filter(site=site_a).count() == 2

    def test_the_rota_page_adds_and_removes_shifts(self, client, site_lead, site_a, worker):
        client.force_login(site_lead)
        url = reverse("staff:rota", kwargs={"site": site_a.pk})
        day = timezone.localdate().isoformat()
        client.post(url, {"user": worker.pk, "day": day, "starts": "08:00", "ends": "12:00"})
        shift = Shift.objects.get()
        assert "黄老师" in client.get(url).content.decode()
        client.post(reverse("staff:shift_remove", kwargs={"shift": shift.pk}))
        assert not Shift.objects.exists()


class TestLiveRatio:
    def test_the_live_ratio_counts_children_present_and_staff_on_duty(
        self, site_a, term_a, worker, django_assert_max_num_queries
    ):
        from attendance.models import AttendanceRecord
        from tests.factories import enrolled_child

        born = timezone.localdate() - timedelta(days=365 * 4 + 30)
        for _ in range(9):
            child = enrolled_child(term_a, date_of_birth=born)
            AttendanceRecord.objects.create(
                site=site_a,
                child=child,
                day=timezone.localdate(),
                status="present",
                checked_in_at=timezone.now(),
            )
        with django_assert_max_num_queries(4):
            ratio = selectors.live_ratio(site_a, with_call=True)
        assert (ratio.assessment.children, ratio.assessment.staff, ratio.state) == (9, 0, "red")
        for person in (worker, UserFactory(role=Role.CHILDCARE, sites=[site_a])):
            DutyPeriod.objects.create(site=site_a, user=person, clock_in_at=timezone.now())
        assert selectors.live_ratio(site_a).state == "green"

    def test_minutes_over_ratio_are_recorded_from_the_days_times(self, site_a, term_a, worker):
        from datetime import datetime

        from attendance.models import AttendanceRecord
        from staff.models import RatioDay
        from tests.factories import enrolled_child

        day = timezone.localdate() - timedelta(days=1)
        tz = timezone.get_current_timezone()

        def at(hour, minute=0):
            return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)

        other = UserFactory(role=Role.CHILDCARE, sites=[site_a])
        DutyPeriod.objects.create(
            site=site_a, user=worker, clock_in_at=at(7, 30), clock_out_at=at(18)
        )
        DutyPeriod.objects.create(
            site=site_a, user=other, clock_in_at=at(8, 20), clock_out_at=at(17)
        )
        child = enrolled_child(term_a)
        AttendanceRecord.objects.create(
            site=site_a,
            child=child,
            day=day,
            status="collected",
            checked_in_at=at(8),
            checked_out_at=at(17, 30),
        )
        # 08:00–08:20 one adult, 17:00–17:30 one adult: 50 minutes over ratio.
        services.ratio_day_record(site=site_a, day=day)
        assert RatioDay.objects.get(site=site_a, day=day).minutes_over == 50

    def test_the_board_shows_the_ratio_and_who_to_call(self, client, carer, site_a, term_a, worker):
        from attendance.models import AttendanceRecord
        from tests.factories import enrolled_child

        child = enrolled_child(term_a)
        AttendanceRecord.objects.create(
            site=site_a,
            child=child,
            day=timezone.localdate(),
            status="present",
            checked_in_at=timezone.now(),
        )
        Shift.objects.create(
            site=site_a, user=worker, day=timezone.localdate(), starts=time(0), ends=time(23, 59)
        )
        client.force_login(carer)
        board = client.get(reverse("attendance:site_board", kwargs={"site": site_a.pk}))
        assert "ratio-red" in board.content.decode() and "超出师生比" in board.content.decode()
        detail = re.search(
            r'<div id="ratio-detail".*?</div>\s*</div>', board.content.decode(), re.S
        )
        assert detail is not None and 'data-state="red"' in detail[0]
        assert "超出师生比：现在还需要 2 位老师。" in detail[0]
        ratio_call = reverse("staff:ratio_call", kwargs={"site": site_a.pk})
        assert f'hx-get="{ratio_call}"' in detail[0]
        duty = reverse("staff:duty", kwargs={"site": site_a.pk})
        assert f'href="{duty}"' in detail[0]  # the duty clock, for those who use the board
        assert "1 名儿童 · 0 位老师" in board.content.decode()
        call = client.get(reverse("staff:ratio_call", kwargs={"site": site_a.pk})).content.decode()
        assert "黄老师" in call
