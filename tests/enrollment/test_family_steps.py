"""The family's registration in four steps: worker and children, adults, one consent for
several children, several children into a term; and enrolling several from a term's page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Child, Consent, Enrollment, Family
from tests.factories import (
    ChildFactory,
    ConsentFactory,
    FamilyFactory,
    WorkerFactory,
    enrolled_child,
)

pytestmark = pytest.mark.django_db


def rows(prefix, forms, total=None):
    data = {
        f"{prefix}-TOTAL_FORMS": str(total or len(forms)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "8",
    }
    for number, fields in enumerate(forms):
        data.update({f"{prefix}-{number}-{key}": value for key, value in fields.items()})
    return data


def family_with_two(factory):
    family = FamilyFactory(factory=factory)
    WorkerFactory(family=family, name="王建华")
    return family, [ChildFactory(family=family), ChildFactory(family=family)]


def test_the_worker_and_the_children_are_registered_in_one_step(client, hr, factory_a):
    client.force_login(hr)
    children = [
        {"name": "王小明", "sex": "m", "date_of_birth": "2019-05-01", "allergies": "花生"},
        {"name": "王𠮷安", "sex": "f", "date_of_birth": "2021-09-02"},
        {},
    ]
    response = client.post(
        reverse("enrollment:family_create"),
        {"employee_no": "xh 10001", "name": "王建华", "mobile": "138 1234 5678",
         **rows("children", children)},
    )  # fmt: skip
    family = Family.objects.get()
    assert response["Location"] == reverse(
        "enrollment:family_adults", kwargs={"family": family.key}
    )
    assert family.workers.get().employee_no == "XH10001"
    assert sorted(family.children.values_list("name", flat=True)) == ["王小明", "王𠮷安"]


def test_a_bad_child_row_saves_nothing_at_all(client, hr, factory_a):
    client.force_login(hr)
    response = client.post(
        reverse("enrollment:family_create"),
        {"employee_no": "XH10001", "name": "王建华", "mobile": "13812345678",
         **rows("children", [{"name": "王小明", "sex": "m", "date_of_birth": "2099-01-01"}])},
    )  # fmt: skip
    assert response.status_code == 200
    assert not Family.objects.exists()


def test_several_adults_with_their_pickup_rules_in_one_step(client, hr, factory_a):
    family, children = family_with_two(factory_a)
    client.force_login(hr)
    ids = [child.pk for child in children]
    response = client.post(
        reverse("enrollment:family_adults", kwargs={"family": family.key}),
        rows("adults", [
            {"name": "张秀英", "relation": "grandmother", "mobile": "139 1234 5678",
             "may_collect": ids},
            {"name": "王大壮", "relation": "uncle", "must_not_collect": ids},
        ]),
    )  # fmt: skip
    assert response["Location"] == reverse(
        "enrollment:family_consent", kwargs={"family": family.key}
    )
    for child in children:
        assert {r.adult.name: r.allowed for r in child.pickups.all()} == {
            "张秀英": True,
            "王大壮": False,
        }


def test_one_consent_for_the_children_ticked(client, hr, factory_a):
    family, (first, second) = family_with_two(factory_a)
    client.force_login(hr)
    page = client.get(reverse("enrollment:family_consent", kwargs={"family": family.key}))
    assert set(page.context["form"].initial["children"]) == {first.pk, second.pk}
    client.post(
        reverse("enrollment:family_consent", kwargs={"family": family.key}),
        {"children": [first.pk, second.pk], "given_by": "王建华", "given_by_relation": "father",
         "given_on": timezone.localdate().isoformat(), "covers_care": "on",
         "covers_health": "on"},
    )  # fmt: skip
    assert (
        Consent.objects.active().filter(child__in=[first, second], covers_health=True).count() == 2
    )
    # Health data is its own line of the consent on the family page.
    family_page = client.get(reverse("enrollment:family_detail", kwargs={"family": family.key}))
    assert "✓ 健康信息" in family_page.content.decode()


def test_the_consent_relation_must_be_chosen(client, hr, factory_a):
    family, (first, _second) = family_with_two(factory_a)
    client.force_login(hr)
    response = client.post(
        reverse("enrollment:family_consent", kwargs={"family": family.key}),
        {"children": [first.pk], "given_by": "王建华", "given_by_relation": "",
         "given_on": timezone.localdate().isoformat(), "covers_care": "on"},
    )  # fmt: skip
    assert response.status_code == 200 and not Consent.objects.exists()


def test_several_children_into_a_term_and_a_full_term_waitlists(client, hr, term_a):
    term_a.site.capacity = 1
    term_a.site.save()
    family, children = family_with_two(term_a.site.factory)
    for child in children:
        ConsentFactory(child=child)
    client.force_login(hr)
    response = client.post(
        reverse("enrollment:family_enrol", kwargs={"family": family.key}),
        {"term": term_a.pk, "children": [c.pk for c in children]},
        follow=True,
    )
    statuses = sorted(Enrollment.objects.values_list("status", flat=True))
    assert statuses == ["enrolled", "waitlisted"]
    assert "候补" in response.content.decode()


def test_one_child_without_consent_stops_the_step_and_says_who(client, hr, term_a):
    family, (first, second) = family_with_two(term_a.site.factory)
    ConsentFactory(child=first)
    client.force_login(hr)
    response = client.post(
        reverse("enrollment:family_enrol", kwargs={"family": family.key}),
        {"term": term_a.pk, "children": [first.pk, second.pk]},
    )
    assert f"{second.name} 还没有监护人同意书" in response.content.decode()
    assert not Enrollment.objects.exists()


def test_another_familys_child_cannot_be_ticked(client, hr, term_a):
    family, (first, _second) = family_with_two(term_a.site.factory)
    stranger = ChildFactory(family=FamilyFactory(factory=term_a.site.factory))
    ConsentFactory(child=stranger)
    client.force_login(hr)
    response = client.post(
        reverse("enrollment:family_enrol", kwargs={"family": family.key}),
        {"term": term_a.pk, "children": [stranger.pk]},
    )
    assert response.status_code == 200 and not Enrollment.objects.exists()


def test_the_terms_page_enrols_several_children_of_the_factory(
    client, hr, term_a, django_assert_max_num_queries
):
    ready = []
    for _ in range(3):
        family, children = family_with_two(term_a.site.factory)
        ConsentFactory(child=children[0])
        ready.append(children[0])
    enrolled_child(term_a)
    client.force_login(hr)
    url = reverse("enrollment:term_detail", kwargs={"term": term_a.pk})
    with django_assert_max_num_queries(20) as few:
        page = client.get(url)
    assert [c.pk for c in page.context["candidates"]] == sorted(
        (c.pk for c in ready), key=lambda pk: Child.objects.get(pk=pk).name
    )
    for _ in range(5):
        ConsentFactory(child=family_with_two(term_a.site.factory)[1][0])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
    client.post(url, {"children": [c.pk for c in ready[:2]]})
    assert (
        Enrollment.objects.filter(term=term_a, child__in=ready[:2], status="enrolled").count() == 2
    )


def test_a_coordinator_cannot_enrol_from_the_terms_page(client, coordinator, term_a):
    child = ChildFactory(family=FamilyFactory(factory=term_a.site.factory))
    ConsentFactory(child=child)
    client.force_login(coordinator)
    url = reverse("enrollment:term_detail", kwargs={"term": term_a.pk})
    assert client.get(url).status_code == 200
    assert client.post(url, {"children": [child.pk]}).status_code == 403
    assert not Enrollment.objects.exists()
