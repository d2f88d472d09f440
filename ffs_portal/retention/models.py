"""How long children's personal information is kept, and the record of what was anonymised.

A child's data is kept while the child has a term that is not over, and for a period after
the last one ends (a policy per program, 12 months unless set otherwise). After it, the
nightly run anonymises the child; a hold (an incident under review) keeps a child's data a
while longer."""

import calendar
from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Child, Enrollment, SiteKind

DEFAULT_MONTHS = 12


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day where it is shorter)."""
    month = day.month - 1 - months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class RetentionPolicy(models.Model):
    """How many months a program keeps a child's data after the child's last term ends."""

    program = models.CharField(_("program"), max_length=3, choices=SiteKind.choices, unique=True)
    months = models.PositiveSmallIntegerField(
        _("months kept after the last term"),
        default=DEFAULT_MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")
        ordering = ["program"]
        constraints = [
            models.CheckConstraint(
                name="retention_months_range",
                condition=Q(months__gte=1, months__lte=120),
                violation_error_message=_("Keep the data between 1 and 120 months."),
            ),
        ]

    def __str__(self):
        return f"{self.get_program_display()}: {self.months}"


def policy_months() -> dict[str, int]:
    """Months kept after the last term, per program (the default where none is set)."""
    months = dict.fromkeys(SiteKind.values, DEFAULT_MONTHS)
    months.update(RetentionPolicy.objects.values_list("program", "months"))
    return months


class HoldQuerySet(models.QuerySet):
    def active_on(self, day: date):
        """Holds keeping a child's data that day: not lifted, not yet ended."""
        return self.filter(lifted_at__isnull=True, until__gte=day)


class RetentionHold(models.Model):
    """Keep one child's data past its retention period, with a reason and an end date: an
    incident under review, or a request from the authorities."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="retention_holds")
    # The incident under review that the hold is for, when it is for one.
    incident = models.ForeignKey(
        "attendance.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="retention_holds",
    )
    reason = models.CharField(_("reason"), max_length=300)
    until = models.DateField(_("keep until"))
    placed_at = models.DateTimeField(default=timezone.now, editable=False)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = HoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("retention hold")
        verbose_name_plural = _("retention holds")
        ordering = ["until"]
        constraints = [
            models.CheckConstraint(
                name="retention_hold_has_reason",
                condition=~Q(reason=""),
                violation_error_message=_("Say why the data must be kept."),
            ),
        ]

    def __str__(self):
        return f"{self.child.key} · {self.until}"


class ChildRetentionQuerySet(models.QuerySet):
    def due_on(self, day: date):
        """Children whose data is due for anonymisation that day: not anonymised yet, and
        every term they were ever enrolled in (any status) ended at least their program's
        months before. A child never enrolled is kept as long as the longest policy from
        registration. Holds do not change who is due; the run skips held children."""
        months = policy_months()
        recent = Q(pk__in=[])
        for program, kept in months.items():
            recent |= Q(term__site__kind=program, term__ends_on__gt=months_before(day, kept))
        enrolled = Enrollment.objects.filter(child=OuterRef("pk"))
        never_enrolled_cutoff = months_before(day, max(months.values()))
        return self.filter(anonymised_at__isnull=True).filter(
            (Exists(enrolled) & ~Exists(enrolled.filter(recent)))
            | (~Exists(enrolled) & Q(created_at__date__lte=never_enrolled_cutoff))
        )

    def held_on(self, day: date):
        """Children with a hold in force that day."""
        return self.filter(
            Exists(RetentionHold.objects.active_on(day).filter(child=OuterRef("pk")))
        )


class ChildOnFile(Child):
    """A child seen by the retention rules (``ChildOnFile.objects.due_on(day)``)."""

    objects = ChildRetentionQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        proxy = True
        verbose_name = _("child on file")
        verbose_name_plural = _("children on file")


class RunTrigger(models.TextChoices):
    NIGHTLY = "nightly", _("Nightly run")
    REQUEST = "request", _("On request")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed, to retry")


class RetentionRun(models.Model):
    """One anonymisation run and its report: the nightly one (one per day, claimed with a
    conditional UPDATE so two beats never both run it), or one child on request."""

    day = models.DateField(_("day"))
    trigger = models.CharField(_("run"), max_length=10, choices=RunTrigger.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Until when the process that claimed the run holds it; past it a later call may take it.
    lease_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    children = models.PositiveIntegerField(_("children anonymised"), default=0)
    families = models.PositiveIntegerField(_("families anonymised"), default=0)
    held = models.PositiveIntegerField(_("children on hold"), default=0)
    failed = models.PositiveIntegerField(_("children that failed"), default=0)
    # Per factory id: {"children": n, "families": n, "held": n}; and the keys of the
    # children held or failed. Never a name.
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("anonymisation run")
        verbose_name_plural = _("anonymisation runs")
        ordering = ["-day", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["day"],
                condition=Q(trigger="nightly"),
                name="one_nightly_retention_run_per_day",
            ),
            models.CheckConstraint(
                name="retention_request_has_reason",
                condition=Q(trigger="nightly") | ~Q(reason=""),
            ),
        ]

    def __str__(self):
        return f"{self.day} · {self.trigger} · {self.status}"
