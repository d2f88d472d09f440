"""Who may see and do what: the one place that scopes data by factory and site.

Views never filter by factory or site themselves. They ask this module for a scoped
queryset (``scoped``) or an object (``get_scoped_or_404``); an object outside the user's
factories or sites is a 404, exactly like one that does not exist.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, cast

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest
from django_htmx.middleware import HtmxDetails

from ffs_portal.models import Role, User

if TYPE_CHECKING:
    from enrollment.models import Child, Factory, Site
    from ffs_portal.outcomes.models import Sponsor


class AuthenticatedHttpRequest(HttpRequest):
    """The request a view gets behind LoginRequiredMiddleware (every view not marked
    @login_not_required): someone is signed in. For annotations only."""

    user: User
    htmx: HtmxDetails


M = TypeVar("M", bound=Model)
# A one-column ``values()`` queryset of ids, for ``__in`` lookups.
IdQuery = QuerySet[Model, Mapping[str, object]]
P = ParamSpec("P")
R = TypeVar("R")
View = Callable[Concatenate[AuthenticatedHttpRequest, P], R]

# What each role may do. Views declare the capability they need with @requires.
MANAGE_FAMILIES = "manage_families"  # register families, consent, enrolment, import, cards
VIEW_FAMILIES = "view_families"  # read family pages and their history
USE_BOARD = "use_board"  # tablet: today's children, check-in and check-out
LEAD_SITE = "lead_site"  # review incidents, manage the site's staff and rota
VIEW_DASHBOARD = "view_dashboard"  # figures for the factories or sites one oversees
MANAGE_PROGRAM = "manage_program"  # factories, sites, terms, ratio rules, sponsors
VIEW_SPONSOR_REPORTS = "view_sponsor_reports"  # a sponsor's aggregated yearly report
MANAGE_PEOPLE = "manage_people"  # accounts of the people one oversees: add, switch off, reset

ROLE_CAPABILITIES: dict[str, set[str]] = {
    Role.HR: {MANAGE_FAMILIES, VIEW_FAMILIES, VIEW_DASHBOARD},
    Role.CHILDCARE: {USE_BOARD},
    Role.SITE_LEAD: {USE_BOARD, LEAD_SITE, VIEW_DASHBOARD, MANAGE_PEOPLE},
    Role.COORDINATOR: {
        VIEW_FAMILIES,
        VIEW_DASHBOARD,
        MANAGE_PROGRAM,
        VIEW_SPONSOR_REPORTS,
        MANAGE_PEOPLE,
    },
    Role.ADMIN: {
        MANAGE_FAMILIES,
        VIEW_FAMILIES,
        USE_BOARD,
        LEAD_SITE,
        VIEW_DASHBOARD,
        MANAGE_PROGRAM,
        VIEW_SPONSOR_REPORTS,
        MANAGE_PEOPLE,
    },
    # Sponsors read their own reports: aggregated figures only, never a child or a family.
    Role.SPONSOR: {VIEW_SPONSOR_REPORTS},
}


def can(user: User | AnonymousUser, capability: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return capability in ROLE_CAPABILITIES.get(user.role, set())


def requires(capability: str) -> Callable[[View[P, R]], View[P, R]]:
    """View decorator: the signed-in user's role must grant ``capability`` (else 403)."""

    def decorator(view: View[P, R]) -> View[P, R]:
        @wraps(view)
        def wrapped(request: AuthenticatedHttpRequest, *args: P.args, **kwargs: P.kwargs) -> R:
            if not can(request.user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _is_site_bound(user: User) -> bool:
    return user.role in (Role.CHILDCARE, Role.SITE_LEAD)


def _sees_every_factory(user: User) -> bool:
    return user.role == Role.ADMIN or (user.role == Role.COORDINATOR and user.all_factories)


def sees_every_factory(user: User) -> bool:
    """Administrators, and coordinators who oversee every factory."""
    return _sees_every_factory(user)


def factory_ids(user: User | AnonymousUser) -> IdQuery:
    """The ids of the factories whose data the user may see, as a queryset."""
    from enrollment.models import Factory, Site

    if not user.is_authenticated:
        return Factory.objects.none().values("pk")
    if _sees_every_factory(user):
        return Factory.objects.values("pk")
    if user.role == Role.COORDINATOR:
        return user.factories.values("pk")
    if user.role == Role.HR:
        # The hr_user_has_factory constraint: HR always has a factory.
        assert user.factory_id is not None
        return Factory.objects.filter(pk=user.factory_id).values("pk")
    if _is_site_bound(user):
        return Site.objects.filter(users=user).values("factory")
    return Factory.objects.none().values("pk")


def site_ids(user: User) -> IdQuery:
    """The ids of the sites whose data the user may see, as a queryset."""
    from enrollment.models import Site

    if _is_site_bound(user):
        return Site.objects.filter(users=user).values("pk")
    return Site.objects.filter(factory__in=factory_ids(user)).values("pk")


def _child_rule(user: User) -> Q:
    from enrollment.models import ACTIVE_ENROLLMENT_STATUSES, Enrollment

    if _is_site_bound(user):
        enrolled_here = Enrollment.objects.filter(
            term__site__in=site_ids(user), status__in=ACTIVE_ENROLLMENT_STATUSES
        ).values("child")
        return Q(pk__in=enrolled_here)
    return Q(family__factory__in=factory_ids(user))


Rule = Callable[[User], Q]


def _by_factory(path: str) -> Rule:
    def rule(user: User) -> Q:
        # Childcare workers and site leads see children, never families or HR records.
        if _is_site_bound(user):
            return Q(pk__in=[])
        return Q(**{f"{path}__in": factory_ids(user)})

    return rule


def _by_site(path: str) -> Rule:
    return lambda user: Q(**{f"{path}__in": site_ids(user)})


def _staff_rule(user: User) -> Q:
    """Staff are seen by those who work at or oversee the same sites (HR sees none)."""
    from ffs_portal.models import User

    if user.role == Role.HR:
        return Q(pk__in=[])
    return Q(pk__in=User.objects.filter(sites__in=site_ids(user)).values("pk"))


def _sponsor_rule(user: User) -> Q:
    """A sponsor's own staff see their sponsor; coordinators see the sponsors of the factories
    they oversee, and sponsors without any sponsorship yet (just added)."""
    from ffs_portal.outcomes.models import Sponsorship

    if user.role == Role.SPONSOR:
        return Q(pk=user.sponsor_id)
    if _sees_every_factory(user):
        return Q()
    if user.role == Role.COORDINATOR:
        theirs = Sponsorship.objects.filter(factory__in=factory_ids(user)).values("sponsor")
        return Q(pk__in=theirs) | ~Q(pk__in=Sponsorship.objects.values("sponsor"))
    return Q(pk__in=[])


def _sponsorship_rule(user: User) -> Q:
    if user.role == Role.SPONSOR:
        return Q(sponsor=user.sponsor_id)
    return Q(factory__in=factory_ids(user))


def may_change_sponsor(user: User, sponsor: "Sponsor") -> bool:
    """Whether ``user`` may rename a sponsor or give and take its logins: only someone who
    oversees every factory it sponsors. A sponsor shared with another factory is not one
    coordinator's to change: its logins read the other factory's figures too."""
    from enrollment.models import Factory

    if not can(user, MANAGE_PROGRAM):
        return False
    if _sees_every_factory(user) or sponsor.pk is None:
        return True
    others = Factory.objects.exclude(pk__in=factory_ids(user))
    return not sponsor.sponsorships.filter(factory__in=others).exists()


def sponsor_report_factories(user: User, sponsor: "Sponsor", year: int) -> "QuerySet[Factory]":
    """The factories whose aggregated figures ``user`` may read in ``sponsor``'s report for
    ``year``: all the sponsored ones for the sponsor's own staff, those among them the user
    oversees for everyone else. Sponsors reach no factory through ``scoped``."""
    from enrollment.models import Factory

    sponsorships = scoped(user, sponsor.sponsorships.filter(year=year))
    return Factory.objects.filter(pk__in=sponsorships.values("factory"))


# People ----------------------------------------------------------------------------------
# Who manages whose account: administrators everyone's; a coordinator the HR users, site leads
# and childcare workers of the factories they oversee; a site lead the childcare workers of
# their sites. Nobody gives a role or a scope above their own.

GRANTABLE_ROLES = {
    Role.ADMIN: (Role.HR, Role.CHILDCARE, Role.SITE_LEAD, Role.COORDINATOR, Role.ADMIN),
    Role.COORDINATOR: (Role.HR, Role.SITE_LEAD, Role.CHILDCARE),
    Role.SITE_LEAD: (Role.CHILDCARE,),
}


def grantable_roles(user) -> tuple[str, ...]:
    """The roles ``user`` may give, most senior last."""
    if not can(user, MANAGE_PEOPLE):
        return ()
    return GRANTABLE_ROLES.get(user.role, ())


def grantable_sites(user) -> QuerySet:
    """The sites ``user`` may put a site lead or childcare worker at."""
    from enrollment.models import Site

    if not can(user, MANAGE_PEOPLE):
        return Site.objects.none()
    return Site.objects.filter(pk__in=site_ids(user))


def grantable_factories(user) -> QuerySet:
    """The factories ``user`` may give an HR user or a coordinator (site leads give none)."""
    from enrollment.models import Factory

    if not can(user, MANAGE_PEOPLE) or _is_site_bound(user):
        return Factory.objects.none()
    return Factory.objects.filter(pk__in=factory_ids(user))


@dataclass(frozen=True)
class Scope:
    """A role and what it works for: HR a factory, site leads and childcare workers sites,
    a coordinator a set of factories or all of them."""

    role: str
    factory: Any = None
    sites: tuple = ()
    factories: tuple = ()
    all_factories: bool = False


def may_grant(user, scope: Scope) -> bool:
    """Whether ``user`` may give ``scope``: the role is one they may give and every factory
    and site of the scope is one they oversee."""
    if scope.role not in grantable_roles(user):
        return False
    if scope.all_factories and not _sees_every_factory(user):
        return False
    factory_pks = {f.pk for f in scope.factories} | (
        {scope.factory.pk} if scope.factory is not None else set()
    )
    if factory_pks - set(grantable_factories(user).values_list("pk", flat=True)):
        return False
    site_pks = {s.pk for s in scope.sites}
    return not site_pks - set(grantable_sites(user).values_list("pk", flat=True))


def check_grant(user, scope: Scope) -> None:
    """``may_grant`` or PermissionDenied: a role or scope above the manager's own is a 403."""
    if not may_grant(user, scope):
        raise PermissionDenied


def managed_people(user) -> QuerySet:
    """The accounts ``user`` manages (never their own: that is under My settings)."""
    from ffs_portal.models import User

    people = User.objects.exclude(pk=user.pk)
    if not can(user, MANAGE_PEOPLE):
        return people.none()
    if user.role == Role.ADMIN:
        return people
    roles = grantable_roles(user)
    # A person is theirs when every factory or site the person works for is: a worker shared
    # with another factory's site is managed by someone who oversees both.
    sites = grantable_sites(user)
    elsewhere = User.sites.through.objects.exclude(site__in=sites).values("user")
    site_bound = Q(
        role__in=[r for r in roles if r in (Role.CHILDCARE, Role.SITE_LEAD)],
        pk__in=User.sites.through.objects.filter(site__in=sites).values("user"),
    ) & ~Q(pk__in=elsewhere)
    hr = (
        Q(role=Role.HR, factory__in=grantable_factories(user)) if Role.HR in roles else Q(pk__in=[])
    )
    return people.filter(site_bound | hr)


def get_managed_or_404(user, **lookup) -> Model:
    return _get_or_404(managed_people(user), lookup)


def _data_incident_rule(user: User) -> Q:
    """Data incidents are the coordinators': those of the factories they oversee; one that
    touched several factories (no factory) only for those who oversee every factory."""
    if _sees_every_factory(user):
        return Q()
    if user.role == Role.COORDINATOR:
        return Q(factory__in=factory_ids(user))
    return Q(pk__in=[])


# Health ----------------------------------------------------------------------------------
# Health data is sensitive: the details (which child, what was seen, which medicine) are for
# the staff of the child's site only; HR, coordinators and administrators see counts; sponsors
# nothing.


def sees_health_details(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and user.is_active and _is_site_bound(user)


def _health_detail_rule(path: str) -> Rule:
    def rule(user: User) -> Q:
        if not _is_site_bound(user):
            return Q(pk__in=[])
        return Q(**{f"{path}__in": site_ids(user)})

    return rule


def health_counts(user: User | AnonymousUser, model: type[M]) -> QuerySet[M]:
    """The health rows of the sites ``user`` oversees, to be counted (never listed) by those
    who do not see the details."""
    if not user.is_authenticated or not user.is_active or user.role == Role.SPONSOR:
        return model._default_manager.none()
    return model._default_manager.filter(site__in=site_ids(user))


def _rules() -> dict[type[Model], Rule]:
    from attendance import models as attendance
    from attendance.health import models as health
    from attendance.tablet import models as tablet
    from enrollment import models as enrollment
    from enrollment.training import models as training
    from ffs_portal.compliance import models as compliance
    from ffs_portal.models import User
    from ffs_portal.outcomes import models as outcomes
    from ffs_portal.retention import models as retention
    from staff import models as staff

    return {
        enrollment.Factory: lambda user: Q(pk__in=factory_ids(user)),
        enrollment.Site: _by_site("pk"),
        enrollment.Term: _by_site("site"),
        enrollment.Room: _by_site("site"),
        enrollment.Family: _by_factory("factory"),
        enrollment.Worker: _by_factory("factory"),
        enrollment.Adult: _by_factory("family__factory"),
        enrollment.Consent: _by_factory("child__family__factory"),
        enrollment.PickupPermission: _by_factory("child__family__factory"),
        enrollment.Child: _child_rule,
        User: _staff_rule,
        staff.Shift: _by_site("site"),
        staff.DutyPeriod: _by_site("site"),
        staff.RatioRule: _by_site("site"),
        staff.RatioDay: _by_site("site"),
        training.Course: lambda user: (
            Q(pk__in=[]) if _is_site_bound(user) or user.role == Role.SPONSOR else Q()
        ),
        training.TrainingSession: _by_factory("factory"),
        training.Invitation: _by_factory("session__factory"),
        training.SessionAttendance: _by_factory("session__factory"),
        enrollment.Enrollment: lambda user: (
            Q(term__site__in=site_ids(user))
            if _is_site_bound(user)
            else Q(child__family__factory__in=factory_ids(user))
        ),
        # Attendance belongs to the site where it happened.
        attendance.AttendanceRecord: _by_site("site"),
        attendance.RefusedPickup: _by_site("site"),
        attendance.Incident: _by_site("site"),
        attendance.RollCall: _by_site("site"),
        attendance.RollCallEntry: _by_site("roll_call__site"),
        tablet.Tablet: _by_site("site"),
        health.HealthCheck: _health_detail_rule("site"),
        health.MedicineAuthorisation: _health_detail_rule("site"),
        health.MedicineDose: _health_detail_rule("site"),
        # An alert names a sign, a count and rooms, never a child.
        health.OutbreakAlert: _by_site("site"),
        outcomes.Sponsor: _sponsor_rule,
        outcomes.Sponsorship: _sponsorship_rule,
        outcomes.ProgramYear: lambda user: Q(factory__in=factory_ids(user)),
        outcomes.ParentSurvey: _by_site("term__site"),
        outcomes.SiteDay: _by_site("site"),
        retention.ChildOnFile: _child_rule,
        retention.RetentionHold: _by_factory("child__family__factory"),
        compliance.DataIncident: _data_incident_rule,
    }


_RULES: dict[type[Model], Rule] | None = None


def scoped(user: User | AnonymousUser, model_or_queryset: type[M] | QuerySet[M]) -> QuerySet[M]:
    """The rows of a model (or of a queryset) that ``user`` may see."""
    global _RULES
    if _RULES is None:
        _RULES = _rules()
    if isinstance(model_or_queryset, QuerySet):
        queryset = model_or_queryset
    else:
        queryset = model_or_queryset._default_manager.all()
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    rule = _RULES.get(queryset.model)
    if rule is None:
        raise LookupError(f"{queryset.model.__name__} has no access rule in ffs_portal.access")
    return queryset.filter(rule(user))


class OutOfScope(Http404):
    """The 404 of the scoping rules. It carries the model and the lookup so that an attempt
    to reach an object that exists, outside the user's factories or sites, can be logged
    after the request (ffs_portal/compliance/middleware.py), off the normal path."""

    def __init__(self, model: type[Model], lookup: Mapping[str, Any]):
        super().__init__(f"No {model._meta.object_name} matches the given query.")
        self.model = model
        self.lookup = dict(lookup)


def _get_or_404(queryset: QuerySet[M], lookup: Mapping[str, Any]) -> M:
    try:
        return queryset.get(**lookup)
    except ObjectDoesNotExist:
        raise OutOfScope(queryset.model, lookup) from None


def get_scoped_or_404(
    user: User | AnonymousUser, model_or_queryset: type[M] | QuerySet[M], **lookup: Any
) -> M:
    return _get_or_404(scoped(user, model_or_queryset), lookup)


# The board's acts, many a minute at every site ----------------------------------------------

# A site, and one of its children, for someone at the site's door (a childcare worker or
# site lead): the Site rule (``_by_site``) and the Child rule (``_child_rule``) of a
# site-bound user, said in one statement that is prepared once per connection. Built with the
# ORM, the lookups cost more than the act they guard. tests/ffs_portal/test_access.py holds
# them to ``get_scoped_or_404`` for every role.
_SITE_FOR_THEM = """
FROM enrollment_site s
JOIN enrollment_factory f ON f.id = s.factory_id{child_join}
WHERE s.id = %(site)s
  AND EXISTS (SELECT 1 FROM {user_sites} u WHERE u.site_id = s.id AND u.user_id = %(user)s)
"""
_CHILD_RULE = """c.id IN (
  SELECT e.child_id FROM enrollment_enrollment e
  JOIN enrollment_term t ON t.id = e.term_id
  JOIN {user_sites} u ON u.site_id = t.site_id
  WHERE u.user_id = %(user)s AND e.status = ANY(%(statuses)s))"""
_CHILD_FOR_THEM = f"""
LEFT JOIN enrollment_child c ON c.key = %(key)s AND {_CHILD_RULE}
LEFT JOIN enrollment_family fa ON fa.id = c.family_id"""
_CHILDREN_FOR_THEM = f"""
SELECT {{child}} FROM enrollment_child c
WHERE c.id = ANY(%(children)s) AND {_CHILD_RULE}
ORDER BY c.id
"""  # noqa: S608 - only the rule above is formatted in


@cache
def _door_statement(with_child: bool) -> str:
    from enrollment.models import Child, Factory, Family, Site
    from ffs_portal.lib import db

    user_sites = User.sites.through._meta.db_table
    columns = [db.columns(Site, "s"), db.columns(Factory, "f")]
    if with_child:
        columns += [db.columns(Child, "c"), db.columns(Family, "fa")]
    child_join = _CHILD_FOR_THEM.format(user_sites=user_sites) if with_child else ""
    return f"SELECT {', '.join(columns)}" + _SITE_FOR_THEM.format(
        child_join=child_join, user_sites=user_sites
    )


@cache
def _children_statement() -> str:
    from enrollment.models import Child
    from ffs_portal.lib import db

    return _CHILDREN_FOR_THEM.format(
        child=db.columns(Child, "c"), user_sites=User.sites.through._meta.db_table
    )


def children_by_id(user: User, ids: list[int]) -> list["Child"]:
    """The children among ``ids`` the user may see, in the order of their ids, as
    ``scoped(user, Child)``: one prepared statement for the people at a site's door on
    PostgreSQL (a board refresh's changed tiles), the ORM's rule otherwise."""
    from django.db import connection

    from enrollment.models import ACTIVE_ENROLLMENT_STATUSES, Child
    from ffs_portal.lib import db

    if not at_the_door(user):
        return list(scoped(user, Child).filter(pk__in=ids).order_by("pk"))
    params = {
        "children": list(ids),
        "user": user.pk,
        "statuses": [str(status) for status in ACTIVE_ENROLLMENT_STATUSES],
    }
    with connection.cursor() as cursor:
        db.execute_prepared(cursor, "access_children", _children_statement(), params)
        rows = cursor.fetchall()
    return [cast(Child, db.instances(row, Child)[0]) for row in rows]


def at_the_door(user: User) -> bool:
    """Whether the board's written-out statements apply: someone active at a site's door
    (a childcare worker or site lead), on PostgreSQL."""
    from django.db import connection

    return connection.vendor == "postgresql" and user.is_active and _is_site_bound(user)


def site_or_404(user: User, site_pk: int) -> "Site":
    """The site of a board request with its factory, a 404 when it is not in the user's
    scope, exactly as ``get_scoped_or_404``: one prepared statement for the people at a
    site's door on PostgreSQL (every tablet request), the ORM's rules otherwise."""
    from enrollment.models import Factory, Site
    from ffs_portal.lib import db

    if not at_the_door(user):
        return get_scoped_or_404(user, Site.objects.select_related("factory"), pk=site_pk)
    params = {"user": user.pk, "site": site_pk}
    found = db.read_instances("access_site", _door_statement(False), params, Site, Factory)
    if found is None:
        raise OutOfScope(Site, {"pk": site_pk})
    site, factory = found
    Site._meta.get_field("factory").set_cached_value(site, factory)
    return site


def site_and_child_or_404(user: User, site_pk: int, child_key) -> tuple["Site", "Child"]:
    """The site (with its factory) and the child (with its family) of a board act, each a
    404 when it is not in the user's scope, exactly as ``get_scoped_or_404`` for each: one
    prepared statement for the people at a site's door on PostgreSQL."""
    from enrollment.models import ACTIVE_ENROLLMENT_STATUSES, Child, Factory, Family, Site
    from ffs_portal.lib import db

    if not at_the_door(user):
        site = get_scoped_or_404(user, Site.objects.select_related("factory"), pk=site_pk)
        child = get_scoped_or_404(user, Child.objects.select_related("family"), key=child_key)
        return site, child
    params = {
        "key": child_key,
        "user": user.pk,
        "statuses": [str(status) for status in ACTIVE_ENROLLMENT_STATUSES],
        "site": site_pk,
    }
    sql = _door_statement(True)
    found = db.read_instances("access_site_and_child", sql, params, Site, Factory, Child, Family)
    if found is None:
        raise OutOfScope(Site, {"pk": site_pk})
    found_site, factory, found_child, family = found
    if found_child is None:
        raise OutOfScope(Child, {"key": child_key})
    assert isinstance(found_site, Site) and isinstance(found_child, Child)
    Site._meta.get_field("factory").set_cached_value(found_site, factory)
    Child._meta.get_field("family").set_cached_value(found_child, family)
    return found_site, found_child


# A guardian on the parents' page (no account: the signed link names them) ----------------


def for_guardian(guardian, model_or_queryset: type[M] | QuerySet[M]) -> QuerySet[M]:
    """The rows of a model that a family's guardian may see on their page: their own
    family's children and what concerns them, nothing else. A guardian with no family sees
    nothing."""
    from attendance import models as attendance
    from enrollment import models as enrollment

    rules: dict[type[Model], str] = {
        enrollment.Child: "family_id",
        attendance.Incident: "child__family_id",
        attendance.AttendanceRecord: "child__family_id",
    }
    if isinstance(model_or_queryset, QuerySet):
        queryset = model_or_queryset
    else:
        queryset = model_or_queryset._default_manager.all()
    path = rules.get(queryset.model)
    if path is None:
        raise LookupError(f"{queryset.model.__name__} has no guardian's rule in ffs_portal.access")
    if guardian.family_id is None:
        return queryset.none()
    return queryset.filter(**{path: guardian.family_id})
