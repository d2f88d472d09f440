"""Reads for the people pages: the people a manager manages, and one person's account state
and history."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Factory, Site
from ffs_portal import access, two_factor
from ffs_portal import services as accounts
from ffs_portal.models import AuditEntry, Invitation, User

# What the person's history says of each act on their account.
ACTIONS = {
    "account.created": _("Account made"),
    "account.changed": _("Name, role or scope changed"),
    "account.invited": _("Invitation e-mailed"),
    "account.invitation_used": _("Password chosen from the invitation"),
    "account.one_time_password": _("One-time password given"),
    "account.password_chosen": _("Own password chosen"),
    "account.password_reset_sent": _("Password reset e-mailed"),
    "account.lock_cleared": _("Sign-in lock-out cleared"),
    "account.switched_off": _("Account switched off"),
    "account.switched_on": _("Account switched on again"),
    "account.two_factor_set_up": _("Authenticator app set up"),
    "account.two_factor_reset": _("Authenticator app reset"),
    "account.recovery_codes_renewed": _("New recovery codes made"),
    "account.email_changed": _("E-mail address changed"),
}
HISTORY_LENGTH = 50


def people(manager, *, q: str = "", role: str = "", active: str = "") -> QuerySet[User]:
    """The people ``manager`` manages, filtered, with their scope in a constant number of
    queries whatever their number."""
    found = access.managed_people(manager)
    if q:
        found = found.filter(
            Q(username__icontains=q) | Q(last_name__icontains=q) | Q(first_name__icontains=q)
        )
    if role:
        found = found.filter(role=role)
    if active in ("yes", "no"):
        found = found.filter(is_active=active == "yes")
    return (
        found.select_related("factory", "sponsor")
        .prefetch_related(
            Prefetch("sites", queryset=Site.objects.select_related("factory").order_by("name")),
            Prefetch("factories", queryset=Factory.objects.order_by("name")),
        )
        .order_by("-is_active", "role", "last_name", "first_name", "username")
    )


@dataclass
class HistoryLine:
    """One act on the account, as the person's page lists it."""

    at: datetime
    label: str
    actor: User | None
    fields: list


@dataclass
class AccountState:
    invitation: Invitation | None
    locked_out: bool
    two_factor: bool
    recovery_codes_left: int
    history: list

    @property
    def invitation_open(self) -> bool:
        return self.invitation is not None and self.invitation.is_usable()

    @property
    def invitation_expired(self) -> bool:
        return (
            self.invitation is not None
            and self.invitation.is_open
            and self.invitation.expires_at <= timezone.now()
        )


def account_state(person: User) -> AccountState:
    history = [
        HistoryLine(
            at=entry.at,
            label=str(ACTIONS.get(entry.action, entry.action)),
            actor=entry.actor,
            fields=entry.details.get("fields", []),
        )
        for entry in AuditEntry.objects.filter(person=person)
        .select_related("actor")
        .order_by("-at")[:HISTORY_LENGTH]
    ]
    return AccountState(
        invitation=person.invitations.order_by("-created_at").first(),
        locked_out=accounts.is_locked_out(person),
        two_factor=two_factor.is_set_up(person),
        recovery_codes_left=two_factor.recovery_codes_left(person),
        history=history,
    )
