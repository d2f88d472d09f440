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
