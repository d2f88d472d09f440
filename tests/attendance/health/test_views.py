"""The health check on the board, the site's health page and the medicines, for each role,
with another factory's objects and bad input."""

import re
import socket
import uuid
from datetime import datetime, time, timedelta
from time import monotonic

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.health import services
from attendance.health.models import HealthCheck, MedicineDose
from attendance.models import AttendanceRecord, AttendanceStatus
from enrollment.models import HealthCheckMode
from ffs_portal.models import AuditEntry, Role
from tests.factories import UserFactory, enrolled_child

pytestmark = pytest.mark.django_db


def at(hour, minute=0):
    return timezone.make_aware(datetime.combine(timezone.localdate(), time(hour, minute)))


@pytest.fixture(autouse=True)
def morning(monkeypatch):
    monkeypatch.setattr("ffs_portal.lib.clock.now", lambda: at(8))


@pytest.fixture
def checking(site_a, term_a, site_b):
    for site in (site_a, site_b):
        site.health_check = HealthCheckMode.REQUIRED
        site.save()
    return site_a


@pytest.fixture
def child(checking, term_a):
    return enrolled_child(term_a, name="王小明")


@pytest.fixture
def theirs(term_b):
    return enrolled_child(term_b, name="陈欣怡")


def health_url(name, site, child):
    return reverse(f"health:{name}", kwargs={"site": site.pk, "child": child.key})


def post_check(client, site, child, **data):
    return client.post(
        health_url("health_check", site, child),
        {"idem": str(uuid.uuid4()), **data},
        HTTP_HX_REQUEST="true",
    )


def test_a_green_check_checks_in_and_the_tile_shows_the_card(client, carer, checking, child):
    client.force_login(carer)
    response = post_check(client, checking, child, temperature="36.5", card="green")
    assert response.status_code == 200
    body = response.content.decode()
    assert "hc-green" in body and f"t-{child.key}" in body
    assert AttendanceRecord.objects.get(child=child).status == AttendanceStatus.PRESENT


def test_a_red_check_keeps_the_child_out_and_says_whom_to_call(client, carer, checking, child):
    client.force_login(carer)
    response = post_check(client, checking, child, card="red", signs=["fever"], temperature="38.4")
    body = response.content.decode()
    assert "hc-red" in body
    assert "打电话让家长" in body
    assert AttendanceRecord.objects.get(child=child).status == AttendanceStatus.EXPECTED
    # The sheet shows the red card and no way to check in.
    sheet = client.get(
        reverse("attendance:child_sheet", kwargs={"site": checking.pk, "child": child.key})
    )
    assert b"health:health_check" not in sheet.content
    assert (
        reverse("attendance:check_in", kwargs={"site": checking.pk, "child": child.key}).encode()
        not in sheet.content
    )


@pytest.mark.parametrize("value", ["33", "43.5", "abc", "NaN"])
def test_a_temperature_outside_34_to_43_is_refused_in_chinese(
    client, carer, checking, child, value
):
    client.force_login(carer)
    response = post_check(
        client, checking, child, temperature=value, card="yellow", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    body = response.content.decode()
    assert "体温" in body
    assert ("例如 36.6" if value == "abc" else "34 到 43") in body
    assert not AttendanceRecord.objects.filter(child=child).exists()
    assert not HealthCheck.objects.exists()


def test_the_sheet_offers_the_check_and_where_required_no_plain_check_in(
    client, carer, checking, child
):
    client.force_login(carer)
    sheet = client.get(
        reverse("attendance:child_sheet", kwargs={"site": checking.pk, "child": child.key})
    )
    assert health_url("health_check", checking, child).encode() in sheet.content
    assert (
        reverse("attendance:check_in", kwargs={"site": checking.pk, "child": child.key}).encode()
        not in sheet.content
    )


def test_another_factorys_child_and_site_are_not_found(client, carer, checking, theirs, site_b):
    client.force_login(carer)
    assert post_check(client, site_b, theirs, card="green").status_code == 404
    assert post_check(client, checking, theirs, card="green").status_code == 404
    assert client.get(reverse("health:site_health", kwargs={"site": site_b.pk})).status_code == 404
    assert client.get(health_url("child_medicines", checking, theirs)).status_code == 404


def seen_today(site, child, by):
    services.record_arrival_check(
        site=site, child=child, by=by, card="yellow", signs=["blisters"], temperature=None
    )


@pytest.mark.parametrize("role", [Role.CHILDCARE, Role.SITE_LEAD])
def test_the_sites_staff_see_the_details(client, insiders, checking, child, role):
    seen_today(checking, child, insiders[Role.CHILDCARE])
    client.force_login(insiders[role])
    page = client.get(reverse("health:site_health", kwargs={"site": checking.pk}))
    assert page.status_code == 200
    assert "王小明" in page.content.decode()
    assert AuditEntry.objects.filter(action="health.viewed", child=child).exists()


@pytest.mark.parametrize("role", [Role.HR, Role.COORDINATOR])
def test_hr_and_coordinators_see_counts_only(client, insiders, checking, child, role):
    seen_today(checking, child, insiders[Role.CHILDCARE])
    client.force_login(insiders[role])
    page = client.get(reverse("health:site_health", kwargs={"site": checking.pk}))
    assert page.status_code == 200
    body = page.content.decode()
    assert "王小明" not in body
    assert page.context["page"].days[0].signs["blisters"] == 1
    assert page.context["page"].checks == []


def test_sponsors_see_nothing(client, sponsor_user, checking, child, carer):
    seen_today(checking, child, carer)
    client.force_login(sponsor_user)
    assert (
        client.get(reverse("health:site_health", kwargs={"site": checking.pk})).status_code == 403
    )


def test_hr_and_coordinators_cannot_open_a_childs_check_or_medicines(
    client, hr, coordinator, checking, child
):
    for user in (hr, coordinator):
        client.force_login(user)
        assert post_check(client, checking, child, card="green").status_code == 403
        assert client.get(health_url("child_medicines", checking, child)).status_code == 403


def test_medicines_are_authorised_and_given_with_a_witness(client, carer, checking, child):
    witness = UserFactory(username="witness", role=Role.CHILDCARE, sites=[checking])
    client.force_login(carer)
    today = timezone.localdate()
    response = client.post(
        health_url("child_medicines", checking, child),
        {
            "medicine": "布洛芬",
            "dose": "5 ml",
            "times": "08:00，12:00",
            "valid_from": today,
            "valid_to": today + timedelta(days=2),
            "signed_by": "王建国",
        },
    )
    assert response.status_code == 302
    authorisation = child.medicines.get()
    assert authorisation.times == ["08:00", "12:00"]
    give = reverse(
        "health:give_dose", kwargs={"site": checking.pk, "authorisation": authorisation.key}
    )
    assert client.post(give, {"witness": witness.pk}).status_code == 302
    assert MedicineDose.objects.get().witness == witness
    # Without a witness: refused, nothing recorded.
    client.post(give, {})
    assert MedicineDose.objects.count() == 1


def test_an_outbreak_alert_shows_on_the_coordinators_dashboard_without_names(
    client, coordinator, outsiders, checking, child
):
    from attendance.health.models import OutbreakAlert

    OutbreakAlert.objects.create(
        site=checking, sign="blisters", day=timezone.localdate(), children=3, rooms="幼儿组"
    )
    client.force_login(coordinator)
    body = client.get(reverse("attendance:dashboard")).content.decode()
    assert "手口疱疹" in body and "幼儿组" in body and "王小明" not in body
    client.force_login(outsiders[Role.COORDINATOR])
    assert "手口疱疹" not in client.get(reverse("attendance:dashboard")).content.decode()


@pytest.mark.parametrize("role", [Role.SITE_LEAD, Role.COORDINATOR])
def test_the_health_page_reads_as_many_queries_for_many_children(
    client, insiders, checking, term_a, django_assert_max_num_queries, role
):
    carer = insiders[Role.CHILDCARE]
    client.force_login(insiders[role])
    page = reverse("health:site_health", kwargs={"site": checking.pk})

    def morning(n):
        for _n in range(n):
            seen_today(checking, enrolled_child(term_a), carer)

    morning(2)
    with django_assert_max_num_queries(40) as few:
        assert client.get(page).status_code == 200
    morning(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(page).status_code == 200


def test_the_day_sheet_prints_the_cards(client, site_lead, checking, child):
    seen_today(checking, child, site_lead)
    client.force_login(site_lead)
    sheet = client.get(reverse("attendance:day_sheet", kwargs={"site": checking.pk}))
    body = sheet.content.decode()
    assert "hc-yellow" in body
    assert "晨检 1 人" in body and "绿卡 0" in body and "黄卡 1" in body


def test_without_consent_to_health_data_the_check_records_the_card_only(
    client, carer, checking, child
):
    child.consents.update(covers_health=False)
    client.force_login(carer)
    sheet = client.get(
        reverse("attendance:child_sheet", kwargs={"site": checking.pk, "child": child.key}),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    assert 'name="temperature"' not in sheet and 'name="signs"' not in sheet
    assert "只记录卡片" in sheet
    # A form from before the consent changed: the details are refused, nothing is saved.
    refused = post_check(
        client, checking, child, card="yellow", temperature="37.5", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert "没有同意记录健康信息" in refused.content.decode()
    assert not HealthCheck.objects.exists()
    post_check(client, checking, child, card="yellow")
    check = HealthCheck.objects.get()
    assert (check.card, check.temperature, check.signs, check.note) == ("yellow", None, [], "")
    assert AttendanceRecord.objects.get(child=child).status == AttendanceStatus.PRESENT


def test_a_red_card_tells_the_parents_once_without_medical_details(client, carer, checking, child):
    from ffs_portal.notices.models import Notice, NoticeStatus

    child.consents.update(covers_messages=True)
    client.force_login(carer)
    post_check(client, checking, child, card="red", signs=["fever", "rash"], temperature="38.4")
    post_check(client, checking, child, card="red", signs=["fever"], temperature="38.6")
    notice = Notice.objects.get()
    assert (notice.kind, notice.status) == ("health_red_card", NoticeStatus.QUEUED)
    assert "王小明" in notice.body and "晨检" in notice.body
    for detail in ("38", "发烧", "皮疹", "体温"):
        assert detail not in notice.body
    # The link in the message: the parents' page says the same, not "not arrived".
    link = re.search(r"/parents/\S+/", notice.body)[0]
    client.logout()
    page = client.get(link, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "晨检未能入园" in page and "尚未到园" not in page


def png() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (800, 600), "white").save(out, format="PNG")
    return out.getvalue()


def test_the_box_photo_is_shrunk_and_served_to_the_sites_staff_only(
    client, carer, insiders, outsiders, checking, child
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    today = timezone.localdate()
    client.force_login(carer)
    client.post(
        health_url("child_medicines", checking, child),
        {
            "medicine": "布洛芬",
            "dose": "5 ml",
            "times": "12:00",
            "valid_from": today,
            "valid_to": today,
            "signed_by": "王建国",
            "box_photo": SimpleUploadedFile("box.png", png(), content_type="image/png"),
        },
    )
    authorisation = child.medicines.get()
    assert authorisation.box_photo.name.startswith("medicines/")
    photo = reverse(
        "health:medicine_photo", kwargs={"site": checking.pk, "authorisation": authorisation.key}
    )
    assert photo.encode() in client.get(health_url("child_medicines", checking, child)).content
    served = client.get(photo)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    for user, status in (
        (insiders[Role.SITE_LEAD], 200),
        (insiders[Role.HR], 403),
        (insiders[Role.COORDINATOR], 403),
        (insiders[Role.SPONSOR], 403),
        (outsiders[Role.CHILDCARE], 404),
    ):
        client.force_login(user)
        assert client.get(photo).status_code == status, user.role


def test_the_tile_reminds_of_a_dose_due_and_a_missed_one_stands_out(
    client, carer, checking, term_a, child
):
    """At 08:00: a dose at 08:10 is due, one at 06:30 was missed by a child here since 06:20;
    a dose given is neither, and a child not here has nothing due."""
    other = enrolled_child(term_a, name="陈欣怡")
    witness = UserFactory(username="witness", role=Role.CHILDCARE, sites=[checking])
    today = timezone.localdate()

    def authorise(who, times):
        return services.authorise_medicine(
            site=checking,
            child=who,
            by=carer,
            medicine="布洛芬",
            dose="5 ml",
            times=times,
            valid_from=today,
            valid_to=today,
            signed_by="王建国",
        )

    syrup = authorise(child, ["08:10"])
    authorise(other, ["06:30", "12:00"])
    absent = enrolled_child(term_a, name="张子涵")
    authorise(absent, ["06:30"])
    for who, arrived in ((child, at(7, 50)), (other, at(6, 20))):
        AttendanceRecord.objects.create(
            site=checking, child=who, day=today, status="present", checked_in_at=arrived
        )
    client.force_login(carer)

    def tile(who):
        board = client.get(reverse("attendance:site_board", kwargs={"site": checking.pk}))
        return re.search(rf'<div class="[^"]*" id="t-{who.key}".*?</div>', board.content.decode())[
            0
        ]

    assert "md-due" in tile(child) and "md-missed" not in tile(child)
    assert "md-missed" in tile(other) and "medicine-missed" in tile(other)
    # Not here: nothing due, nothing missed.
    assert 'class="md ' not in tile(absent)
    services.give_dose(authorisation=syrup, by=carer, witness=witness, at=at(8, 5))
    assert 'class="md ' not in tile(child)
    page = client.get(reverse("health:site_health", kwargs={"site": checking.pk})).content.decode()
    assert "漏服：06:30" in page
    medicines = client.get(health_url("child_medicines", checking, other)).content.decode()
    assert "漏服：06:30" in medicines
    # Its 12:00 dose can still be recorded from the page.
    authorisation = other.medicines.get()
    give = reverse(
        "health:give_dose", kwargs={"site": checking.pk, "authorisation": authorisation.key}
    )
    assert give in medicines


def test_a_board_rendered_for_a_carer_is_not_shown_to_someone_without_health_details(
    client, carer, checking, term_a, child, django_assert_max_num_queries
):
    """The board is rendered once per site and version for everyone who sees the same: an
    administrator opening it right after the carer, at the same version, gets a board of
    their own without the medicine reminders; a second carer gets the carer's, without
    building it again."""
    from attendance import selectors

    today = timezone.localdate()
    services.authorise_medicine(
        site=checking,
        child=child,
        by=carer,
        medicine="布洛芬",
        dose="5 ml",
        times=["08:10"],
        valid_from=today,
        valid_to=today,
        signed_by="王建国",
    )
    AttendanceRecord.objects.create(
        site=checking, child=child, day=today, status="present", checked_in_at=at(7, 50)
    )
    board = reverse("attendance:site_board", kwargs={"site": checking.pk})
    live = reverse("attendance:board_live", kwargs={"site": checking.pk})
    version = selectors.board_version(checking, today, at(8)).fingerprint
    client.force_login(carer)
    assert "md-due" in client.get(board).content.decode()
    assert "md-due" in client.get(live).content.decode()
    admin = UserFactory(username="admin-at-board", role=Role.ADMIN)
    client.force_login(admin)
    assert selectors.board_version(checking, today, at(8)).fingerprint == version
    assert "md-due" not in client.get(board).content.decode()
    assert "md-due" not in client.get(live).content.decode()
    second = UserFactory(username="second-carer", role=Role.CHILDCARE, sites=[checking])
    client.force_login(second)
    with django_assert_max_num_queries(30) as cached:
        html = client.get(live).content.decode()
    assert "md-due" in html
    # The session, the user, the site and the version: the board itself is not read again.
    assert len(cached.captured_queries) <= 6


def test_a_board_rendered_by_one_web_process_is_found_by_the_others_through_redis(
    client, carer, checking, term_a, child, settings, django_assert_max_num_queries, redis_url
):
    """With Redis, N tablets of a site cost one render across the web tier; without it (or
    with Redis down) each process renders by itself, without waiting on Redis each time."""
    from attendance import board_cache

    settings.CACHES = {
        "default": {
            "BACKEND": "ffs_portal.lib.redis_cache.RedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    live = reverse("attendance:board_live", kwargs={"site": checking.pk})
    client.force_login(carer)
    first = client.get(live).content
    board_cache.clear(this_process_only=True)  # another process: nothing of its own yet
    with django_assert_max_num_queries(30) as found:
        assert client.get(live).content == first
    # The session, the user, the site and the version: the board was not read again.
    assert len(found.captured_queries) <= 6
    # Redis down: rendered here, and Redis left alone for a while.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "ffs_portal.lib.redis_cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed}/0",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    board_cache.clear(this_process_only=True)
    started = monotonic()
    for _ in range(3):
        board_cache.clear(this_process_only=True)
        response = client.get(live)
        assert response.status_code == 200 and response.content == first
    assert monotonic() - started < 2
    assert board_cache._redis_paused_until > monotonic()
