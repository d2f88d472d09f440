"""factory_boy factories with realistic data: Chinese names, mainland mobiles, Guangdong
factories, workers from inland provinces."""

from datetime import date, time, timedelta

import factory as fb
from django.utils import timezone

from enrollment.models import (
    CONSENT_TEXT_VERSION,
    Adult,
    Child,
    Consent,
    Enrollment,
    Factory,
    Family,
    OpeningHours,
    PickupPermission,
    Room,
    Site,
    Term,
    Worker,
)
from enrollment.training.models import Course, TrainingSession
from ffs_portal.demo import names as demo_names
from ffs_portal.lib import pinyin
from ffs_portal.models import Role, User

# A hundred different names, ten family names by ten given names.
SURNAMES = demo_names.FAMILY_NAMES[:10]
GIVEN = demo_names.GIVEN_NAMES[:10]

TEST_PASSWORD = "correct-horse-battery-staple"


def chinese_name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)]


class FactoryFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = Factory
        django_get_or_create = ["code"]

    name = fb.Sequence(lambda n: f"东莞第{n}玩具厂")
    code = fb.Sequence(lambda n: f"dg-{n}")
    city = "东莞"
    province = "guangdong"


class SiteFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = Site
        skip_postgeneration_save = True

    factory = fb.SubFactory(FactoryFactory)
    name = fb.Sequence(lambda n: f"家庭友好空间{n}")
    kind = "ffs"
    capacity = 60
    min_age = 3
    max_age = 14

    @fb.post_generation
    def hours(self, create, extracted, **kwargs):
        if not create:
            return
        opens, closes = extracted or (time(7, 30), time(18, 0))
        OpeningHours.objects.bulk_create(
            OpeningHours(site=self, weekday=day, opens=opens, closes=closes) for day in range(7)
        )


class RoomFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = Room

    site = fb.SubFactory(SiteFactory)
    name = fb.Sequence(lambda n: f"第{n}组")
    min_age = 3
    max_age = 14


class TermFactory(fb.django.DjangoModelFactory):
    """A term running today, so that enrolment and the board have something to show."""

    class Meta:
        model = Term

    site = fb.SubFactory(SiteFactory)
    name = fb.Sequence(lambda n: f"2026年暑期{n}")
    starts_on = fb.LazyFunction(lambda: timezone.localdate() - timedelta(days=10))
    ends_on = fb.LazyFunction(lambda: timezone.localdate() + timedelta(days=40))


class FamilyFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = Family

    factory = fb.SubFactory(FactoryFactory)


class WorkerFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = Worker

    family = fb.SubFactory(FamilyFactory)
    factory = fb.SelfAttribute("family.factory")
    employee_no = fb.Sequence(lambda n: f"E{n:06d}")
    name = fb.Sequence(lambda n: chinese_name(n + 3))
    department = "装配一线"
    shift = "白班"
    mobile = fb.Sequence(lambda n: f"138{n:08d}")
    hukou_province = "sichuan"
    hire_date = date(2024, 3, 1)


class ChildFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = Child

    family = fb.SubFactory(FamilyFactory)
    name = fb.Sequence(chinese_name)
    name_initials = fb.LazyAttribute(lambda c: pinyin.initials(c.name))
    name_pinyin = fb.LazyAttribute(lambda c: pinyin.full_pinyin(c.name))
    sex = "f"
    date_of_birth = fb.LazyFunction(lambda: timezone.localdate() - timedelta(days=365 * 7))
    hukou_province = "sichuan"
    lives_with = "grandparents_village"


class AdultFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = Adult

    family = fb.SubFactory(FamilyFactory)
    name = fb.Sequence(lambda n: chinese_name(n + 5)[0] + "秀英" + str(n))
    relation = "grandmother"
    mobile = fb.Sequence(lambda n: f"139{n:08d}")
    is_guardian = True


class PickupPermissionFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = PickupPermission

    child = fb.SubFactory(ChildFactory)
    adult = fb.SubFactory(AdultFactory, family=fb.SelfAttribute("..child.family"))
    allowed = True


class ConsentFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = Consent

    child = fb.SubFactory(ChildFactory)
    given_by = "王建华"
    given_by_relation = "father"
    text_version = CONSENT_TEXT_VERSION
    covers_care = True
    covers_photos = True
    covers_reporting = True
    covers_health = True
    given_on = fb.LazyFunction(lambda: timezone.localdate() - timedelta(days=20))


class EnrollmentFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    child = fb.SubFactory(ChildFactory)
    term = fb.SubFactory(TermFactory, site__factory=fb.SelfAttribute("...child.family.factory"))
    status = "enrolled"


def tiny_jpeg(size=(8, 8), colour=(200, 80, 40)):
    from io import BytesIO

    from django.core.files.base import ContentFile
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return ContentFile(out.getvalue(), name="photo.jpg")


def tiny_png(size=(40, 12)) -> bytes:
    """A small drawing, as a signature on the tablet is sent."""
    from io import BytesIO

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", size, (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(2, 8), (20, 2), (38, 10)], fill=(17, 17, 17, 255), width=2)
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def enrolled_child(term: Term, **child_fields) -> Child:
    """A child of ``term``'s factory with a worker parent, consent and an enrolment."""
    family = FamilyFactory(factory=term.site.factory)
    WorkerFactory(family=family)
    child = ChildFactory(family=family, **child_fields)
    ConsentFactory(child=child)
    EnrollmentFactory(child=child, term=term)
    return child


class UserFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = fb.Sequence(lambda n: f"user{n}")
    first_name = "小红"
    last_name = "李"
    email = fb.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.CHILDCARE
    password = fb.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @fb.post_generation
    def sites(self, create, extracted, **kwargs):
        if create and extracted:
            self.sites.set(extracted)
        if create:
            self.save()

    @fb.post_generation
    def factories(self, create, extracted, **kwargs):
        if create and extracted:
            self.factories.set(extracted)


class CourseFactory(fb.django.DjangoModelFactory):
    class Meta:
        model = Course
        django_get_or_create = ["name"]

    name = fb.Sequence(lambda n: f"远程亲子沟通{n}")


class TrainingSessionFactory(fb.django.DjangoModelFactory):
    """A session a week from now, 19:00–20:30, with 30 places."""

    class Meta:
        model = TrainingSession

    factory = fb.SubFactory(FactoryFactory)
    course = fb.SubFactory(CourseFactory)
    starts_at = fb.LazyFunction(
        lambda: (
            timezone.localtime().replace(hour=19, minute=0, second=0, microsecond=0)
            + timedelta(days=7)
        )
    )
    ends_at = fb.LazyAttribute(lambda s: s.starts_at + timedelta(minutes=90))
    place = "二楼培训室"
    trainer = "刘老师"
    capacity = 30


def with_authenticator(user: User) -> User:
    """Give ``user`` a confirmed authenticator app, whose codes ``code_for`` reads."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return user


def code_for(user: User, *, fresh: bool = True) -> str:
    """The code ``user``'s authenticator app shows now. ``fresh`` lets a test type the code of
    the moment again (a code is refused once used, as on a real phone within 30 seconds)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    if fresh:
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
