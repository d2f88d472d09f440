from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from enrollment import services
from enrollment.models import CONSENT_TEXT_VERSION, Child, Enrollment, Worker
from ffs_portal.models import AuditEntry
from tests.factories import (
    AdultFactory,
    ChildFactory,
    ConsentFactory,
    FamilyFactory,
    WorkerFactory,
    enrolled_child,
)


def ready_child(factory, **fields):
    """A child who may be enrolled: a worker parent and consent on file."""
    family = FamilyFactory(factory=factory)
    WorkerFactory(family=family)
    child = ChildFactory(family=family, **fields)
    ConsentFactory(child=child)
    return child


def test_a_child_with_consent_and_a_parent_is_enrolled(term_a, hr):
    child = ready_child(term_a.site.factory)
    enrollment = services.enrollment_apply(child=child, term=term_a, by=hr)
    assert enrollment.status == "enrolled"
    assert AuditEntry.objects.filter(child=child, action="enrollment.enrolled", actor=hr).exists()


def test_a_full_term_waitlists_in_order_and_a_freed_place_goes_to_the_first(term_a, hr):
    term_a.site.capacity = 2
    term_a.site.save()
    first, second = (ready_child(term_a.site.factory) for _ in range(2))
    waiting = [ready_child(term_a.site.factory) for _ in range(2)]
    for child in (first, second, *waiting):
        services.enrollment_apply(child=child, term=term_a, by=hr)
    statuses = dict(Enrollment.objects.values_list("child__name", "status"))
    assert [statuses[c.name] for c in waiting] == ["waitlisted", "waitlisted"]
    promoted = services.enrollment_withdraw(enrollment=first.enrollments.get(), by=hr)
    assert promoted.child == waiting[0]
    assert waiting[0].enrollments.get().status == "enrolled"
    assert waiting[1].enrollments.get().status == "waitlisted"


def test_withdrawing_from_the_waitlist_frees_no_place(term_a, hr):
    term_a.site.capacity = 1
    term_a.site.save()
    enrolled, first_waiting, second_waiting = (ready_child(term_a.site.factory) for _ in range(3))
    for child in (enrolled, first_waiting, second_waiting):
        services.enrollment_apply(child=child, term=term_a, by=hr)
    assert services.enrollment_withdraw(enrollment=first_waiting.enrollments.get(), by=hr) is None
    assert second_waiting.enrollments.get().status == "waitlisted"


def test_no_consent_no_enrolment(term_a, hr):
    family = FamilyFactory(factory=term_a.site.factory)
    WorkerFactory(family=family)
    child = ChildFactory(family=family, name="王小明")
    with pytest.raises(ValidationError) as refused:
        services.enrollment_apply(child=child, term=term_a, by=hr)
    assert "王小明" in refused.value.messages[0]
    assert not Enrollment.objects.exists()


def test_a_child_nobody_may_collect_cannot_be_enrolled(term_a, hr):
    child = ChildFactory(family=FamilyFactory(factory=term_a.site.factory))
    ConsentFactory(child=child)
    with pytest.raises(ValidationError):
        services.enrollment_apply(child=child, term=term_a, by=hr)
    adult = AdultFactory(family=child.family)
    services.pickup_set(child=child, adult=adult, allowed=True, by=hr)
    assert services.enrollment_apply(child=child, term=term_a, by=hr).status == "enrolled"


def test_an_expired_pickup_permission_does_not_count(term_a, hr):
    child = ChildFactory(family=FamilyFactory(factory=term_a.site.factory))
    ConsentFactory(child=child)
    adult = AdultFactory(family=child.family)
    services.pickup_set(
        child=child, adult=adult, allowed=True, valid_to=term_a.starts_on - timedelta(days=1), by=hr
    )
    with pytest.raises(ValidationError):
        services.enrollment_apply(child=child, term=term_a, by=hr)


def test_a_child_too_young_for_the_site_is_refused_with_the_ages(term_a, hr):
    born = term_a.starts_on - timedelta(days=365 * 2)
    child = ready_child(term_a.site.factory, date_of_birth=born)
    with pytest.raises(ValidationError) as refused:
        services.enrollment_apply(child=child, term=term_a, by=hr)
    assert "3" in refused.value.messages[0] and "14" in refused.value.messages[0]


def test_one_active_enrolment_per_child_per_term(term_a, hr):
    child = enrolled_child(term_a)
    with pytest.raises(ValidationError):
        services.enrollment_apply(child=child, term=term_a, by=hr)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(child=child, term=term_a, status="waitlisted")


def test_a_withdrawn_child_may_apply_again(term_a, hr):
    child = enrolled_child(term_a)
    services.enrollment_withdraw(enrollment=child.enrollments.get(), by=hr)
    assert services.enrollment_apply(child=child, term=term_a, by=hr).status == "enrolled"


def test_another_factorys_term_is_refused(term_b, hr, factory_a):
    child = ready_child(factory_a)
    with pytest.raises(ValidationError):
        services.enrollment_apply(child=child, term=term_b, by=hr)


def test_promoting_into_a_full_term_explains_what_to_do(term_a, hr):
    term_a.site.capacity = 1
    term_a.site.save()
    enrolled_child(term_a)
    waiting = ready_child(term_a.site.factory)
    enrollment = services.enrollment_apply(child=waiting, term=term_a, by=hr)
    with pytest.raises(ValidationError) as refused:
        services.enrollment_promote(enrollment=enrollment, by=hr)
    assert str(term_a.site.capacity) in refused.value.messages[0]


def test_withdrawing_consent_withdraws_the_enrolments_and_removes_the_photo(term_a, hr):
    child = enrolled_child(term_a)
    consent = services.active_consent(child)
    withdrawn = services.consent_withdraw(consent=consent, by=hr)
    assert [e.status for e in withdrawn] == ["enrolled"]
    assert child.enrollments.get().status == "withdrawn"
    assert services.active_consent(child) is None


def test_recording_consent_again_keeps_the_old_one_as_history(hr, factory_a):
    child = ready_child(factory_a)
    services.consent_record(
        child=child,
        given_by="王建华",
        given_by_relation="father",
        given_on=timezone.localdate(),
        covers_photos=True,
        text_version=CONSENT_TEXT_VERSION,
        by=hr,
    )
    assert child.consents.count() == 2
    assert child.consents.filter(withdrawn_at__isnull=True).count() == 1


def test_consent_signed_in_the_future_or_without_care_is_refused(hr, factory_a):
    child = ready_child(factory_a)
    arguments = {
        "child": child,
        "given_by": "王建华",
        "given_by_relation": "father",
        "text_version": CONSENT_TEXT_VERSION,
        "by": hr,
    }
    with pytest.raises(ValidationError):
        services.consent_record(given_on=timezone.localdate() + timedelta(days=1), **arguments)
    with pytest.raises(ValidationError):
        services.consent_record(given_on=timezone.localdate(), covers_care=False, **arguments)


def test_duplicate_employee_numbers_are_refused_within_a_factory_only(hr, factory_a, factory_b):
    WorkerFactory(family=FamilyFactory(factory=factory_a), employee_no="XH00001")
    with pytest.raises(ValidationError) as refused:
        services.family_register(
            factory=factory_a,
            by=hr,
            employee_no="XH00001",
            name="李四",
            mobile="13800000000",
        )
    assert "XH00001" in str(refused.value)
    services.family_register(
        factory=factory_b, by=hr, employee_no="XH00001", name="李四", mobile="13800000000"
    )
    assert Worker.objects.filter(employee_no="XH00001").count() == 2


def test_a_failed_registration_leaves_no_family_behind(hr, factory_a):
    from enrollment.models import Family

    with pytest.raises(ValidationError):
        services.family_register(
            factory=factory_a, by=hr, employee_no="E1", name="李四", mobile="12345"
        )
    assert not Family.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_family_has_at_most_two_workers(hr, factory_a):
    family = FamilyFactory(factory=factory_a)
    WorkerFactory(family=family)
    WorkerFactory(family=family)
    with pytest.raises(ValidationError):
        services.worker_save(
            family=family, by=hr, employee_no="E9", name="王五", mobile="13900000000"
        )


@pytest.mark.parametrize("mobile", ["1380000000", "23800000000", "1380000000a", "+8613800000000"])
def test_a_mobile_must_be_a_mainland_number(hr, factory_a, mobile):
    with pytest.raises(ValidationError):
        services.family_register(
            factory=factory_a, by=hr, employee_no="E2", name="李四", mobile=mobile
        )


def test_the_database_refuses_a_bad_mobile_even_without_the_service(factory_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Worker.objects.create(factory=factory_a, employee_no="E3", name="王", mobile="999")


@pytest.mark.parametrize("name", ["𠮷安", "䶮", "王𠮷明"])
def test_rare_characters_in_names_round_trip(hr, factory_a, name):
    family = FamilyFactory(factory=factory_a)
    child = services.child_save(
        family=family, by=hr, name=name, sex="m", date_of_birth=date(2018, 5, 1)
    )
    assert Child.objects.get(pk=child.pk).name == name


def test_names_get_pinyin_for_the_tablet_search(hr, factory_a):
    child = services.child_save(
        family=FamilyFactory(factory=factory_a),
        by=hr,
        name=" 王小明 ",
        sex="m",
        date_of_birth=date(2018, 5, 1),
    )
    assert (child.name, child.name_initials, child.name_pinyin) == ("王小明", "wxm", "wangxiaoming")


@pytest.mark.parametrize(
    "born", [timezone.localdate() + timedelta(days=1), timezone.localdate().replace(year=1990)]
)
def test_future_or_implausible_dates_of_birth_are_refused(hr, factory_a, born):
    with pytest.raises(ValidationError):
        services.child_save(
            family=FamilyFactory(factory=factory_a), by=hr, name="王", sex="m", date_of_birth=born
        )


def test_moving_an_adult_to_the_not_allowed_list_replaces_the_rule(hr, factory_a):
    child = ChildFactory(family=FamilyFactory(factory=factory_a))
    adult = AdultFactory(family=child.family)
    services.pickup_set(child=child, adult=adult, allowed=True, by=hr)
    services.pickup_set(child=child, adult=adult, allowed=False, by=hr)
    assert list(child.pickups.values_list("allowed", flat=True)) == [False]


def test_an_adult_of_another_family_cannot_be_given_a_child(hr, factory_a):
    child = ChildFactory(family=FamilyFactory(factory=factory_a))
    stranger = AdultFactory(family=FamilyFactory(factory=factory_a))
    with pytest.raises(ValidationError):
        services.pickup_set(child=child, adult=stranger, allowed=True, by=hr)


def test_adult_register_sets_each_childs_rule(hr, factory_a):
    family = FamilyFactory(factory=factory_a)
    older, younger = ChildFactory(family=family), ChildFactory(family=family)
    grandmother = services.adult_register(
        family=family,
        by=hr,
        may_collect=[older],
        must_not_collect=[younger],
        name="张秀英",
        relation="grandmother",
        mobile="13912345678",
        is_guardian=True,
    )
    assert older.pickups.get(adult=grandmother).allowed is True
    assert younger.pickups.get(adult=grandmother).allowed is False
    services.adult_register(
        family=family,
        adult=grandmother,
        by=hr,
        may_collect=[older, younger],
        must_not_collect=[],
        name="张秀英",
        relation="grandmother",
        mobile="13912345678",
        is_guardian=True,
    )
    assert younger.pickups.get(adult=grandmother).allowed is True
