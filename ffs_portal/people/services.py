"""Every write to the accounts of people managed by others. Each checks, inside its
transaction, that the manager may give the role and scope it sets (ffs_portal.access): a role
or scope above the manager's own is refused with PermissionDenied and nothing is saved."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ffs_portal import access, audit
from ffs_portal import services as accounts
from ffs_portal.access import Scope
from ffs_portal.models import Role, User
from staff import services as staff_services

SITE_ROLES = (Role.CHILDCARE, Role.SITE_LEAD)


def _apply_scope(user: User, scope: Scope) -> None:
    """The role and its scope on ``user``, saved; the rest of the scope emptied."""
    user.role = scope.role
    user.factory = scope.factory
    user.all_factories = scope.all_factories
    # Administrators reach the read-only admin pages; nobody else does.
    user.is_staff = user.is_superuser = scope.role == Role.ADMIN
    user.save()
    user.sites.set(scope.sites)
    user.factories.set(scope.factories)
    if scope.role in SITE_ROLES:
        staff_services.profile_for(user)


def _scope_summary(user: User) -> dict:
    return {
        "role": user.role,
        "hr_factory": user.factory_id,
        "sites": sorted(user.sites.values_list("pk", flat=True)),
        "factories": sorted(user.factories.values_list("pk", flat=True)),
        "all_factories": user.all_factories,
    }


@transaction.atomic
def person_add(
    *,
    by,
    username: str,
    last_name: str,
    first_name: str = "",
    email: str = "",
    language: str,
    scope: Scope,
    invite: bool,
    mobile: str = "",
    started_on=None,
) -> tuple[User, str | None]:
    """Make an account with the role and scope given, then e-mail an invitation (``invite``)
    or set a one-time password, returned to be shown once. Site leads and childcare workers
    get their staff profile too."""
    access.check_grant(by, scope)
    username = username.strip().lower()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            {"username": _("The user name %(name)s is taken.") % {"name": username}}
        )
    user = User(
        username=username,
        last_name=last_name.strip(),
        first_name=first_name.strip(),
        email=email,
        language=language,
    )
    user.set_unusable_password()
    _apply_scope(user, scope)
    if scope.role in SITE_ROLES:
        staff_services.profile_save(
            profile=staff_services.profile_for(user), by=by, mobile=mobile, started_on=started_on
        )
    audit.record(
        actor=by,
        action="account.created",
        factory=scope.factory or (scope.sites[0].factory if scope.sites else None),
        about=user,
        **_scope_summary(user),
    )
    if invite:
        accounts.invitation_send(user=user, by=by)
        return user, None
    return user, accounts.one_time_password_set(user=user, by=by)


@transaction.atomic
def person_change(
    *,
    person: User,
    by,
    last_name: str,
    first_name: str,
    email: str,
    language: str,
    scope: Scope,
) -> User:
    """Change a person's name, address, language, role or scope. A new role ends their
    sessions: they sign in again into what the new role sees (with two-factor if it needs
    it)."""
    access.check_grant(by, scope)
    before = _scope_summary(person)
    changed = [
        name
        for name, value in (
            ("last_name", last_name),
            ("first_name", first_name),
            ("email", email),
            ("language", language),
        )
        if getattr(person, name) != value
    ]
    person.last_name, person.first_name = last_name.strip(), first_name.strip()
    person.email, person.language = email, language
    _apply_scope(person, scope)
    after = _scope_summary(person)
    changed += [name for name in after if after[name] != before[name]]
    if before["role"] != scope.role:
        accounts.sessions_end(person)
    if changed:
        audit.record(actor=by, action="account.changed", about=person, fields=changed, **after)
    return person


@transaction.atomic
def person_switch_off(*, person: User, by) -> None:
    """Switch the account off (ffs_portal.services.account_switch_off) and end a duty left
    open on the tablet, so the ratio no longer counts them."""
    accounts.account_switch_off(user=person, by=by)
    staff_services.duty_end_for_leaver(user=person, by=by)


@transaction.atomic
def person_lock_clear(*, person: User, by) -> None:
    """End the sign-in lock-out of the person's name and the lock of their tablet PIN."""
    accounts.sign_in_lock_clear(user=person, by=by)
    staff_services.pin_unlock(user=person)


# Acts on an account, each one transaction with its audit entry (ffs_portal.services), for
# the person's page; each takes the person and the manager.


def person_switch_on(*, person: User, by) -> None:
    accounts.account_switch_on(user=person, by=by)


def person_invite(*, person: User, by) -> None:
    accounts.invitation_send(user=person, by=by)


def person_password_reset(*, person: User, by) -> None:
    accounts.password_reset_send(user=person, by=by)


def person_one_time_password(*, person: User, by) -> str:
    return accounts.one_time_password_set(user=person, by=by)


def person_two_factor_reset(*, person: User, by) -> None:
    accounts.two_factor_reset(user=person, by=by)
