"""What the program achieves and for whom: program years, sponsors, parents' satisfaction,
and the per-site-per-day figures the dashboards read."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrollment.models import Factory, Family, Site, SiteKind, Term

FIRST_PROGRAM_YEAR = 2000
LAST_PROGRAM_YEAR = 2100
DUPLICATE_SPONSOR = _("A sponsor with this name exists already: open it from the list.")


class Sponsor(models.Model):
    """A company that pays for spaces at some factories (e.g. a toy brand or a testing firm)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("sponsor")
        verbose_name_plural = _("sponsors")
        ordering = ["name"]

    def __str__(self):
        return self.name


def _year_range(field: str) -> Q:
    return Q(**{f"{field}__gte": FIRST_PROGRAM_YEAR, f"{field}__lte": LAST_PROGRAM_YEAR})


class Sponsorship(models.Model):
    """A sponsor pays for one program at one factory in one year."""

    sponsor = models.ForeignKey(
        Sponsor, verbose_name=_("sponsor"), on_delete=models.CASCADE, related_name="sponsorships"
    )
    factory = models.ForeignKey(
        Factory, verbose_name=_("factory"), on_delete=models.CASCADE, related_name="sponsorships"
    )
    program = models.CharField(_("program"), max_length=3, choices=SiteKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))

    class Meta:
        verbose_name = _("sponsorship")
        verbose_name_plural = _("sponsorships")
        ordering = ["-year", "factory__name", "program"]
        constraints = [
            models.UniqueConstraint(
                fields=["sponsor", "factory", "program", "year"], name="one_sponsorship_per_year"
            ),
            models.CheckConstraint(name="sponsorship_year_range", condition=_year_range("year")),
        ]

    def __str__(self):
        return f"{self.sponsor} · {self.factory} · {self.get_program_display()} {self.year}"


class Support(models.TextChoices):
    IETP = "ietp", _("IETP-supported")
    SELF_RUN = "self_run", _("Self-run")


class ProgramYear(models.Model):
    """How a factory runs a program in a year. Whether it ran at all, and whether it was new
    or returning, comes from its terms; this row records what the terms cannot say."""

    factory = models.ForeignKey(
        Factory, verbose_name=_("factory"), on_delete=models.CASCADE, related_name="program_years"
    )
    program = models.CharField(_("program"), max_length=3, choices=SiteKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    support = models.CharField(_("support"), max_length=10, choices=Support.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("program year")
        verbose_name_plural = _("program years")
        ordering = ["-year", "factory__name", "program"]
        constraints = [
            models.UniqueConstraint(
                fields=["factory", "program", "year"], name="one_program_year_per_factory"
            ),
            models.CheckConstraint(name="program_year_range", condition=_year_range("year")),
        ]

    def __str__(self):
        return f"{self.factory} · {self.get_program_display()} {self.year}"


class SurveyMethod(models.TextChoices):
    KIOSK = "kiosk", _("On the tablet at pickup")
    PAPER = "paper", _("On paper, typed in by HR")
    PARENT_PAGE = "parent", _("On the parent's page")


def new_survey_token():
    return secrets.token_urlsafe(16)


# The questions of the parents' survey, each answered from 1 (not at all) to 5 (very much).
SURVEY_QUESTIONS = ("safe", "enjoyed", "informed", "work", "overall")
# A family is satisfied when it answers the overall question with 4 or 5.
SATISFIED_FROM = 4


class ParentSurvey(models.Model):
    """A family's answers about a term, given once: on the tablet at pickup (no login; the
    link holds the token) or on paper, typed in by HR. Unanswered until ``answered_at``."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="surveys")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="surveys")
    token = models.CharField(max_length=32, default=new_survey_token, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(max_length=10, choices=SurveyMethod.choices, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    safe = models.PositiveSmallIntegerField(
        _("My child was safe and well looked after"), null=True, blank=True
    )
    enjoyed = models.PositiveSmallIntegerField(
        _("My child liked coming to the space"), null=True, blank=True
    )
    informed = models.PositiveSmallIntegerField(
        _("The staff kept me informed about my child"), null=True, blank=True
    )
    work = models.PositiveSmallIntegerField(
        _("The space made it easier for me to work"), null=True, blank=True
    )
    overall = models.PositiveSmallIntegerField(
        _("Overall, I am satisfied with the space"), null=True, blank=True
    )
    comment = models.TextField(_("comment"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("parents' survey")
        verbose_name_plural = _("parents' surveys")
        constraints = [
            models.UniqueConstraint(fields=["family", "term"], name="one_survey_per_family_term"),
            models.CheckConstraint(
                name="survey_answered_completely",
                condition=Q(
                    answered_at__isnull=True,
                    safe__isnull=True,
                    enjoyed__isnull=True,
                    informed__isnull=True,
                    work__isnull=True,
                    overall__isnull=True,
                )
                | (
                    Q(answered_at__isnull=False)
                    & ~Q(method="")
                    & Q(safe__gte=1, safe__lte=5)
                    & Q(enjoyed__gte=1, enjoyed__lte=5)
                    & Q(informed__gte=1, informed__lte=5)
                    & Q(work__gte=1, work__lte=5)
                    & Q(overall__gte=1, overall__lte=5)
                ),
            ),
        ]
        indexes = [models.Index(fields=["term", "answered_at"])]

    def __str__(self):
        return f"{self.term} · {self.family}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def satisfied(self) -> bool | None:
        return None if self.overall is None else self.overall >= SATISFIED_FROM


class SiteDay(models.Model):
    """One site's figures for one past day, so that dashboards read a few thousand rows
    instead of millions of attendance records. Written by ``outcomes.site_days.rebuild``
    (nightly for recent days); today's figures are always counted live.

    ``expected`` counts the children on the site's list that day (enrolled in a term running
    that day, the site open) and any other child with a record that day. Every expected
    child is attended, absent (by reason) or unrecorded."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    expected = models.PositiveIntegerField(default=0)
    attended = models.PositiveIntegerField(default=0)
    absent_ill = models.PositiveIntegerField(default=0)
    absent_family = models.PositiveIntegerField(default=0)
    absent_unknown = models.PositiveIntegerField(default=0)
    unrecorded = models.PositiveIntegerField(default=0)
    late_pickups = models.PositiveIntegerField(default=0)
    # Still checked in when the day was closed: nobody recorded who collected them.
    not_checked_out = models.PositiveIntegerField(default=0)
    incidents = models.PositiveIntegerField(default=0)
    refused_pickups = models.PositiveIntegerField(default=0)
    minutes_over_ratio = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("site day")
        verbose_name_plural = _("site days")
        constraints = [
            models.UniqueConstraint(fields=["site", "day"], name="one_site_day"),
            models.CheckConstraint(
                name="site_day_adds_up",
                condition=Q(
                    expected=F("attended")
                    + F("absent_ill")
                    + F("absent_family")
                    + F("absent_unknown")
                    + F("unrecorded")
                ),
            ),
        ]
        indexes = [models.Index(fields=["day", "site"])]

    def __str__(self):
        return f"{self.site} · {self.day}: {self.attended}/{self.expected}"

    @property
    def absent(self) -> int:
        return self.absent_ill + self.absent_family + self.absent_unknown
