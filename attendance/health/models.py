import secrets
import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from attendance.models import HealthCard
from enrollment.models import Child, Site

# A temperature from this up is a fever: flagged, and never a green card.
FEVER = Decimal("37.3")
LOWEST = Decimal("34")
# A dose may be given this long before or after the time the parent wrote down.
DOSE_WINDOW = timedelta(minutes=60)
# The tablet reminds of a dose from this long before its time until its window is over.
DUE_AHEAD = timedelta(minutes=15)
HIGHEST = Decimal("43")

# What the staff may tick at the check; settings.HEALTH_CHECK_SIGNS picks and orders them
# for the program.
SIGN_LABELS = {
    "fever": _("Fever"),
    "rash": _("Rash"),
    "blisters": _("Blisters on hands or mouth"),
    "red_eyes": _("Red eyes"),
    "cough": _("Cough"),
    "diarrhoea": _("Diarrhoea"),
    "injury": _("Injury on arrival"),
}


def sign_choices() -> list[tuple[str, str]]:
    """The signs this program checks for, in its order."""
    return [(code, SIGN_LABELS.get(code, code)) for code in settings.HEALTH_CHECK_SIGNS]


def sign_label(code: str) -> str:
    return str(SIGN_LABELS.get(code, code))


class CheckKind(models.TextChoices):
    ARRIVAL = "arrival", _("At arrival")
    NOON = "noon", _("Noon re-check")


class HealthCheck(models.Model):
    """One look at a child's health: at arrival (the card decides admission) or at noon for a
    child who had a yellow card."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="health_checks")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="health_checks")
    day = models.DateField(_("day"))
    kind = models.CharField(_("check"), max_length=8, choices=CheckKind.choices)
    at = models.DateTimeField(_("at"))
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    signs = models.JSONField(_("signs"), default=list, blank=True)
    card = models.CharField(_("card"), max_length=6, choices=HealthCard.choices)
    # An injury seen at the door happened before the child came: recorded as such.
    injury_on_arrival = models.BooleanField(_("injury on arrival"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("health check")
        verbose_name_plural = _("health checks")
        ordering = ["-day", "at"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "day", "kind"], name="one_health_check_a_kind"
            ),
            models.CheckConstraint(
                name="health_check_temperature_range",
                condition=Q(temperature__isnull=True)
                | Q(temperature__gte=LOWEST, temperature__lte=HIGHEST),
                violation_error_message=_("The temperature must be between 34 and 43 °C."),
            ),
            models.CheckConstraint(
                name="health_check_fever_not_green",
                condition=Q(temperature__isnull=True)
                | Q(temperature__lt=FEVER)
                | ~Q(card=HealthCard.GREEN),
            ),
        ]
        indexes = [models.Index(fields=["site", "day"])]

    def __str__(self):
        return f"{self.child} · {self.day} · {self.card}"

    @property
    def fever(self) -> bool:
        return self.temperature is not None and self.temperature >= FEVER

    def sign_labels(self) -> list[str]:
        return [sign_label(code) for code in self.signs]


def medicine_photo_path(instance, filename):
    return f"medicines/{secrets.token_hex(16)}.jpg"


class MedicineAuthorisation(models.Model):
    """A parent's signed permission to give a medicine they handed in."""

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="medicines")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="medicines")
    medicine = models.CharField(_("medicine"), max_length=100)
    dose = models.CharField(_("dose"), max_length=100)
    # Times of day "HH:MM", in order.
    times = models.JSONField(_("times"), default=list)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("to"))
    signed_by = models.CharField(_("signed by"), max_length=50)
    # A photo of the box the parent handed in (served only through an access-checked view).
    box_photo = models.ImageField(_("photo of the box"), upload_to=medicine_photo_path, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("medicine authorisation")
        verbose_name_plural = _("medicine authorisations")
        ordering = ["-valid_from", "medicine"]
        constraints = [
            models.CheckConstraint(
                name="medicine_dates_in_order", condition=Q(valid_to__gte=F("valid_from"))
            ),
            models.CheckConstraint(name="medicine_signed", condition=~Q(signed_by="")),
        ]

    def __str__(self):
        return f"{self.medicine} · {self.dose}"


class MedicineDose(models.Model):
    """A dose given: never without an authorisation (the foreign key is required)."""

    authorisation = models.ForeignKey(
        MedicineAuthorisation, on_delete=models.PROTECT, related_name="doses"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField(_("given at"))
    due = models.CharField(_("due at"), max_length=5)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("witness"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("dose given")
        verbose_name_plural = _("doses given")
        ordering = ["given_at"]
        constraints = [
            models.CheckConstraint(
                name="medicine_dose_witnessed_by_another", condition=~Q(witness=F("given_by"))
            ),
        ]

    def __str__(self):
        return f"{self.authorisation} · {self.given_at:%Y-%m-%d %H:%M}"


class OutbreakAlert(models.Model):
    """Several children of one site showed the same sign within a few days: the site lead and
    the coordinators were told, once."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="outbreak_alerts")
    sign = models.CharField(_("sign"), max_length=20)
    day = models.DateField(_("day"))
    children = models.PositiveIntegerField(_("children"))
    rooms = models.CharField(_("rooms"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("outbreak alert")
        verbose_name_plural = _("outbreak alerts")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["site", "sign", "day"], name="one_outbreak_alert_a_day")
        ]

    def __str__(self):
        return f"{self.site} · {self.sign} · {self.day}"

    @property
    def sign_label(self) -> str:
        return sign_label(self.sign)
