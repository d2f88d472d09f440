"""The health check at arrival, the noon re-check, medicines and the outbreak rule."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from attendance import services as attendance_services
from attendance.health import services
from attendance.health.models import (
    CheckKind,
    HealthCheck,
    MedicineAuthorisation,
    MedicineDose,
    OutbreakAlert,
)
from attendance.models import AttendanceRecord, AttendanceStatus, HealthCard
from attendance.selectors import board
from enrollment.models import HealthCheckMode
from ffs_portal.models import AuditEntry, Role
from tests.factories import UserFactory, enrolled_child

pytestmark = pytest.mark.django_db


def at(hour, minute=0, days=0):
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def checking_site(site_a, term_a):
    site_a.health_check = HealthCheckMode.REQUIRED
    site_a.save()
    return site_a


@pytest.fixture
def child(checking_site, term_a):
    return enrolled_child(term_a, name="王小明")


def check(site, child, by, card, **more):
    return services.record_arrival_check(site=site, child=child, by=by, card=card, **more)


def present_count(site, user):
    return board(user=user, site=site).counts[AttendanceStatus.PRESENT]


# The check at arrival -----------------------------------------------------------------------


def test_a_green_card_checks_the_child_in_and_the_tile_shows_it(checking_site, child, carer):
    health, result = check(
        checking_site, child, carer, HealthCard.GREEN, temperature=Decimal("36.6")
    )
    assert result.changed and result.record.status == AttendanceStatus.PRESENT
    assert result.record.health_card == HealthCard.GREEN
    assert health.kind == CheckKind.ARRIVAL and health.by == carer
    assert present_count(checking_site, carer) == 1
    assert AuditEntry.objects.filter(action="health.checked", child=child).exists()


def test_a_yellow_card_checks_in_and_asks_for_a_noon_re_check(checking_site, child, carer):
    check(checking_site, child, carer, HealthCard.YELLOW, signs=["cough"])
    assert AttendanceRecord.objects.get(child=child).status == AttendanceStatus.PRESENT
    noon = services.record_noon_check(
        site=checking_site, child=child, by=carer, card=HealthCard.GREEN
    )
    assert noon.kind == CheckKind.NOON
    assert HealthCheck.objects.filter(child=child).count() == 2


def test_a_noon_re_check_is_only_for_a_yellow_card(checking_site, child, carer):
    check(checking_site, child, carer, HealthCard.GREEN)
    with pytest.raises(ValidationError, match="yellow card"):
        services.record_noon_check(site=checking_site, child=child, by=carer, card="green")


def test_a_red_card_is_not_present_and_no_tablet_can_check_the_child_in(
    checking_site, child, carer, site_lead
):
    health, result = check(checking_site, child, carer, HealthCard.RED, signs=["blisters"])
    record = AttendanceRecord.objects.get(child=child)
    assert record.status == AttendanceStatus.EXPECTED and record.health_card == HealthCard.RED
    assert present_count(checking_site, carer) == 0
    # A second tablet meanwhile: a card or a plain check-in, both refused.
    with pytest.raises(ValidationError, match="red card"):
        check(checking_site, child, site_lead, HealthCard.GREEN)
    checking_site.health_check = HealthCheckMode.OPTIONAL
    with pytest.raises(ValidationError, match="red card"):
        attendance_services.check_in(site=checking_site, child=child, by=site_lead)
    assert AttendanceRecord.objects.get(child=child).status == AttendanceStatus.EXPECTED


def test_the_database_refuses_a_red_card_present(checking_site, child, carer):
    check(checking_site, child, carer, HealthCard.GREEN)
    with pytest.raises(IntegrityError), transaction.atomic():
        AttendanceRecord.objects.filter(child=child).update(health_card=HealthCard.RED)


def test_where_the_check_is_required_a_plain_check_in_is_refused(checking_site, child, carer):
    with pytest.raises(ValidationError, match="health check first"):
        attendance_services.check_in(site=checking_site, child=child, by=carer)
    results = attendance_services.check_in_many(site=checking_site, children=[child], by=carer)
    assert results[0].problems and not results[0].changed


def test_where_the_check_is_optional_a_plain_check_in_still_works(checking_site, child, carer):
    checking_site.health_check = HealthCheckMode.OPTIONAL
    checking_site.save()
    result = attendance_services.check_in(site=checking_site, child=child, by=carer)
    assert result.record.status == AttendanceStatus.PRESENT and result.record.health_card == ""


def test_an_injury_on_arrival_is_recorded_as_such(checking_site, child, carer):
    health, _ = check(
        checking_site, child, carer, HealthCard.GREEN, signs=["injury"], note="膝盖擦伤"
    )
    assert health.injury_on_arrival and health.note == "膝盖擦伤"
    assert not child.incidents.exists()


@pytest.mark.parametrize("value", ["33.9", "43.1", "0", "100"])
def test_a_temperature_outside_34_to_43_is_refused(checking_site, child, carer, value):
    with pytest.raises(ValidationError, match="between 34 and 43"):
        check(checking_site, child, carer, HealthCard.YELLOW, temperature=Decimal(value))
    assert not AttendanceRecord.objects.filter(child=child).exists()


def test_the_database_refuses_a_temperature_outside_34_to_43(checking_site, child, carer):
    with pytest.raises(IntegrityError), transaction.atomic():
        HealthCheck.objects.create(
            site=checking_site,
            child=child,
            day=timezone.localdate(),
            kind="arrival",
            at=timezone.now(),
            temperature=Decimal("44.0"),
            card="yellow",
        )


def test_a_fever_is_never_a_green_card(checking_site, child, carer):
    with pytest.raises(ValidationError, match="fever"):
        check(checking_site, child, carer, HealthCard.GREEN, temperature=Decimal("37.3"))
    check(checking_site, child, carer, HealthCard.YELLOW, temperature=Decimal("37.3"))


def test_a_sign_not_on_the_programs_list_is_refused(checking_site, child, carer):
    with pytest.raises(ValidationError, match="Unknown sign"):
        check(checking_site, child, carer, HealthCard.YELLOW, signs=["spots"])


def test_a_site_without_the_check_refuses_one(site_a, term_a, carer):
    child = enrolled_child(term_a)
    with pytest.raises(ValidationError, match="does not do a health check"):
        check(site_a, child, carer, HealthCard.GREEN)


# Medicines ----------------------------------------------------------------------------------


@pytest.fixture
def witness(checking_site):
    return UserFactory(username="witness", role=Role.CHILDCARE, sites=[checking_site])


@pytest.fixture
def syrup(checking_site, child, carer):
    today = timezone.localdate()
    return services.authorise_medicine(
        site=checking_site,
        child=child,
        by=carer,
        medicine="布洛芬混悬液",
        dose="5 ml",
        times=["12:00", "08:00"],
        valid_from=today,
        valid_to=today + timedelta(days=1),
        signed_by="王建国",
    )


def test_a_dose_within_the_authorisation_is_recorded_with_its_witness(syrup, carer, witness):
    assert syrup.times == ["08:00", "12:00"]
    dose = services.give_dose(authorisation=syrup, by=carer, witness=witness, at=at(12, 20))
    assert dose.due == "12:00" and dose.witness == witness
    with pytest.raises(ValidationError, match="given already"):
        services.give_dose(authorisation=syrup, by=carer, witness=witness, at=at(12, 40))


def test_a_dose_outside_the_authorisations_dates_is_refused(syrup, carer, witness):
    with pytest.raises(ValidationError, match="no dose"):
        services.give_dose(authorisation=syrup, by=carer, witness=witness, at=at(12, days=2))
    with pytest.raises(ValidationError, match="no dose"):
        services.give_dose(authorisation=syrup, by=carer, witness=witness, at=at(12, days=-1))
    assert not MedicineDose.objects.exists()


def test_a_dose_far_from_the_authorised_times_is_refused(syrup, carer, witness):
    with pytest.raises(ValidationError, match="authorised at 08:00, 12:00"):
        services.give_dose(authorisation=syrup, by=carer, witness=witness, at=at(15))


def test_the_giver_is_not_their_own_witness(syrup, carer):
    with pytest.raises(ValidationError, match="witness"):
        services.give_dose(authorisation=syrup, by=carer, witness=carer, at=at(12))


def test_nothing_is_given_without_an_authorisation(checking_site, carer, witness):
    with pytest.raises(IntegrityError), transaction.atomic():
        MedicineDose.objects.create(
            authorisation_id=None,
            site=checking_site,
            given_at=timezone.now(),
            due="12:00",
            given_by=carer,
            witness=witness,
        )


def test_an_authorisation_needs_its_dates_in_order_and_a_signature(checking_site, child, carer):
    today = timezone.localdate()
    common = {"site": checking_site, "child": child, "by": carer, "medicine": "药", "dose": "1"}
    with pytest.raises(ValidationError):
        services.authorise_medicine(
            **common,
            times=["12:00"],
            valid_from=today,
            valid_to=today - timedelta(days=1),
            signed_by="王",
        )
    with pytest.raises(ValidationError):
        services.authorise_medicine(
            **common, times=["noon"], valid_from=today, valid_to=today, signed_by="王"
        )
    with pytest.raises(ValidationError):
        services.authorise_medicine(
            **common, times=["12:00"], valid_from=today, valid_to=today, signed_by=" "
        )
    assert not MedicineAuthorisation.objects.exists()


# The outbreak rule ---------------------------------------------------------------------------


def sign_on(site, term, by, sign, day: date, name="孩子"):
    """A child of ``site`` seen with ``sign`` on ``day``."""
    child = enrolled_child(term, name=name)
    HealthCheck.objects.create(
        site=site,
        child=child,
        day=day,
        kind="arrival",
        at=timezone.now(),
        signs=[sign],
        card="yellow",
        by=by,
    )
    return child


@pytest.fixture
def watched(checking_site, term_a, carer, site_lead, coordinator):
    return checking_site, term_a, carer


def test_two_children_with_the_same_sign_raise_no_alert(watched):
    site, term, by = watched
    today = timezone.localdate()
    for _n in range(2):
        sign_on(site, term, by, "blisters", today)
    assert services.watch_outbreak(site=site, day=today) == []
    assert mail.outbox == []


def test_three_children_with_the_same_sign_alert_the_lead_and_coordinators_once(watched):
    site, term, by = watched
    today = timezone.localdate()
    for n in range(3):
        sign_on(site, term, by, "blisters", today - timedelta(days=n % 3))
    alerts = services.watch_outbreak(site=site, day=today)
    assert [(a.sign, a.children) for a in alerts] == [("blisters", 3)]
    assert sorted(m.to[0] for m in mail.outbox) == ["coordinator@example.com", "lead@example.com"]
    # A fourth child the next day, a worker running twice: no second alert in the window.
    sign_on(site, term, by, "blisters", today)
    assert services.watch_outbreak(site=site, day=today) == []
    assert services.watch_outbreak(site=site, day=today + timedelta(days=1)) == []
    assert OutbreakAlert.objects.count() == 1 and len(mail.outbox) == 2


def test_the_window_holds_day_3_but_not_day_4(watched):
    site, term, by = watched
    first = timezone.localdate() - timedelta(days=3)
    sign_on(site, term, by, "rash", first)
    sign_on(site, term, by, "rash", first + timedelta(days=1))
    # The third child on day 4 counted from the first: the first is out of the window.
    sign_on(site, term, by, "rash", first + timedelta(days=3))
    assert services.watch_outbreak(site=site, day=first + timedelta(days=3)) == []
    # On day 3 the three are within the window.
    sign_on(site, term, by, "rash", first + timedelta(days=2))
    assert [
        a.children for a in services.watch_outbreak(site=site, day=first + timedelta(days=2))
    ] == [3]


def test_different_signs_do_not_add_up(watched):
    site, term, by = watched
    today = timezone.localdate()
    for sign in ("rash", "cough", "red_eyes"):
        sign_on(site, term, by, sign, today)
    assert services.watch_outbreak(site=site, day=today) == []


def test_the_number_and_window_are_configurable(watched, settings):
    settings.HEALTH_OUTBREAK_CHILDREN = 2
    site, term, by = watched
    today = timezone.localdate()
    for _n in range(2):
        sign_on(site, term, by, "cough", today)
    assert len(services.watch_outbreak(site=site, day=today)) == 1


def test_another_sites_children_do_not_count(watched, site_b, term_b):
    site, term, by = watched
    today = timezone.localdate()
    sign_on(site, term, by, "cough", today)
    sign_on(site, term, by, "cough", today)
    sign_on(site_b, term_b, None, "cough", today)
    assert services.watch_outbreak(site=site, day=today) == []


def test_a_check_with_a_sign_queues_the_watch_after_the_commit(
    checking_site, child, carer, django_capture_on_commit_callbacks
):
    queued = []
    with django_capture_on_commit_callbacks(execute=True):
        check(
            checking_site,
            child,
            carer,
            HealthCard.YELLOW,
            signs=["cough"],
            on_outbreak_watch=lambda site, day: queued.append((site, day)),
        )
    assert queued == [(checking_site.pk, timezone.localdate())]


def test_the_half_hourly_watch_catches_checks_whose_watch_was_not_queued(watched):
    from attendance.health.tasks import watch_todays_outbreaks

    site, term, by = watched
    today = timezone.localdate()
    for _n in range(3):
        sign_on(site, term, by, "red_eyes", today)
    assert watch_todays_outbreaks() == 1
    assert watch_todays_outbreaks() == 0
    assert len(mail.outbox) == 2


def test_a_dose_not_given_stands_out_once_its_hour_is_over(syrup, carer, witness):
    from attendance.health.selectors import medicine_today

    here = at(7, 30)
    assert medicine_today(syrup, [], at(8, 59), here).missed == []
    assert medicine_today(syrup, [], at(9, 1), here).missed == ["08:00"]
    dose = services.give_dose(authorisation=syrup, by=carer, witness=witness, at=at(12, 10))
    assert medicine_today(syrup, [dose], at(18), here).missed == ["08:00"]
    # Not here at 08:00 (came at ten, or went home at half past seven): nothing missed.
    assert medicine_today(syrup, [dose], at(18), at(10)).missed == []
    assert medicine_today(syrup, [dose], at(18), at(7), left=at(7, 30)).missed == []
    assert medicine_today(syrup, [], at(11, 50), None).due == []
