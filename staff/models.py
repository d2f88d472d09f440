import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Site


class StaffProfileQuerySet(models.QuerySet):
    def taking_pins(self):
        """Profiles whose PIN opens anything on a tablet (see ``StaffProfile.takes_pin``)."""
        return self.filter(user__is_active=True).exclude(pin="")


def staff_photo_path(instance, filename):
    return f"staff/{uuid.uuid4().hex}.jpg"


class StaffProfile(models.Model):
    """What the portal knows of a person who works in the spaces, beyond their login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    mobile = models.CharField(_("mobile"), max_length=11, blank=True)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    # A short PIN to clock in and out on the shared tablet; stored as a password hash.
    pin = models.CharField(max_length=128, blank=True)
    pin_failures = models.PositiveSmallIntegerField(default=0)
    pin_locked_until = models.DateTimeField(null=True, blank=True)
    # Shown on the tablet's lock screen, so a worker finds their own face to unlock it.
    photo = models.ImageField(_("photo"), upload_to=staff_photo_path, blank=True)

    objects = StaffProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self):
        return str(self.user)

    @property
    def takes_pin(self) -> bool:
        """Whether this person's PIN opens anything on a tablet (the duty clock, a kiosk's
        exit, unlocking the board): only while their account is on. Switching an account
        off stops its PIN at once, wherever it is typed."""
        return self.user.is_active and bool(self.pin)


class QualificationKind(models.TextChoices):
    FIRST_AID = "first_aid", _("First aid")
    CHILD_PROTECTION = "child_protection", _("Child-protection training")
    BACKGROUND_CHECK = "background_check", _("Background check")
    PROGRAM_TRAINING = "program_training", _("Program training")


class Qualification(models.Model):
    """A qualification of a staff member; a renewal replaces the dates."""

    profile = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="qualifications"
    )
    kind = models.CharField(_("qualification"), max_length=20, choices=QualificationKind.choices)
    obtained_on = models.DateField(_("obtained on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "kind"], name="one_qualification_per_kind"),
            models.CheckConstraint(
                name="qualification_expires_after_obtained",
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=F("obtained_on")),
            ),
        ]

    def __str__(self):
        return f"{self.profile} · {self.get_kind_display()}"

    def is_valid_on(self, day) -> bool:
        return self.obtained_on <= day and (self.expires_on is None or day <= self.expires_on)


class Shift(models.Model):
    """A planned shift on the rota: who should be in the space, when."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="shifts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shifts"
    )
    day = models.DateField(_("day"))
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["day", "starts"]
        constraints = [
            models.CheckConstraint(
                name="shift_ends_after_it_starts", condition=Q(ends__gt=F("starts"))
            ),
        ]
        indexes = [models.Index(fields=["site", "day"])]

    def __str__(self):
        return f"{self.user} · {self.day} {self.starts:%H:%M}–{self.ends:%H:%M}"


class DutyPeriod(models.Model):
    """Real time on duty, from a clock-in on the tablet to the clock-out."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="duty_periods")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="duty_periods"
    )
    clock_in_at = models.DateTimeField(_("clocked in"))
    clock_out_at = models.DateTimeField(_("clocked out"), null=True, blank=True)
    # A site lead let someone with a lapsed child-protection qualification clock in.
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    override_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("duty period")
        verbose_name_plural = _("duty periods")
        ordering = ["-clock_in_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(clock_out_at__isnull=True),
                name="one_open_duty_per_person",
            ),
            models.CheckConstraint(
                name="clock_out_after_clock_in",
                condition=Q(clock_out_at__isnull=True) | Q(clock_out_at__gt=F("clock_in_at")),
            ),
        ]
        indexes = [models.Index(fields=["site", "clock_in_at"])]

    def __str__(self):
        return f"{self.user} · {self.clock_in_at:%Y-%m-%d %H:%M}"


class RatioRule(models.Model):
    """How many children of an age band one adult may look after at a site."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="ratio_rules")
    min_age = models.PositiveSmallIntegerField(_("from age"))
    max_age = models.PositiveSmallIntegerField(_("to age"))
    children_per_adult = models.PositiveSmallIntegerField(_("children per adult"))

    class Meta:
        verbose_name = _("ratio rule")
        verbose_name_plural = _("ratio rules")
        ordering = ["min_age"]
        constraints = [
            models.UniqueConstraint(fields=["site", "min_age"], name="one_ratio_rule_per_band"),
            models.CheckConstraint(
                name="ratio_rule_positive", condition=Q(children_per_adult__gt=0)
            ),
            models.CheckConstraint(
                name="ratio_rule_age_band", condition=Q(min_age__lte=F("max_age"))
            ),
        ]

    def __str__(self):
        return f"{self.min_age}–{self.max_age}: 1/{self.children_per_adult}"


class RatioDay(models.Model):
    """Minutes a site spent over its ratio on a day, for digests and dashboards."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="ratio_days")
    day = models.DateField()
    minutes_over = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("minutes over ratio")
        verbose_name_plural = _("minutes over ratio")
        constraints = [
            models.UniqueConstraint(fields=["site", "day"], name="one_ratio_day_per_site"),
        ]

    def __str__(self):
        return f"{self.site} · {self.day}: {self.minutes_over}"
