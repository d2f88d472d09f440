import hashlib
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HR = "hr", _("Factory HR")
    CHILDCARE = "childcare", _("Childcare worker")
    SITE_LEAD = "site_lead", _("Site lead")
    COORDINATOR = "coordinator", _("Program coordinator")
    ADMIN = "admin", _("Administrator")
    SPONSOR = "sponsor", _("Sponsor")


# Roles that must sign in with a second factor: they see every child of the factories
# they oversee.
TWO_FACTOR_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})


class UserManager(DjangoUserManager):
    def get_by_natural_key(self, username):
        # "Zhou.Li" and "zhou.li" are one person: user names are unique ignoring case.
        return self.get(username__iexact=username)


class User(AbstractUser):
    """A person who signs in. What they may see is decided in ffs_portal.access."""

    objects: ClassVar[UserManager] = UserManager()

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CHILDCARE)
    # Factory HR works for one factory.
    factory = models.ForeignKey(
        "enrollment.Factory",
        verbose_name=_("factory"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hr_users",
    )
    # Childcare workers work at one or more sites; a site lead leads one.
    sites = models.ManyToManyField(
        "enrollment.Site", verbose_name=_("sites"), blank=True, related_name="users"
    )
    # Program coordinators oversee all factories or a named set.
    all_factories = models.BooleanField(_("all factories"), default=False)
    factories = models.ManyToManyField(
        "enrollment.Factory",
        verbose_name=_("factories overseen"),
        blank=True,
        related_name="coordinators",
    )
    # A sponsor's staff read their own sponsor's reports, nothing else.
    sponsor = models.ForeignKey(
        "outcomes.Sponsor",
        verbose_name=_("sponsor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # The daily attendance e-mail (coordinators and site leads).
    digest_enabled = models.BooleanField(_("daily e-mail"), default=True)
    digest_hour = models.PositiveSmallIntegerField(
        _("hour of the daily e-mail"), default=19, validators=[MaxValueValidator(23)]
    )
    time_zone = models.CharField(_("time zone"), max_length=50, default=settings.TIME_ZONE)
    # A password someone else chose (a one-time password) is replaced at the first sign-in.
    must_change_password = models.BooleanField(_("must choose a new password"), default=False)
    # Raised to end every session of the account at once (switched off, role changed,
    # two-factor device reset): sessions carry a hash made with it.
    session_generation = models.PositiveIntegerField(default=0)
    deactivated_at = models.DateTimeField(_("switched off on"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="username_unique_ignoring_case",
                violation_error_message=_("This user name is taken."),
            ),
            models.CheckConstraint(
                name="switched_off_user_is_inactive",
                condition=Q(deactivated_at__isnull=True) | Q(is_active=False),
            ),
            models.CheckConstraint(
                name="hr_user_has_factory",
                condition=~Q(role=Role.HR) | Q(factory__isnull=False),
            ),
            models.CheckConstraint(
                name="sponsor_user_has_sponsor",
                condition=~Q(role=Role.SPONSOR) | Q(sponsor__isnull=False),
            ),
            models.CheckConstraint(name="digest_hour_of_the_day", condition=Q(digest_hour__lte=23)),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    def get_full_name(self):
        # Chinese names are written family name first, without a space.
        if (self.first_name + self.last_name).isascii():
            return f"{self.first_name} {self.last_name}".strip()
        return f"{self.last_name}{self.first_name}".strip()

    def _get_session_auth_hash(self, secret=None):
        # Django's hash of the password, with the session generation in it: raising the
        # generation signs the account out everywhere, as a new password does.
        return salted_hmac(
            "ffs_portal.User.session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def needs_two_factor(self) -> bool:
        """Whether this role must sign in with a code from an authenticator app."""
        return self.role in TWO_FACTOR_ROLES


class AuditEntry(models.Model):
    """Who viewed or changed a child's record, a family, or an attendance event, and when."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=50)
    factory = models.ForeignKey(
        "enrollment.Factory", null=True, on_delete=models.CASCADE, related_name="+"
    )
    family = models.ForeignKey(
        "enrollment.Family", null=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    child = models.ForeignKey(
        "enrollment.Child", null=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    # The person whose account the entry is about (created, role changed, switched off, …).
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="audit_about"
    )
    # Names of fields changed and similar facts; never the values of sensitive fields.
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["family", "-at"]),
            models.Index(fields=["child", "-at"]),
            models.Index(fields=["person", "-at"]),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


INVITATION_LIFETIME = timedelta(hours=72)


def token_digest(token: str) -> str:
    """What is stored of a link's secret: its SHA-256, so a copy of the database opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A one-time link, e-mailed to a new person, to choose their password. A new invitation
    to the same person replaces the open one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    # Made by the worker that sends the e-mail, so the link's secret never sits in a queue.
    token_hash = models.CharField(max_length=64, null=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(used_at__isnull=True, withdrawn_at__isnull=True),
                name="one_open_invitation_per_user",
            ),
            models.CheckConstraint(
                name="invitation_expires_after_it_is_made",
                condition=Q(expires_at__gt=models.F("created_at")),
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.used_at is None and self.withdrawn_at is None

    def is_usable(self, now=None) -> bool:
        return self.is_open and (now or timezone.now()) < self.expires_at
