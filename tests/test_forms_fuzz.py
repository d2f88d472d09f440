"""Whatever is typed into the HR forms, the answer is a page or a redirect, never a 500."""

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import ChildFactory, FamilyFactory

text = st.text(
    alphabet=st.characters(max_codepoint=0x2FFFF, exclude_categories=["Cs"]), max_size=40
)
dates = st.one_of(text, st.dates().map(lambda d: d.isoformat()))

FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def answered(response, *typed) -> bool:
    """A page or a redirect; a 400 when what was typed holds a NUL (no person types one)."""
    if any("\x00" in str(value) for value in typed):
        return response.status_code in (200, 302, 400)
    return response.status_code in (200, 302)


@pytest.fixture
def signed_in(hr):
    client = Client(raise_request_exception=True)
    client.force_login(hr)
    return client


@pytest.mark.django_db
@FUZZ
@given(employee_no=text, name=text, mobile=text, hire_date=dates, province=text)
def test_family_registration_never_fails(signed_in, employee_no, name, mobile, hire_date, province):
    response = signed_in.post(
        reverse("enrollment:family_create"),
        {
            "employee_no": employee_no,
            "name": name,
            "mobile": mobile,
            "hire_date": hire_date,
            "hukou_province": province,
        },
    )
    assert answered(response, employee_no, name, mobile, hire_date, province)


@pytest.mark.django_db
@FUZZ
@given(name=text, sex=text, born=dates, arrival=dates, departure=dates, mobile=text)
def test_child_registration_never_fails(signed_in, hr, name, sex, born, arrival, departure, mobile):
    family = FamilyFactory(factory=hr.factory)
    response = signed_in.post(
        reverse("enrollment:child_create", kwargs={"family": family.key}),
        {
            "name": name,
            "sex": sex,
            "date_of_birth": born,
            "arrival_date": arrival,
            "departure_date": departure,
            "emergency_contact_mobile": mobile,
        },
    )
    assert answered(response, name, sex, born, arrival, departure, mobile)


@pytest.mark.django_db
@FUZZ
@given(name=text, relation=text, mobile=text, children=st.lists(st.integers(-5, 10**6), max_size=3))
def test_adult_registration_never_fails(signed_in, hr, name, relation, mobile, children):
    family = FamilyFactory(factory=hr.factory)
    ChildFactory(family=family)
    response = signed_in.post(
        reverse("enrollment:adult_create", kwargs={"family": family.key}),
        {
            "name": name,
            "relation": relation,
            "mobile": mobile,
            "may_collect": children,
            "must_not_collect": children[:1],
        },
    )
    assert answered(response, name, relation, mobile)


@pytest.mark.django_db
@FUZZ
@given(given_by=text, relation=text, given_on=dates, term=text)
def test_consent_and_enrolment_never_fail(signed_in, hr, given_by, relation, given_on, term):
    child = ChildFactory(family=FamilyFactory(factory=hr.factory))
    consent = signed_in.post(
        reverse("enrollment:consent_record", kwargs={"child": child.key}),
        {"given_by": given_by, "given_by_relation": relation, "given_on": given_on},
    )
    enrol = signed_in.post(
        reverse("enrollment:enroll", kwargs={"child": child.key}), {"term": term}
    )
    assert answered(consent, given_by, relation, given_on) and answered(enrol, term)
