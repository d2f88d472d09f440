import uuid
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Adult, Child, Site, Worker


class AttendanceStatus(models.TextChoices):
    EXPECTED = "expected", _("Expected")
    PRESENT = "present", _("Present")
    COLLECTED = "collected", _("Collected")
    ABSENT = "absent", _("Absent")


class AbsenceReason(models.TextChoices):
    ILL = "ill", _("Ill")
    WITH_FAMILY = "with_family", _("With family")
    UNKNOWN = "unknown", _("Unknown")
    # Said in advance by a parent on their page (请假).
    PARENT = "parent", _("Leave · reported by parent")

    @classmethod
    def carers_choices(cls) -> list:
        """The reasons a childcare worker marks; leave is the parents' to report."""
        return [(value, label) for value, label in cls.choices if value != cls.PARENT]


class HealthCard(models.TextChoices):
    """The card of the morning health check: green admitted, yellow admitted with a re-check
    at noon, red not admitted (the child is not counted present)."""

    GREEN = "green", _("Green card: admitted")
    YELLOW = "yellow", _("Yellow card: admitted, re-check at noon")
    RED = "red", _("Red card: not admitted")


def signature_path(instance, filename):
    return f"signatures/{uuid.uuid4().hex}.png"


class AttendanceRecord(models.Model):
    """One child's day at one site: expected → present → collected, or absent.

    A child without a record today is simply expected; the record is created by the first
    act of the day (a check-in or an absence)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="attendance")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="attendance")
    day = models.DateField(_("day"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AttendanceStatus.choices,
        default=AttendanceStatus.EXPECTED,
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who brought the child and who collected: a worker of the family or an allowed adult,
    # by reference, and by name so the record survives the family being edited.
    dropped_off_by_worker = models.ForeignKey(
        Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dropped_off_by_adult = models.ForeignKey(
        Adult, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dropped_off_by_name = models.CharField(_("dropped off by"), max_length=50, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    collected_by_worker = models.ForeignKey(
        Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    collected_by_adult = models.ForeignKey(
        Adult, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    collected_by_name = models.CharField(_("collected by"), max_length=50, blank=True)
    collected_by_relation = models.CharField(_("relation"), max_length=30, blank=True)
    # The collecting adult's pickup code was asked for and matched.
    pickup_code_checked = models.BooleanField(
        _("pickup code checked"), default=False, db_default=False
    )
    # The collecting adult's signature on the tablet, where the site asks for one.
    collector_signature = models.ImageField(
        _("signature"), upload_to=signature_path, blank=True, db_default=""
    )
    late = models.BooleanField(_("late pickup"), default=False)
    # The card of today's health check at arrival, when the site checks (the tile shows it).
    health_card = models.CharField(
        _("health card"),
        max_length=6,
        choices=HealthCard.choices,
        blank=True,
        default="",
        db_default="",
    )
    # Set when a child was never checked out and the day was closed the next time the child
    # was checked in (or by the nightly job): nobody recorded who collected them.
    closed_without_check_out = models.BooleanField(default=False)
    absence_reason = models.CharField(
        _("reason"), max_length=12, choices=AbsenceReason.choices, blank=True
    )
    absence_note = models.CharField(_("note"), max_length=200, blank=True)
    marked_absent_at = models.DateTimeField(null=True, blank=True)
    marked_absent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")
        ordering = ["day", "child__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "day", "site"], name="one_attendance_per_child_per_day_per_site"
            ),
            # A child is in one place at a time: at most one record is open (present).
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(status="present"),
                name="one_open_attendance_per_child",
            ),
            models.CheckConstraint(
                name="attendance_present_has_check_in",
                condition=~Q(status__in=["present", "collected"]) | Q(checked_in_at__isnull=False),
            ),
            models.CheckConstraint(
                name="attendance_collected_has_check_out",
                condition=~Q(status="collected") | Q(checked_out_at__isnull=False),
            ),
            # A red card is not admitted: the child cannot be present or collected that day.
            models.CheckConstraint(
                name="attendance_red_card_not_present",
                condition=~Q(health_card="red") | Q(status__in=["expected", "absent"]),
            ),
            models.CheckConstraint(
                name="attendance_absent_has_reason",
                condition=~Q(status="absent") | ~Q(absence_reason=""),
            ),
            models.CheckConstraint(
                name="attendance_one_collector",
                condition=Q(collected_by_worker__isnull=True) | Q(collected_by_adult__isnull=True),
            ),
            models.CheckConstraint(
                name="attendance_one_drop_off",
                condition=Q(dropped_off_by_worker__isnull=True)
                | Q(dropped_off_by_adult__isnull=True),
            ),
        ]
        indexes = [models.Index(fields=["site", "day", "status"])]

    def __str__(self):
        return f"{self.child} · {self.day} · {self.status}"


class RefusalReason(models.TextChoices):
    NOT_ALLOWED = "not_allowed", _("On the not-allowed list")
    EXPIRED = "expired", _("Permission not valid today")
    NOT_LISTED = "not_listed", _("Not on the list of adults who may collect")
    WRONG_CODE = "wrong_code", _("Wrong pickup code")


class RefusedPickup(models.Model):
    """Someone came for a child and was not given the child."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="refused_pickups")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="refused_pickups")
    attendance = models.ForeignKey(
        AttendanceRecord, null=True, on_delete=models.SET_NULL, related_name="refusals"
    )
    # The action key of the tablet's act that recorded it: a retry finds the refusal again.
    key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    day = models.DateField(_("day"))
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    adult = models.ForeignKey(
        Adult, null=True, blank=True, on_delete=models.SET_NULL, related_name="refusals"
    )
    name = models.CharField(_("name"), max_length=50, blank=True)
    relation = models.CharField(_("says they are"), max_length=50, blank=True)
    reason = models.CharField(_("reason"), max_length=12, choices=RefusalReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("refused pickup")
        verbose_name_plural = _("refused pickups")
        ordering = ["-at"]
        indexes = [models.Index(fields=["site", "day"])]

    def __str__(self):
        return f"{self.child} · {self.at:%Y-%m-%d %H:%M}"


class IncidentKind(models.TextChoices):
    INJURY = "injury", _("Injury")
    ILLNESS = "illness", _("Illness")
    BEHAVIOUR = "behaviour", _("Behaviour")


class InformedHow(models.TextChoices):
    PHONE = "phone", _("By phone")
    IN_PERSON = "in_person", _("In person")
    MESSAGE = "message", _("By message")


def new_key():
    return uuid.uuid4()


class IncidentQuerySet(models.QuerySet):
    def to_show(self, site, day):
        """The incidents a child's tile and sheet show at a site on a day: those of that day,
        and any the family has not acknowledged yet."""
        return self.filter(site=site).filter(
            Q(occurred_at__date=day) | Q(acknowledged_at__isnull=True)
        )


class Incident(models.Model):
    """An injury, illness or behaviour event during care."""

    key = models.UUIDField(default=new_key, unique=True, editable=False)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="incidents")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="incidents")
    kind = models.CharField(_("kind"), max_length=10, choices=IncidentKind.choices)
    occurred_at = models.DateTimeField(_("when"))
    description = models.TextField(_("what happened"))
    action_taken = models.TextField(_("first aid or action taken"))
    parent_informed_at = models.DateTimeField(_("parent informed at"), null=True, blank=True)
    parent_informed_by = models.CharField(_("informed by"), max_length=50, blank=True)
    parent_informed_how = models.CharField(
        _("how"), max_length=10, choices=InformedHow.choices, blank=True
    )
    reported_at = models.DateTimeField(default=timezone.now, editable=False)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_note = models.TextField(_("site lead's note"), blank=True)
    # The adult who collected the child was told and acknowledged it.
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by_name = models.CharField(_("acknowledged by"), max_length=50, blank=True)
    acknowledged_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["site", "-occurred_at"])]
        constraints = [
            models.CheckConstraint(
                name="incident_informed_by_whom",
                condition=Q(parent_informed_at__isnull=True) | ~Q(parent_informed_by=""),
            ),
            models.CheckConstraint(
                name="incident_acknowledged_by_whom",
                condition=Q(acknowledged_at__isnull=True) | ~Q(acknowledged_by_name=""),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.occurred_at:%Y-%m-%d %H:%M}"


class BoardChange(models.Model):
    """Which child's tile a board version changed: one row per child an act touched, or one
    row without a child when what changed is not known (then the whole board is sent). A
    refresh holding an older version is sent only the tiles of the children logged since, and
    only while every version since is logged (``selectors.board_changes``). Ids only: the log
    names no one, and a site's old rows are pruned as new ones come in."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()
    child = models.ForeignKey(Child, null=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["site", "seq"], name="boardchange_site_seq")]

    def __str__(self):
        return f"{self.site_id} #{self.seq} {self.child_id or '*'}"


class ActionKey(models.Model):
    """A board action already carried out, by the key the tablet sent with it: a double tap
    or a retried request with the same key does nothing the second time."""

    key = models.UUIDField(primary_key=True)
    action = models.CharField(max_length=30)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("action key")
        verbose_name_plural = _("action keys")

    def __str__(self):
        return f"{self.action} {self.key}"


class DigestStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SUBMITTING = "submitting", _("Handed to the mail server")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Nothing to report")
    FAILED = "failed", _("Failed, to retry")
    UNKNOWN = "unknown", _("Perhaps sent: the mail server did not answer")


class MailRunQuerySet(models.QuerySet):
    def abandoned_before_submission(self, now: datetime):
        """Runs claimed by a worker whose lease ran out before it handed the message to the
        mail server (it died or hung): nothing left, so sending them now sends them once."""
        return self.filter(status=DigestStatus.SENDING, lease_until__lt=now)

    def abandoned_in_submission(self, now: datetime):
        """Runs whose worker handed the message to the mail server and never heard back
        within its lease: whether it left is unknown, so they are never resent by
        themselves."""
        return self.filter(status=DigestStatus.SUBMITTING, lease_until__lt=now)

    def needing_attention(self):
        """Failed runs and runs that perhaps went out: someone should look at them."""
        return self.filter(status__in=[DigestStatus.FAILED, DigestStatus.UNKNOWN])


def _message_domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


class MailRun(models.Model):
    """One e-mail to one person, sent exactly once: the row is claimed with a lease before
    sending, moved to "submitting" just before the message goes to the mail server and
    marked sent after (attendance.digests.deliver_run). Two beat processes, a task
    delivered twice or a worker killed mid-send never send it twice."""

    status = models.CharField(
        _("status"), max_length=10, choices=DigestStatus.choices, default=DigestStatus.QUEUED
    )
    queued_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Until when the worker that claimed the run holds it; past it the next beat takes the
    # run back (status "sending") or calls it unknown (status "submitting").
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    objects = MailRunQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def message_id(self) -> str:
        """The same Message-ID for every attempt at this e-mail, so a mail server or client
        that sees it twice can tell it is one e-mail."""
        raise NotImplementedError


class DigestRun(MailRun):
    """One recipient's daily e-mail for one day."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_runs"
    )
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("daily e-mail")
        verbose_name_plural = _("daily e-mails")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="one_digest_per_day"),
            models.CheckConstraint(
                name="sent_digest_has_sent_at",
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.recipient} · {self.day} · {self.status}"

    @property
    def message_id(self) -> str:
        """One recipient's e-mail of one day."""
        return f"<daily-{self.recipient_id}-{self.day.isoformat()}@{_message_domain()}>"


class StillCheckedInAlert(models.Model):
    """Children were still checked in half an hour after closing: at most one alert per
    site and day, e-mailed once to each of its recipients (StillCheckedInDelivery)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="late_alerts")
    day = models.DateField(_("day"))
    children = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("still-checked-in alert")
        verbose_name_plural = _("still-checked-in alerts")
        constraints = [
            models.UniqueConstraint(fields=["site", "day"], name="one_late_alert_per_site_day"),
        ]

    def __str__(self):
        return f"{self.site} · {self.day}"


class StillCheckedInDelivery(MailRun):
    """One recipient's e-mail of a still-checked-in alert."""

    alert = models.ForeignKey(
        StillCheckedInAlert, on_delete=models.CASCADE, related_name="deliveries"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="late_alert_deliveries"
    )

    class Meta:
        verbose_name = _("still-checked-in alert e-mail")
        verbose_name_plural = _("still-checked-in alert e-mails")
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "recipient"], name="one_late_alert_email_per_recipient"
            ),
            models.CheckConstraint(
                name="sent_late_alert_has_sent_at",
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.alert} · {self.recipient} · {self.status}"

    @property
    def message_id(self) -> str:
        """One recipient's alert of a site's day."""
        return f"<still-here-{self.alert_id}-{self.recipient_id}@{_message_domain()}>"


class RollCallKind(models.TextChoices):
    DRILL = "drill", _("Drill")
    EMERGENCY = "emergency", _("Emergency")


class RollCall(models.Model):
    """An emergency roll call (or a drill): everyone in the space when it started, each to
    be accounted for."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="roll_calls")
    kind = models.CharField(_("kind"), max_length=10, choices=RollCallKind.choices)
    started_at = models.DateTimeField(_("started"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Every mark takes the next number: a tablet never shows an older state over a newer.
    seq = models.BigIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("roll call")
        verbose_name_plural = _("roll calls")
        ordering = ["-started_at"]
        constraints = [
            # A second roll call started while one is open joins it.
            models.UniqueConstraint(
                fields=["site"], condition=Q(ended_at__isnull=True), name="one_open_roll_call"
            ),
            models.CheckConstraint(
                name="roll_call_ends_after_it_starts",
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.started_at:%Y-%m-%d %H:%M}"


class RollCallEntry(models.Model):
    """One person to account for in a roll call: a child present or a staff member on duty
    when it started."""

    roll_call = models.ForeignKey(RollCall, on_delete=models.CASCADE, related_name="entries")
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child = models.ForeignKey(Child, null=True, on_delete=models.CASCADE, related_name="+")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+"
    )
    # As it was when the roll call started: the name and the room to look in.
    name = models.CharField(max_length=50)
    group = models.CharField(max_length=100, blank=True)
    accounted_at = models.DateTimeField(null=True, blank=True)
    accounted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("roll call entry")
        verbose_name_plural = _("roll call entries")
        ordering = ["group", "name"]
        constraints = [
            models.CheckConstraint(
                name="roll_call_entry_is_one_person",
                condition=Q(child__isnull=False, staff__isnull=True)
                | Q(child__isnull=True, staff__isnull=False),
            ),
            models.UniqueConstraint(fields=["roll_call", "child"], name="roll_call_child_once"),
            models.UniqueConstraint(fields=["roll_call", "staff"], name="roll_call_staff_once"),
        ]

    def __str__(self):
        return self.name


class PickupDelegate(models.Model):
    """An adult a parent named on their page to collect a child on one day: the tablet asks
    them for the one-time code the parent was given. The code is kept only as a hash and
    works once."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="delegates")
    day = models.DateField(_("day"))
    name = models.CharField(_("name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=30)
    mobile = models.CharField(_("mobile"), max_length=11)
    code_hash = models.CharField(max_length=128)
    named_by = models.ForeignKey(
        Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    named_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pickup delegate")
        verbose_name_plural = _("pickup delegates")
        constraints = [
            models.UniqueConstraint(fields=["child", "day"], name="one_delegate_per_child_per_day")
        ]

    def __str__(self):
        return f"{self.name} · {self.day}"
