from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HR = "hr", _("Factory HR")
    CHILDCARE = "childcare", _("Childcare worker")
    SITE_LEAD = "site_lead", _("Site lead")
    COORDINATOR = "coordinator", _("Program coordinator")
    ADMIN = "admin", _("Administrator")
    SPONSOR = "sponsor", _("Sponsor")


class User(AbstractUser):
    """A person who signs in. What they may see is decided in ffs_portal.access."""

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

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
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
    # Names of fields changed and similar facts; never the values of sensitive fields.
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["family", "-at"]),
            models.Index(fields=["child", "-at"]),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
