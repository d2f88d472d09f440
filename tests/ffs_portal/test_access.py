import pytest

from enrollment.models import Child, Family, Site
from ffs_portal import access
from ffs_portal.models import Role
from tests.factories import ChildFactory, FamilyFactory, UserFactory, enrolled_child


@pytest.fixture
def two_factories(term_a, term_b):
    ours = enrolled_child(term_a)
    theirs = enrolled_child(term_b)
    return ours, theirs


def test_hr_sees_only_their_factorys_families(hr, two_factories):
    ours, theirs = two_factories
    assert list(access.scoped(hr, Family)) == [ours.family]
    assert list(access.scoped(hr, Child)) == [ours]


def test_childcare_worker_sees_children_enrolled_at_their_sites_but_no_families(
    carer, two_factories
):
    ours, _theirs = two_factories
    not_enrolled = ChildFactory(family=FamilyFactory(factory=ours.family.factory))
    assert list(access.scoped(carer, Child)) == [ours]
    assert not_enrolled not in access.scoped(carer, Child)
    assert not access.scoped(carer, Family).exists()


def test_site_lead_sees_their_site_only(site_lead, site_a, site_b):
    assert list(access.scoped(site_lead, Site)) == [site_a]


def test_coordinator_sees_their_named_factories(coordinator, two_factories):
    ours, _theirs = two_factories
    assert list(access.scoped(coordinator, Child)) == [ours]


def test_coordinator_of_all_factories_and_administrator_see_everything(
    two_factories, administrator
):
    everyone = UserFactory(role=Role.COORDINATOR, all_factories=True)
    for user in (everyone, administrator):
        assert set(access.scoped(user, Child)) == set(two_factories)


def test_an_inactive_user_sees_nothing(hr, two_factories):
    hr.is_active = False
    assert not access.scoped(hr, Child).exists()


def test_another_factorys_child_is_a_404(hr, two_factories):
    from django.http import Http404

    _ours, theirs = two_factories
    with pytest.raises(Http404):
        access.get_scoped_or_404(hr, Child, key=theirs.key)


def test_a_model_without_a_rule_is_refused_rather_than_shown(hr):
    from ffs_portal.models import AuditEntry

    with pytest.raises(LookupError):
        access.scoped(hr, AuditEntry)


@pytest.mark.parametrize(
    "role,capability,expected",
    [
        (Role.HR, access.MANAGE_FAMILIES, True),
        (Role.HR, access.USE_BOARD, False),
        (Role.CHILDCARE, access.USE_BOARD, True),
        (Role.CHILDCARE, access.VIEW_FAMILIES, False),
        (Role.SITE_LEAD, access.LEAD_SITE, True),
        (Role.COORDINATOR, access.MANAGE_PROGRAM, True),
        (Role.COORDINATOR, access.MANAGE_FAMILIES, False),
    ],
)
def test_capabilities_follow_the_role(db, role, capability, expected):
    assert access.can(UserFactory.build(role=role), capability) is expected


def test_a_board_acts_site_and_child_follow_the_site_and_child_rules_for_every_role(
    hr, carer, site_lead, coordinator, administrator, site_a, term_a, term_b
):
    """``site_or_404``, ``site_and_child_or_404`` and ``children_by_id`` (one written-out
    statement each for the people at a site's door) give what ``get_scoped_or_404`` and
    ``scoped`` give for the site and the children, for every role."""
    import uuid

    from django.http import Http404

    from enrollment.models import EnrollmentStatus
    from tests.factories import EnrollmentFactory

    ours = enrolled_child(term_a)
    theirs = enrolled_child(term_b)
    not_enrolled = ChildFactory(family=ours.family)
    applied = enrolled_child(term_a)
    applied.enrollments.update(status=EnrollmentStatus.APPLIED)
    withdrawn = enrolled_child(term_a)
    withdrawn.enrollments.update(status=EnrollmentStatus.WITHDRAWN)
    # Enrolled at the other factory's site, and withdrawn here: not ours.
    elsewhere = enrolled_child(term_b)
    EnrollmentFactory(child=elsewhere, term=term_a, status=EnrollmentStatus.WITHDRAWN)
    inactive = UserFactory(role=Role.CHILDCARE, sites=[site_a], is_active=False)
    other_carer = UserFactory(role=Role.CHILDCARE, sites=[term_b.site])
    children = [ours, theirs, not_enrolled, applied, withdrawn, elsewhere]
    sites = [site_a.pk, term_b.site.pk, 0]

    def orm(user, site_pk, key):
        return (
            access.get_scoped_or_404(user, Site, pk=site_pk),
            access.get_scoped_or_404(user, Child, key=key),
        )

    def outcome(lookup, *args):
        try:
            site, child = lookup(*args)
        except Http404 as error:
            return ("404", error.model.__name__)
        return (site.pk, site.factory.pk, child.pk, child.family.pk, child.name)

    def site_outcome(lookup, *args, **lookups):
        try:
            site = lookup(*args, **lookups)
        except Http404 as error:
            return ("404", error.model.__name__)
        return (site.pk, site.factory.pk, site.factory.name)

    compared = 0
    for user in (hr, carer, site_lead, coordinator, administrator, inactive, other_carer):
        for site_pk in sites:
            expected = site_outcome(access.get_scoped_or_404, user, Site, pk=site_pk)
            ids = [c.pk for c in children] + [0]
            seen = list(access.scoped(user, Child).filter(pk__in=ids).order_by("pk"))
            assert access.children_by_id(user, ids) == seen, user.role
            assert site_outcome(access.site_or_404, user, site_pk) == expected, (user.role, site_pk)
            for key in [c.key for c in children] + [uuid.uuid4()]:
                args = (user, site_pk, key)
                got = outcome(access.site_and_child_or_404, *args)
                assert got == outcome(orm, *args), (user.role, user.is_active, site_pk, key)
                compared += 1
    assert compared == 7 * 3 * 7
    # Seen by a carer of site A: our child, applied or enrolled, nobody else.
    assert access.site_and_child_or_404(carer, site_a.pk, applied.key)[1] == applied
    assert access.children_by_id(carer, [c.pk for c in children]) == [ours, applied]


def test_a_board_acts_site_and_child_cost_one_statement_for_a_carer(
    carer, site_a, term_a, django_assert_num_queries
):
    from django.db import connection

    child = enrolled_child(term_a)
    access.site_and_child_or_404(carer, site_a.pk, child.key)  # prepared on this connection
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        site, found = access.site_and_child_or_404(carer, site_a.pk, child.key)
        assert (site.factory.name, found.family.pk) == (site_a.factory.name, child.family.pk)
    access.site_or_404(carer, site_a.pk)
    with django_assert_num_queries(1):
        assert access.site_or_404(carer, site_a.pk).factory.name == site_a.factory.name
