"""Hostile query strings and forms on every URL of the portal, by someone who may reach it:
the answer is a page, a redirect or a refusal, never a server error. On PostgreSQL in CI
(where a NUL in a query string used to reach the database and fail)."""

import pytest
from django.db import transaction
from django.test import Client

from tests.test_sweeps import (
    ANONYMOUS_SAMPLES,
    METHODS,
    PUBLIC,
    object_samples,
    world,  # noqa: F401 - the fixture
)
from tests.urlsweep import all_routes, build_url

# The names the portal's views read from a query string or a form.
PARAMETERS = [
    "q",
    "next",
    "v",
    "day",
    "month",
    "term",
    "program",
    "factory",
    "province",
    "year",
    "format",
    "page",
    "person",
    "worker",
    "attendance",
    "token",
    "child",
    "collector",
    "dropped_off_by",
    "reason",
    "adult",
    "name",
    "relation",
    "note",
    "idem",
    "language",
    "action",
    "site",
    "status",
    "sort",
    "secret",
    "pin",
    "kind",
    "occurred",
    "informed",
    "description",
    "action_taken",
    "informed_by",
    "informed_how",
    "acknowledged",
    "method",
    "employee_no",
    "mobile",
    "date_of_birth",
    "starts_on",
    "ends_on",
    "capacity",
    "family",
    "week",
    "table",
    "signature",
    "role",
    "review",
    "pickup_code",
    "lead_pin",
    "lead",
    "form",
    "export",
    "all",
    "active",
    "act",
    "accounted",
]
HOSTILE = [
    "abc\x00def",
    "abc",
    "-99999999999999999999999",
    "２０２６-１３-４５ ../../etc/passwd <svg onload=alert(1)>'\"; DROP TABLE x; --" + "𠮷" * 300,
]
# The sweep in this many parts, which the test workers share.
PARTS = 4
# Someone who may reach nearly every page (the admin site excepted).
EVERY_ROUTE = [r for r in all_routes() if not r.name.startswith("admin:")]


def server_errors(client, url, method) -> list[str]:
    errors = []
    for value in HOSTILE:
        data = dict.fromkeys(PARAMETERS, value)
        response = client.get(url, data) if method == "get" else client.post(url, data)
        if response.status_code >= 500:
            errors.append(f"{method.upper()} {url} with {value[:20]!r} → {response.status_code}")
    return errors


@pytest.mark.django_db
@pytest.mark.parametrize("part", range(PARTS))
def test_no_hostile_input_gives_a_server_error(world, administrator, part):  # noqa: F811
    samples = {**ANONYMOUS_SAMPLES, **object_samples(world), **kiosk_samples(world)}
    errors = []
    clients = {}
    for user in (administrator, None):
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        clients[user] = client
    for route in EVERY_ROUTE[part::PARTS]:
        url = build_url(route, samples)
        for user in [None, administrator] if route.name in PUBLIC else [administrator]:
            for method in ("get", "post"):
                # Each route starts from the same world: a POST that did something is undone.
                with transaction.atomic():
                    errors += server_errors(clients[user], url, method)
                    transaction.set_rollback(True)
    assert errors == [], "\n".join(errors)


def kiosk_samples(things) -> dict:
    """The tokens of the pages that need no login: a family's survey, a worker's feedback."""
    from enrollment.training.models import SessionAttendance
    from ffs_portal.outcomes import services as outcome_services

    child = things["child"]
    survey = outcome_services.survey_for(family=child.family, term=things["term"])
    attendance = SessionAttendance.objects.create(
        session=things["session"], worker=child.family.workers.get()
    )
    return {"survey": survey.token, "token": attendance.feedback_token}


def test_a_nul_anywhere_is_a_bad_request(client, hr):
    client.force_login(hr)
    assert client.get("/families/", {"q": "王\x00"}).status_code == 400
    assert client.get("/families/%00/").status_code in (400, 404)
    assert client.post("/language/", {"language": "en\x00"}).status_code == 400


def test_the_methods_swept_are_those_of_the_access_sweep():
    assert {"get", "post"} <= set(METHODS)
