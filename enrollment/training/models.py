import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Course(models.Model):
    """A topic in the training catalogue, e.g. remote parenting."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["name"]

    def __str__(self):
        return self.name


class TrainingSession(models.Model):
    """One session of a course at a factory."""

    factory = models.ForeignKey(
        "enrollment.Factory",
        verbose_name=_("factory"),
        on_delete=models.PROTECT,
        related_name="training_sessions",
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="sessions"
    )
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200)
    trainer = models.CharField(_("trainer"), max_length=100)
    capacity = models.PositiveIntegerField(_("capacity"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(name="session_capacity_positive", condition=Q(capacity__gt=0)),
            models.CheckConstraint(
                name="session_ends_after_it_starts", condition=Q(ends_at__gt=F("starts_at"))
            ),
        ]
        indexes = [models.Index(fields=["factory", "starts_at"])]

    def __str__(self):
        return f"{self.course} · {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def is_past(self):
        return self.ends_at < timezone.now()


class Invitation(models.Model):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="invitations"
    )
    worker = models.ForeignKey(
        "enrollment.Worker", on_delete=models.CASCADE, related_name="training_invitations"
    )
    invited_at = models.DateTimeField(default=timezone.now)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(fields=["session", "worker"], name="one_invitation_per_worker"),
        ]

    def __str__(self):
        return f"{self.worker} → {self.session}"


class SignInMethod(models.TextChoices):
    TABLET = "tablet", _("Signed in on the tablet")
    LIST = "list", _("Ticked on the list by HR")


def new_feedback_token():
    return secrets.token_urlsafe(16)


class SessionAttendance(models.Model):
    """A worker who came to a session (invited or walk-in)."""

    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendances"
    )
    worker = models.ForeignKey(
        "enrollment.Worker", on_delete=models.CASCADE, related_name="training_attendances"
    )
    signed_in_at = models.DateTimeField(default=timezone.now)
    signed_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(max_length=10, choices=SignInMethod.choices)
    walk_in = models.BooleanField(_("walk-in"), default=False)
    # Lets this attendee, and only this attendee, answer the feedback questions once.
    feedback_token = models.CharField(max_length=32, default=new_feedback_token, unique=True)

    class Meta:
        verbose_name = _("session attendance")
        verbose_name_plural = _("session attendances")
        constraints = [
            models.UniqueConstraint(fields=["session", "worker"], name="one_sign_in_per_worker"),
        ]

    def __str__(self):
        return f"{self.worker} @ {self.session}"


class SessionFeedback(models.Model):
    """An attendee's answers: three questions on a 5-point scale and a comment."""

    attendance = models.OneToOneField(
        SessionAttendance, on_delete=models.CASCADE, related_name="feedback"
    )
    usefulness = models.PositiveSmallIntegerField(_("The session was useful to me"))
    clarity = models.PositiveSmallIntegerField(_("The trainer explained things clearly"))
    will_apply = models.PositiveSmallIntegerField(_("I will use what I learned with my children"))
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("session feedback")
        verbose_name_plural = _("session feedback")
        constraints = [
            models.CheckConstraint(
                name="feedback_scores_1_to_5",
                condition=Q(usefulness__gte=1, usefulness__lte=5)
                & Q(clarity__gte=1, clarity__lte=5)
                & Q(will_apply__gte=1, will_apply__lte=5),
            ),
        ]

    def __str__(self):
        return f"{self.attendance}: {self.average:.1f}"

    @property
    def average(self):
        return (self.usefulness + self.clarity + self.will_apply) / 3
