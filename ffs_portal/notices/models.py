import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Child, Family, Site, Worker


class NoticeKind(models.TextChoices):
    ARRIVED = "arrived", _("Child arrived")
    COLLECTED = "collected", _("Child collected")
    PICKUP_REFUSED = "pickup_refused", _("Pickup refused")
    INCIDENT = "incident", _("Incident recorded")
    DELEGATE_CODE = "delegate_code", _("Pickup code for a delegate")
    NOT_COLLECTED = "not_collected", _("Not collected after closing")
    NOT_ARRIVED = "not_arrived", _("Not arrived after the usual time")
    ANNOUNCEMENT = "announcement", _("Announcement to all families")
    TRAINING = "training", _("Invitation to parent training")
    HEALTH_RED_CARD = "health_red_card", _("Not admitted after the health check")


class Channel(models.TextChoices):
    FILE = "file", _("Message file")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom")


class NoticeStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Not sent")


class SuppressedReason(models.TextChoices):
    NO_CONSENT = "no_consent", _("no consent to messages")
    NOT_CHOSEN = "not_chosen", _("the family did not choose this message")
    QUIET_HOURS = "quiet_hours", _("quiet hours")


# Messages a family cannot turn off or hold back in quiet hours: someone must act now.
SAFETY_KINDS = frozenset(
    {"pickup_refused", "not_collected", "not_arrived", "delegate_code", "health_red_card"}
)
# Messages written only for a family that will get them: "arrived" goes out for every child
# every morning, so a family that did not choose it gets no row at all (not one per day).
WRITTEN_ONLY_WHEN_SENT = frozenset({"arrived"})


class Notice(models.Model):
    """One message about one event to one recipient: the outbox row, written in the
    transaction of the act that causes it. Claimed before sending (only a queued or failed
    notice can be claimed) and marked sent after, so it goes out at most once."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # What happened, e.g. "collected:<record>": with the recipient, the notice's identity.
    event = models.CharField(max_length=80)
    kind = models.CharField(_("event"), max_length=20, choices=NoticeKind.choices)
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="notices")
    # The space where it happened: its lead's list of messages.
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="notices"
    )
    child = models.ForeignKey(
        Child, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    # A guardian of the family; empty for someone the parent named (a pickup delegate).
    guardian = models.ForeignKey(
        Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="notices"
    )
    mobile = models.CharField(_("mobile"), max_length=11)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.QUEUED
    )
    suppressed_reason = models.CharField(
        _("why not sent"), max_length=12, choices=SuppressedReason.choices, blank=True
    )
    # The template's parameters, in its order (what an SMS template is filled with).
    params = models.JSONField(default=list)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(default=timezone.now)
    handed_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "guardian"],
                condition=Q(guardian__isnull=False),
                name="one_notice_per_event_and_guardian",
            ),
            models.UniqueConstraint(
                fields=["event", "mobile"],
                condition=Q(guardian__isnull=True),
                name="one_notice_per_event_and_number",
            ),
            models.CheckConstraint(
                name="sent_notice_has_sent_at",
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["site", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.event} · {self.mobile} · {self.status}"


class ParentLink(models.Model):
    """The stored half of a guardian's link to their page: the link carries this key, signed;
    revoking the row ends every link made with it."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    guardian = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="parent_links")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("parent's link")
        verbose_name_plural = _("parents' links")
        constraints = [
            models.UniqueConstraint(
                fields=["guardian"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_link_per_guardian",
            ),
        ]

    def __str__(self):
        return str(self.key)
