import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Child, Site


class Tablet(models.Model):
    """A browser a site lead made into one of the site's shared tablets. It carries a signed
    cookie naming ``key``; revoking the tablet makes that cookie worthless at once."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="tablets"
    )
    name = models.CharField(_("name"), max_length=50)
    registered_at = models.DateTimeField(default=timezone.now, editable=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("tablet")
        verbose_name_plural = _("tablets")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "name"],
                condition=Q(revoked_at__isnull=True),
                name="tablet_name_unique_in_site",
            ),
        ]

    def __str__(self):
        return self.name


class OfflineActKind(models.TextChoices):
    CHECK_IN = "check_in", _("Check-in")
    CHECK_OUT = "check_out", _("Check-out")
    REFUSAL = "refusal", _("Refused pickup")
    ABSENCE = "absence", _("Absence")
    INCIDENT = "incident", _("Incident note")
    ROLL_CALL_MARK = "roll_call_mark", _("Roll call mark")


class OfflineOutcome(models.TextChoices):
    APPLIED = "applied", _("Applied")
    DONE = "done", _("Already done")
    CONFLICT = "conflict", _("Conflict")
    REFUSED = "refused", _("Refused")


class OfflineAct(models.Model):
    """An act a tablet made while it could not reach the portal, as it arrived later: when it
    happened on the tablet, when it arrived, and what became of it. Those a person must look
    at (a conflict, a hand-over against the lists, a tablet whose clock is wrong) wait on the
    site lead's list until reviewed."""

    key = models.UUIDField(unique=True)
    tablet = models.ForeignKey(Tablet, on_delete=models.PROTECT, related_name="offline_acts")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="offline_acts")
    child = models.ForeignKey(
        Child, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("act"), max_length=20, choices=OfflineActKind.choices)
    # What the tablet's clock said, and that time corrected by how far the clock was off.
    device_time = models.DateTimeField()
    happened_at = models.DateTimeField(_("happened at"))
    arrived_at = models.DateTimeField(_("arrived at"), default=timezone.now)
    skew_seconds = models.IntegerField(default=0)
    outcome = models.CharField(_("outcome"), max_length=10, choices=OfflineOutcome.choices)
    message = models.CharField(_("what happened"), max_length=300, blank=True)
    needs_review = models.BooleanField(default=False)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("act made offline")
        verbose_name_plural = _("acts made offline")
        ordering = ["-happened_at"]
        indexes = [models.Index(fields=["site", "needs_review", "reviewed_at"])]

    def __str__(self):
        return f"{self.kind} · {self.happened_at:%Y-%m-%d %H:%M}"
