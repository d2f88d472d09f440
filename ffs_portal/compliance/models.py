"""Data incidents (PIPL Art. 57): a breach of children's or families' personal information,
what it exposed, who was told and when, and what was done."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Factory


class DataIncident(models.Model):
    """A breach of personal information, as a coordinator records it."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Empty: the breach touched several factories or the whole program.
    factory = models.ForeignKey(
        Factory,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="data_incidents",
        verbose_name=_("factory"),
    )
    found_on = models.DateField(_("found on"))
    summary = models.CharField(_("what happened"), max_length=300)
    data_exposed = models.TextField(_("which data was exposed"))
    children_affected = models.PositiveIntegerField(_("children affected"), default=0)
    families_affected = models.PositiveIntegerField(_("families affected"), default=0)
    authority = models.CharField(_("authority told"), max_length=200, blank=True)
    authority_told_on = models.DateField(_("authority told on"), null=True, blank=True)
    families_told_on = models.DateField(_("families told on"), null=True, blank=True)
    families_told_how = models.CharField(
        _("how the families were told"), max_length=200, blank=True
    )
    actions_taken = models.TextField(_("what was done"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("data incident")
        verbose_name_plural = _("data incidents")
        ordering = ["-found_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="data_incident_authority_told_after_found",
                condition=Q(authority_told_on__isnull=True)
                | Q(authority_told_on__gte=F("found_on")),
                violation_error_message=_(
                    "The authority cannot have been told before the incident was found."
                ),
            ),
            models.CheckConstraint(
                name="data_incident_families_told_after_found",
                condition=Q(families_told_on__isnull=True) | Q(families_told_on__gte=F("found_on")),
                violation_error_message=_(
                    "The families cannot have been told before the incident was found."
                ),
            ),
            models.CheckConstraint(
                name="data_incident_closed_after_found",
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("found_on")),
                violation_error_message=_("An incident cannot be closed before it was found."),
            ),
            models.CheckConstraint(
                name="data_incident_authority_named",
                condition=Q(authority_told_on__isnull=True) | ~Q(authority=""),
                violation_error_message=_("Say which authority was told."),
            ),
        ]

    def __str__(self):
        return f"{self.found_on} {self.summary}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None
