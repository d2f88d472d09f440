"""Two sweeps every URL of the portal goes through, present and future:

(a) logged out, every method on every URL is sent to the login page, except the allowlist;
(b) every URL that names an object, requested by users of another factory, is a 404.
"""

from datetime import time

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from ffs_portal.models import Role
from staff.models import Shift
from tests.urlsweep import all_routes, build_url

METHODS = ["get", "post", "put", "patch", "delete", "head", "options"]

# Pages anyone may reach without signing in.
PUBLIC = {
    "healthz",
    "set_language",
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "two_factor_verify",  # the second step of signing in: a held sign-in, not a session
    "two_factor_setup",  # a coordinator's first sign-in sets up the app before the session
    "invitation",  # the invitation's link: its token is the invited person's own
    "invitation_accept",
    "admin:login",
    "admin:logout",
    "training:feedback",  # the kiosk questionnaire: its token is the attendee's own
    "outcomes:survey_kiosk",  # the parents' survey at pickup: its token is the family's own
    # A registered tablet's lock screen: its signed cookie is its key (attendance/tablet).
    "tablet:lock_screen",
    "tablet:unlock",
    "tablet:lock",
    "tablet:face",
    "tablet:sync",  # a registered tablet's offline acts: its cookie is its credential
    # The parents' page: its signed link names one guardian (ffs_portal/notices).
    "notices:today",
    "notices:absence",
    "notices:delegate",
    "notices:acknowledge",
    "notices:survey",
    "tablet:service_worker",  # the tablet app's code, the same for everyone: no data in it
}

# Sample values for URL arguments that do not name a factory's object (sweep a only).
ANONYMOUS_SAMPLES = {
    "uidb64": "MQ",
    "token": "set-password",
    "app_label": "ffs_portal",
    "model_name": "family",
    "object_id": "1",
    "content_type_id": 1,
    "url": "x",
}


def login_urls():
    return (reverse("login"), reverse("admin:login"))


def object_samples(world) -> dict:
    """URL argument name → a value naming an object of factory A."""
    child = world["child"]
    return {
        "family": child.family.key,
        "child": child.key,
        "factory": world["site"].factory_id,
        "site": world["site"].pk,
        "term": world["term"].pk,
        "enrollment": world["enrollment"].key,
        "worker": child.family.workers.get().pk,
        "adult": world["adult"].pk,
        "consent": child.consents.get().pk,
        "card_token": child.card_token,
        "session": world["session"].key,
        "person": world["person"].pk,
        "shift": world["shift"].pk,
        "course": world["course"].pk,
        "upload": world["upload"].token,
        "incident": world["incident"].key,
        "sponsor": world["sponsor"].pk,
        "sponsorship": world["sponsorship"].pk,
        "login": world["sponsor_login"].pk,
        "year": world["sponsorship"].year,
        "record": world["record"].pk,
        "roll_call": world["roll_call"].key,
        "entry": world["roll_call"].entries.get().key,
        "tablet": world["tablet"].key,
        "authorisation": world["authorisation"].key,
        "hold": world["hold"].pk,
        "data_incident": world["data_incident"].key,
    }


@pytest.fixture
def world(term_a, hr, sponsor_a):
    """A child of factory A with everything a URL can name: photo, grandmother, consent."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from attendance.health.models import MedicineAuthorisation
    from attendance.models import AttendanceRecord, Incident
    from enrollment.roster import uploads
    from tests import rosters
    from tests.factories import (
        AdultFactory,
        ChildFactory,
        EnrollmentFactory,
        PickupPermissionFactory,
        TrainingSessionFactory,
        UserFactory,
        enrolled_child,
        tiny_jpeg,
        tiny_png,
    )

    child = enrolled_child(term_a)
    # A sibling keeps the family in the term when a sweep withdraws the first child.
    EnrollmentFactory(child=ChildFactory(family=child.family), term=term_a)
    child.photo.save("child.jpg", tiny_jpeg())
    adult = AdultFactory(family=child.family)
    adult.photo.save("adult.jpg", tiny_jpeg())
    PickupPermissionFactory(child=child, adult=adult)
    session = TrainingSessionFactory(factory=term_a.site.factory)
    person = UserFactory(role="childcare", sites=[term_a.site])
    shift = Shift.objects.create(
        site=term_a.site, user=person, day=term_a.starts_on, starts=time(8), ends=time(12)
    )
    from attendance import services as attendance_services
    from attendance.tablet.models import Tablet
    from ffs_portal.retention.models import RetentionHold
    from staff import services as staff_services

    staff_services.profile_save(
        profile=staff_services.profile_for(person), by=None, photo=tiny_jpeg()
    )
    now = timezone.now()
    record = AttendanceRecord.objects.create(
        site=term_a.site, child=child, day=timezone.localdate(), status="present", checked_in_at=now
    )
    record.collector_signature.save("signature.png", ContentFile(tiny_png()))
    roll_call, _new = attendance_services.roll_call_start(site=term_a.site, kind="drill", by=None)
    incident = Incident.objects.create(
        site=term_a.site,
        child=child,
        kind="injury",
        occurred_at=now,
        description="擦伤",
        action_taken="贴创可贴",
    )
    from ffs_portal.compliance.models import DataIncident

    return {
        "data_incident": DataIncident.objects.create(
            factory=term_a.site.factory,
            found_on=term_a.starts_on,
            summary="名单发错了群",
            data_exposed="儿童姓名",
        ),
        "sponsor": sponsor_a,
        "sponsorship": sponsor_a.sponsorships.order_by("year").first(),
        "sponsor_login": UserFactory(role="sponsor", sponsor=sponsor_a),
        "person": person,
        "shift": shift,
        "session": session,
        "course": session.course,
        "child": child,
        "adult": adult,
        "site": term_a.site,
        "term": term_a,
        "enrollment": child.enrollments.get(),
        # A roster file factory A's HR uploaded and has not confirmed yet.
        "upload": uploads.save_upload(
            data=rosters.xlsx([rosters.row()]),
            name="roster.xlsx",
            user=hr,
            factory=term_a.site.factory,
        ),
        "incident": incident,
        "record": record,
        "roll_call": roll_call,
        "tablet": Tablet.objects.create(site=term_a.site, name="小班 平板"),
        "hold": RetentionHold.objects.create(
            child=child, incident=incident, reason="事故调查中", until=term_a.ends_on
        ),
        "authorisation": MedicineAuthorisation.objects.create(
            site=term_a.site,
            child=child,
            medicine="布洛芬",
            dose="5 ml",
            times=["12:00"],
            valid_from=term_a.starts_on,
            valid_to=term_a.ends_on,
            signed_by="王建国",
        ),
    }


@pytest.mark.django_db
def test_every_url_needs_a_login_except_the_public_ones(client, world):
    samples = {**ANONYMOUS_SAMPLES, **object_samples(world)}
    known = {route.name for route in all_routes()}
    assert known >= PUBLIC, f"stale names in PUBLIC: {PUBLIC - known}"
    checked = 0
    for route in all_routes():
        if route.name in PUBLIC:
            continue
        url = build_url(route, samples)
        for method in METHODS:
            response = getattr(client, method)(url)
            checked += 1
            if response.status_code in (401, 403):
                continue
            assert response.status_code == 302, f"{method.upper()} {url} → {response.status_code}"
            assert response["Location"].split("?")[0] in login_urls(), (
                f"{method.upper()} {url} redirects to {response['Location']}, not to a login page"
            )
    assert checked > len(METHODS) * 3


# Administrators see every factory by design; the admin site is theirs alone.
OBJECT_SWEEP_EXCLUDED_NAMESPACES = ("admin:",)
# Objects that belong to the whole program, not to one factory.
SHARED_ACROSS_FACTORIES = {"training:course_edit"}


def object_routes():
    return [
        route
        for route in all_routes()
        if route.kwarg_names
        and route.name not in PUBLIC
        and route.name not in SHARED_ACROSS_FACTORIES
        and not route.name.startswith(OBJECT_SWEEP_EXCLUDED_NAMESPACES)
    ]


# The sweep in this many parts, which the test workers share.
SWEEP_PARTS = 4


@pytest.mark.django_db
@pytest.mark.parametrize("part", range(SWEEP_PARTS))
def test_another_factorys_objects_are_not_found(world, insiders, outsiders, part):
    samples = object_samples(world)
    routes = object_routes()
    assert len(routes) >= SWEEP_PARTS, "fewer URLs name an object than the sweep has parts"
    # One signed-in client per person for the whole sweep: a sign-in inside a route's
    # transaction below would be undone with it.
    outside = {role: signed_in(user) for role, user in outsiders.items()}
    inside = {role: signed_in(user) for role, user in insiders.items()}
    for route in routes[part::SWEEP_PARTS]:
        # Each route starts from the same world: an insider's POST (a withdrawal, a
        # check-out) is rolled back before the next route.
        with transaction.atomic():
            check_route(route, build_url(route, samples), inside, outside)
            transaction.set_rollback(True)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def check_route(route, url, inside, outside):
    statuses = {role: request_status(client, url) for role, client in outside.items()}
    assert set(statuses.values()) <= {403, 404}, f"{route.name} {url}: {statuses}"
    assert 404 in statuses.values(), f"{route.name}: no outsider role reaches the view"
    # The same object is found by someone inside factory A: the 404 above was scoping.
    # One such insider is enough, so the others are not asked once one has found it.
    found = {}
    for role, client in inside.items():
        found[role] = request_status(client, url)
        if found[role] not in (403, 404):
            return
    raise AssertionError(f"{route.name} {url}: not found for insiders either: {found}")


def request_status(client, url) -> int:
    """GET the URL, or POST to it when it takes only POST."""
    status = client.get(url).status_code
    return client.post(url).status_code if status == 405 else status


def test_roles_are_all_covered_by_the_outsiders(outsiders):
    assert set(outsiders) == set(Role.values) - {Role.ADMIN}
