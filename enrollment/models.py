import secrets
import unicodedata
import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ffs_portal.lib import pinyin
from ffs_portal.lib.ages import age_on
from ffs_portal.validators import MOBILE_PATTERN, validate_mobile

MOBILE_MESSAGE = _("Enter a mainland mobile number: 11 digits starting with 1, e.g. 13812345678.")


class Province(models.TextChoices):
    BEIJING = "beijing", _("Beijing")
    TIANJIN = "tianjin", _("Tianjin")
    HEBEI = "hebei", _("Hebei")
    SHANXI = "shanxi", _("Shanxi")
    INNER_MONGOLIA = "inner_mongolia", _("Inner Mongolia")
    LIAONING = "liaoning", _("Liaoning")
    JILIN = "jilin", _("Jilin")
    HEILONGJIANG = "heilongjiang", _("Heilongjiang")
    SHANGHAI = "shanghai", _("Shanghai")
    JIANGSU = "jiangsu", _("Jiangsu")
    ZHEJIANG = "zhejiang", _("Zhejiang")
    ANHUI = "anhui", _("Anhui")
    FUJIAN = "fujian", _("Fujian")
    JIANGXI = "jiangxi", _("Jiangxi")
    SHANDONG = "shandong", _("Shandong")
    HENAN = "henan", _("Henan")
    HUBEI = "hubei", _("Hubei")
    HUNAN = "hunan", _("Hunan")
    GUANGDONG = "guangdong", _("Guangdong")
    GUANGXI = "guangxi", _("Guangxi")
    HAINAN = "hainan", _("Hainan")
    CHONGQING = "chongqing", _("Chongqing")
    SICHUAN = "sichuan", _("Sichuan")
    GUIZHOU = "guizhou", _("Guizhou")
    YUNNAN = "yunnan", _("Yunnan")
    TIBET = "tibet", _("Tibet")
    SHAANXI = "shaanxi", _("Shaanxi")
    GANSU = "gansu", _("Gansu")
    QINGHAI = "qinghai", _("Qinghai")
    NINGXIA = "ningxia", _("Ningxia")
    XINJIANG = "xinjiang", _("Xinjiang")
    HONG_KONG = "hong_kong", _("Hong Kong")
    MACAO = "macao", _("Macao")
    TAIWAN = "taiwan", _("Taiwan")


class Factory(models.Model):
    """A toy factory taking part in the program."""

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    city = models.CharField(_("city"), max_length=100)
    province = models.CharField(_("province"), max_length=20, choices=Province.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("factory")
        verbose_name_plural = _("factories")
        ordering = ["name"]

    def __str__(self):
        return self.name


AGE_RANGE_MESSAGE = _("The oldest age is below the youngest.")


class SiteKind(models.TextChoices):
    FFS = "ffs", _("Family-Friendly Space")
    ASC = "asc", _("After School Center")


class HealthCheckMode(models.TextChoices):
    """Whether a site's staff check each child's health at arrival (晨检)."""

    OFF = "off", _("No health check at arrival")
    OPTIONAL = "optional", _("Health check at arrival offered")
    REQUIRED = "required", _("Health check required before check-in")


class Site(models.Model):
    """One childcare space at a factory: a summer FFS or a year-round ASC."""

    factory = models.ForeignKey(
        Factory, verbose_name=_("factory"), on_delete=models.PROTECT, related_name="sites"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("program"), max_length=3, choices=SiteKind.choices)
    capacity = models.PositiveIntegerField(_("capacity"))
    min_age = models.PositiveSmallIntegerField(_("youngest age"), default=3)
    max_age = models.PositiveSmallIntegerField(_("oldest age"), default=14)
    address = models.CharField(_("where in the factory"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The version of what the site's tablet board shows: every act on the board (and every
    # clock-in or clock-out, which moves the ratio) takes the next number.
    board_seq = models.BigIntegerField(default=0, editable=False)
    # The shared tablets of the site (set by the site lead).
    tablet_lock_minutes = models.PositiveSmallIntegerField(
        _("lock the tablet after (minutes without a touch)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    # Parents are told when a child on the list has not arrived this long after their usual
    # time (notices: "not arrived").
    not_arrived_minutes = models.PositiveSmallIntegerField(
        _("tell the parents when a child has not arrived this many minutes after the usual time"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    pickup_code_required = models.BooleanField(
        _("ask for the pickup code at every hand-over"), default=False
    )
    pickup_signature = models.BooleanField(
        _("ask the collecting adult to sign on the tablet"), default=False
    )
    health_check = models.CharField(
        _("morning health check"),
        max_length=8,
        choices=HealthCheckMode.choices,
        default=HealthCheckMode.OFF,
        db_default=HealthCheckMode.OFF,
    )

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["factory__name", "name"]
        constraints = [
            models.CheckConstraint(
                name="site_capacity_positive",
                condition=Q(capacity__gt=0),
                violation_error_message=_("A site needs at least one place."),
            ),
            models.CheckConstraint(
                name="site_age_range",
                condition=Q(min_age__lte=F("max_age")),
                violation_error_message=AGE_RANGE_MESSAGE,
            ),
            models.CheckConstraint(
                name="site_tablet_lock_minutes",
                condition=Q(tablet_lock_minutes__gte=1, tablet_lock_minutes__lte=60),
                violation_error_message=_("The tablet locks after 1 to 60 minutes."),
            ),
        ]

    def __str__(self):
        return self.name

    def next_board_seq(self) -> int:
        """Give the board its next version and return it. The site's row stays locked until
        the transaction ends, so versions are handed out in the order the acts commit: a
        reader that sees version N sees every act up to N and none after."""
        table = connection.ops.quote_name(Site._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET board_seq = board_seq + 1 WHERE id = %s "  # noqa: S608
                "RETURNING board_seq",
                [self.pk],
            )
            (self.board_seq,) = cursor.fetchone()
        return self.board_seq


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """When a site is open on one weekday. A weekday without a row is a closed day."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "weekday"],
                name="one_opening_per_weekday",
                violation_error_message=_("This weekday already has opening hours."),
            ),
            models.CheckConstraint(
                name="opens_before_closes",
                condition=Q(opens__lt=F("closes")),
                violation_error_message=_("The site closes before it opens. Check both times."),
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Room(models.Model):
    """A room or age group inside a site; the tablet board groups children by it."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("name"), max_length=100)
    min_age = models.PositiveSmallIntegerField(_("youngest age"))
    max_age = models.PositiveSmallIntegerField(_("oldest age"))

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["min_age", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "name"],
                name="room_name_unique_in_site",
                violation_error_message=_(
                    "The site already has a room of this name. Choose another."
                ),
            ),
            models.CheckConstraint(
                name="room_age_range",
                condition=Q(min_age__lte=F("max_age")),
                violation_error_message=AGE_RANGE_MESSAGE,
            ),
        ]

    def __str__(self):
        return self.name


def running_on(day: date, through: str = "") -> Q:
    """The rule "a term is running that day" as a condition on terms (or, ``through``
    "term__", on what refers to one): begun, not ended, and that day not one of its closed
    days. ``Term.runs_on`` says the same for a day walked in Python."""
    return Q(**{f"{through}starts_on__lte": day, f"{through}ends_on__gte": day}) & ~Q(
        **{f"{through}closed_days__date": day}
    )


class TermQuerySet(models.QuerySet):
    def under_way(self, day: date):
        """Terms whose season includes the day, closed days or not (a summer is under way
        on a typhoon day)."""
        return self.filter(starts_on__lte=day, ends_on__gte=day)

    def running_on(self, day: date):
        """Terms running that day: under way, and the day not one of their closed days."""
        return self.filter(running_on(day))


class Term(models.Model):
    """A period a site runs: an FFS summer or an ASC school year."""

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="terms"
    )
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))

    objects = TermQuerySet.as_manager()

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                name="term_ends_after_it_starts",
                condition=Q(ends_on__gte=F("starts_on")),
                violation_error_message=_("The term ends before it starts. Check both dates."),
            ),
        ]

    def __str__(self):
        return self.name

    def runs_on(self, day: date, closed_days) -> bool:
        """``running_on`` for a day walked in Python, given the term's closed days."""
        return self.starts_on <= day <= self.ends_on and day not in closed_days

    def opens_on(self, day: date, closed_days, open_weekdays) -> bool:
        """Whether the term's children are expected that day, for a day walked in Python:
        running, at a site open that weekday (``Enrollment.objects.expected_on``'s days)."""
        return day.weekday() in open_weekdays and self.runs_on(day, closed_days)


class ClosedDay(models.Model):
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="closed_days")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["term", "date"],
                name="closed_day_once_per_term",
                violation_error_message=_("This day is already a closed day of the term."),
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.reason}"


def new_pickup_code() -> str:
    """Four digits the collecting adult tells the carer at the door (printed on the
    family's pickup card)."""
    return f"{secrets.randbelow(10_000):04d}"


PICKUP_CODE_PATTERN = r"^[0-9]{4}$"
PICKUP_CODE_MESSAGE = _("A pickup code is 4 digits, e.g. 0427.")


def new_key():
    return uuid.uuid4()


class Family(models.Model):
    """A household: one or two workers, their children and other adults."""

    factory = models.ForeignKey(
        Factory, verbose_name=_("factory"), on_delete=models.PROTECT, related_name="families"
    )
    # The opaque key used in URLs; neither names nor database ids appear there.
    key = models.UUIDField(default=new_key, unique=True, editable=False)
    hr_notes = models.TextField(_("HR notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("family")
        verbose_name_plural = _("families")
        indexes = [models.Index(fields=["factory", "-updated_at"])]

    def __str__(self):
        return str(self.key)

    def get_absolute_url(self):
        return reverse("enrollment:family_detail", kwargs={"family": self.key})


# "姓名" for a person, "名称" for a factory, a site or a term.
PERSON_NAME = pgettext_lazy("a person's", "name")


def normalise_employee_no(value) -> str:
    """An employee number as the factory means it: full-width characters as ordinary ones
    (ＸＨ００００１ is XH00001), no spaces or invisible characters, capital letters; the web
    form and the roster import both keep it this way."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    return "".join(
        ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf"
    ).upper()


class Worker(models.Model):
    """A factory employee, the parent."""

    factory = models.ForeignKey(
        Factory, verbose_name=_("factory"), on_delete=models.PROTECT, related_name="workers"
    )
    family = models.ForeignKey(
        Family, null=True, blank=True, on_delete=models.SET_NULL, related_name="workers"
    )
    employee_no = models.CharField(_("employee no."), max_length=30)
    name = models.CharField(PERSON_NAME, max_length=50)
    department = models.CharField(_("department / line"), max_length=100, blank=True)
    shift = models.CharField(_("shift"), max_length=50, blank=True)
    mobile = models.CharField(_("mobile"), max_length=11, validators=[validate_mobile])
    hukou_province = models.CharField(
        _("home province (hukou)"), max_length=20, choices=Province.choices, blank=True
    )
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    leave_date = models.DateField(_("leave date"), null=True, blank=True)
    pickup_code = models.CharField(_("pickup code"), max_length=4, default=new_pickup_code)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        ordering = ["name"]
        constraints = [
            # TL00001 and tl00001 are one worker: compared without regard to case.
            models.UniqueConstraint(
                "factory",
                Lower("employee_no"),
                name="employee_no_unique_in_factory",
                violation_error_message=_(
                    "This employee no. is already registered in this factory. Search for it "
                    "in the families, or check the number."
                ),
            ),
            models.CheckConstraint(
                name="worker_employee_no_given",
                condition=~Q(employee_no=""),
                violation_error_message=_("Type the employee number."),
            ),
            models.CheckConstraint(
                name="worker_mobile_format",
                condition=Q(mobile__regex=MOBILE_PATTERN),
                violation_error_message=MOBILE_MESSAGE,
            ),
            models.CheckConstraint(
                name="worker_pickup_code_format",
                condition=Q(pickup_code__regex=PICKUP_CODE_PATTERN),
                violation_error_message=PICKUP_CODE_MESSAGE,
            ),
            models.CheckConstraint(
                name="worker_leaves_after_hire",
                condition=Q(leave_date__isnull=True)
                | Q(hire_date__isnull=True)
                | Q(leave_date__gte=F("hire_date")),
                violation_error_message=_(
                    "The leave date is before the hire date. Check both dates."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.hire_date and self.hire_date > timezone.localdate():
            raise ValidationError(
                {
                    "hire_date": _(
                        "The hire date is in the future. Register the worker once they have "
                        "started, or check the year."
                    )
                }
            )


class Relation(models.TextChoices):
    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    GRANDMOTHER = "grandmother", _("Grandmother")
    GRANDFATHER = "grandfather", _("Grandfather")
    AUNT = "aunt", _("Aunt")
    UNCLE = "uncle", _("Uncle")
    SIBLING = "sibling", _("Adult sibling")
    RELATIVE = "relative", _("Other relative")
    NEIGHBOUR = "neighbour", _("Neighbour or family friend")
    OTHER = "other", _("Other")


def adult_photo_path(instance, filename):
    return f"adults/{secrets.token_hex(16)}.jpg"


def child_photo_path(instance, filename):
    return f"children/{secrets.token_hex(16)}.jpg"


class Adult(models.Model):
    """An adult in a child's life other than the family's workers: a grandparent, a relative,
    a neighbour, or someone who must not collect the child."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="adults")
    name = models.CharField(PERSON_NAME, max_length=50)
    relation = models.CharField(_("relation"), max_length=20, choices=Relation.choices)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True, validators=[validate_mobile])
    is_guardian = models.BooleanField(_("guardian"), default=False)
    photo = models.ImageField(_("photo"), upload_to=adult_photo_path, blank=True)
    pickup_code = models.CharField(_("pickup code"), max_length=4, default=new_pickup_code)

    class Meta:
        verbose_name = _("adult")
        verbose_name_plural = _("adults")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "name"],
                name="adult_name_unique_in_family",
                violation_error_message=_(
                    "An adult of this name is already listed in this family. Change that "
                    "adult instead, or tell the two apart in the name."
                ),
            ),
            models.CheckConstraint(
                name="adult_pickup_code_format",
                condition=Q(pickup_code__regex=PICKUP_CODE_PATTERN),
                violation_error_message=PICKUP_CODE_MESSAGE,
            ),
            models.CheckConstraint(
                name="adult_mobile_format",
                condition=Q(mobile="") | Q(mobile__regex=MOBILE_PATTERN),
                violation_error_message=MOBILE_MESSAGE,
            ),
        ]

    def __str__(self):
        return self.name


class Sex(models.TextChoices):
    GIRL = "f", _("Girl")
    BOY = "m", _("Boy")


class LivesWith(models.TextChoices):
    PARENTS = "parents", _("With the parents in the city")
    GRANDPARENTS_VILLAGE = "grandparents_village", _("With grandparents in the home village")
    RELATIVES_VILLAGE = "relatives_village", _("With other relatives in the home village")
    ALONE_OR_BOARDING = "boarding", _("At a boarding school or alone")
    OTHER = "other", _("Other")


def new_card_token():
    return secrets.token_urlsafe(16)


# Letters and digits nobody confuses when reading a printed card: no 0/O, 1/l/I/L.
CARD_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CARD_CODE_LENGTH = 6
CARD_CODE_PATTERN = rf"^[{CARD_CODE_ALPHABET}]{{{CARD_CODE_LENGTH}}}$"


def new_card_code() -> str:
    return "".join(secrets.choice(CARD_CODE_ALPHABET) for _ in range(CARD_CODE_LENGTH))


def normalise_card_code(value) -> str:
    """A card code as typed: any case, full-width, with spaces or a dash ("k7m-4qx")."""
    text = unicodedata.normalize("NFKC", str(value or "")).upper()
    return "".join(ch for ch in text if ch.isalnum())


def card_read(typed: str) -> Q:
    """The child whose card this is: the QR's token as read by the camera, or the short
    code printed under it as typed (any case, spaces or a dash between)."""
    typed = (typed or "").strip()
    code = normalise_card_code(typed)
    if len(code) == CARD_CODE_LENGTH:
        return Q(card_token=typed) | Q(card_code=code)
    return Q(card_token=typed)


def check_date_of_birth(born: date, today: date | None = None) -> None:
    """A child's date of birth: not in the future, not over 18 (a mistyped year)."""
    today = today or timezone.localdate()
    if born > today:
        raise ValidationError({"date_of_birth": _("The date of birth is in the future.")})
    if today.year - born.year > 18:
        raise ValidationError(
            {"date_of_birth": _("This child would be over 18. Check the year of birth.")}
        )


class Child(models.Model):
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="children")
    key = models.UUIDField(default=new_key, unique=True, editable=False)
    # What the QR code on the child's card holds; can be replaced if a card is lost.
    card_token = models.CharField(max_length=32, default=new_card_token, unique=True)
    # The short code printed under the QR, typed when the camera cannot read the card.
    card_code = models.CharField(max_length=CARD_CODE_LENGTH, default=new_card_code, unique=True)
    name = models.CharField(PERSON_NAME, max_length=50)
    # Pinyin initials and full pinyin, lower case, for search on the tablet (wxm → 王小明).
    name_initials = models.CharField(max_length=50, blank=True, editable=False)
    name_pinyin = models.CharField(max_length=200, blank=True, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    date_of_birth = models.DateField(_("date of birth"))
    hukou_province = models.CharField(
        _("hukou province"), max_length=20, choices=Province.choices, blank=True
    )
    lives_with = models.CharField(
        _("usually lives"), max_length=30, choices=LivesWith.choices, blank=True
    )
    school = models.CharField(_("school"), max_length=100, blank=True)
    grade = models.CharField(_("grade"), max_length=30, blank=True)
    arrival_date = models.DateField(_("arrives for the summer"), null=True, blank=True)
    departure_date = models.DateField(_("leaves after the summer"), null=True, blank=True)
    allergies = models.CharField(_("allergies"), max_length=300, blank=True)
    medical_notes = models.TextField(_("medical notes"), blank=True)
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=50, blank=True)
    emergency_contact_mobile = models.CharField(
        _("emergency contact mobile"), max_length=11, blank=True, validators=[validate_mobile]
    )
    photo = models.ImageField(_("photo"), upload_to=child_photo_path, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    # When the child's personal information was anonymised (the retention period ran out, or
    # the guardian asked): the row stays for the figures, nothing in it names the child.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["date_of_birth"]
        constraints = [
            models.CheckConstraint(
                name="child_leaves_after_arrival",
                condition=Q(departure_date__isnull=True)
                | Q(arrival_date__isnull=True)
                | Q(departure_date__gte=F("arrival_date")),
                violation_error_message=_("The child leaves before arriving. Check both dates."),
            ),
            models.CheckConstraint(
                name="child_emergency_mobile_format",
                condition=Q(emergency_contact_mobile="")
                | Q(emergency_contact_mobile__regex=MOBILE_PATTERN),
                violation_error_message=MOBILE_MESSAGE,
            ),
            models.CheckConstraint(
                name="child_card_code_format",
                condition=Q(card_code__regex=CARD_CODE_PATTERN),
                violation_error_message=_("A card code has 6 letters and digits."),
            ),
        ]

    def __str__(self):
        return self.name

    def index_name(self) -> None:
        """Keep the pinyin the tablet searches by (wxm → 王小明) in step with the name. A
        search key, cut to its field: a long name must not fail on a field nobody sees."""
        self.name_initials = pinyin.initials(self.name)[: Child.name_initials.field.max_length]
        self.name_pinyin = pinyin.full_pinyin(self.name)[: Child.name_pinyin.field.max_length]

    def age_on(self, day: date) -> int:
        return age_on(self.date_of_birth, day)


class PickupPermission(models.Model):
    """Whether an adult may collect a child. One row per child and adult, so nobody can be
    on both the allowed and the not-allowed list."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="pickups")
    adult = models.ForeignKey(Adult, on_delete=models.CASCADE, related_name="pickups")
    allowed = models.BooleanField(_("may collect"), default=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("pickup permission")
        verbose_name_plural = _("pickup permissions")
        constraints = [
            models.UniqueConstraint(
                fields=["child", "adult"],
                name="one_pickup_rule_per_adult",
                violation_error_message=_(
                    "This adult already has a rule for this child. Change that rule instead."
                ),
            ),
            models.CheckConstraint(
                name="pickup_valid_range",
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=F("valid_from")),
                violation_error_message=_("The end date is before the start date."),
            ),
        ]

    def __str__(self):
        return f"{self.adult} → {self.child}"

    def is_valid_on(self, day: date) -> bool:
        return (
            self.allowed
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_to is None or day <= self.valid_to)
        )


CONSENT_TEXT_VERSION = "2026-2"


class ConsentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(withdrawn_at__isnull=True)

    def to_sponsor_reports(self):
        """Consents, not withdrawn, that let a child count in the aggregated figures of
        sponsors' reports."""
        return self.active().filter(covers_reporting=True)


# The messages a family may choose not to receive (notices.NoticeKind values); the safety
# messages (a refused pickup, a child not arrived or not collected, a delegate's code) go out.
CHOOSABLE_MESSAGES = [
    ("arrived", _("When the child arrives")),
    ("collected", _("Who collected the child, and when")),
    ("incident", _("Incidents")),
    ("announcement", _("Announcements from the space")),
    ("training", _("Invitations to parent training")),
]
# Off unless the family asks for them: a message every morning is too many for most.
MUTED_BY_DEFAULT = ["arrived"]


def muted_by_default() -> list[str]:
    return list(MUTED_BY_DEFAULT)


class Consent(models.Model):
    """A guardian's separate consent to process a child's personal information (PIPL)."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="consents")
    given_by = models.CharField(_("given by"), max_length=50)
    given_by_relation = models.CharField(_("relation"), max_length=20, choices=Relation.choices)
    text_version = models.CharField(_("consent text version"), max_length=20)
    covers_care = models.BooleanField(_("care in the space"), default=True)
    covers_photos = models.BooleanField(_("photos"), default=False)
    covers_reporting = models.BooleanField(_("aggregated reporting to sponsors"), default=False)
    # Messages to the family's guardians about the child's day (SMS, WeCom).
    covers_messages = models.BooleanField(
        _("messages to the parents"), default=False, db_default=False
    )
    # Health data (PIPL Art. 28) is a separate item: without it the morning check records the
    # card only, never a temperature, a sign or a note.
    covers_health = models.BooleanField(
        _("health data at the morning check"), default=False, db_default=False
    )
    # The family's preferences, versioned with the consent: the kinds of message they do not
    # want (notices.NoticeKind values; the safety messages cannot be turned off) and quiet
    # hours (local time; may run past midnight) when only the safety messages go out.
    muted_messages = models.JSONField(
        _("messages not wanted"), default=muted_by_default, blank=True
    )
    quiet_from = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_until = models.TimeField(_("quiet until"), null=True, blank=True)
    given_on = models.DateField(_("signed on"))
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_active_consent_per_child",
                violation_error_message=_(
                    "This child already has a consent on file. Open the family page to see it."
                ),
            ),
            models.CheckConstraint(
                name="consent_quiet_hours_both_or_neither",
                condition=Q(quiet_from__isnull=True, quiet_until__isnull=True)
                | Q(quiet_from__isnull=False, quiet_until__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.child} · {self.text_version}"

    @property
    def is_active(self):
        return self.withdrawn_at is None


class EnrollmentStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    ENROLLED = "enrolled", _("Enrolled")
    WAITLISTED = "waitlisted", _("Waitlisted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    COMPLETED = "completed", _("Completed")


ACTIVE_ENROLLMENT_STATUSES = [
    EnrollmentStatus.APPLIED,
    EnrollmentStatus.ENROLLED,
    EnrollmentStatus.WAITLISTED,
]


class EnrollmentQuerySet(models.QuerySet):
    def expected_on(self, day: date):
        """Enrolments that put a child on a site's list that day: enrolled in a term running
        that day, at a site open that weekday. (attendance/board_sql.py says the same in
        SQL for the check-in's hot path.)"""
        return (
            self.filter(status=EnrollmentStatus.ENROLLED)
            .filter(running_on(day, through="term__"))
            .filter(
                Exists(
                    OpeningHours.objects.filter(site=OuterRef("term__site"), weekday=day.weekday())
                )
            )
        )

    def expected_at(self, site, day: date):
        """``expected_on`` at one site."""
        return self.expected_on(day).filter(term__site=site)


class Enrollment(models.Model):
    """A child's place in a term at a site."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="enrollments")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="enrollments")
    status = models.CharField(
        _("status"), max_length=12, choices=EnrollmentStatus.choices, default="applied"
    )
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.SET_NULL)
    # Waitlist order: first come, first offered.
    applied_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    key = models.UUIDField(default=new_key, unique=True, editable=False)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["applied_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "term"],
                condition=Q(status__in=["applied", "enrolled", "waitlisted"]),
                name="one_active_enrollment_per_child_per_term",
                violation_error_message=_(
                    "This child already has a place or a waitlist entry in this term."
                ),
            ),
        ]
        indexes = [models.Index(fields=["term", "status"])]

    def __str__(self):
        return f"{self.child} · {self.term}"
