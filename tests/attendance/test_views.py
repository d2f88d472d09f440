"""The tablet board's pages and htmx acts, for each role, with another factory's children
and bad input; query counts that do not grow with the number of children."""

import json
import re
import uuid
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance import selectors, services
from attendance.models import AttendanceRecord, AttendanceStatus, Incident, RefusedPickup
from ffs_portal.models import AuditEntry, Role
from tests.factories import (
    PickupPermissionFactory,
    RoomFactory,
    UserFactory,
    enrolled_child,
)

pytestmark = pytest.mark.django_db


def at(hour, minute=0):
    return timezone.make_aware(datetime.combine(timezone.localdate(), time(hour, minute)))


@pytest.fixture(autouse=True)
def morning(monkeypatch):
    """The board's clock reads 08:00 today unless a test moves it."""
    clock = {"now": at(8)}
    monkeypatch.setattr("ffs_portal.lib.clock.now", lambda: clock["now"])
    return clock


@pytest.fixture
def child(term_a):
    return enrolled_child(
        term_a,
        name="王小明",
        allergies="花生",
        medical_notes="哮喘，随身带喷雾",
        hukou_province="guizhou",
    )


@pytest.fixture
def grandma(child):
    return PickupPermissionFactory(
        child=child, adult__name="李秀英", adult__mobile="13900001111"
    ).adult


@pytest.fixture
def uncle(child):
    return PickupPermissionFactory(
        child=child, allowed=False, adult__name="赵二", adult__relation="uncle"
    ).adult


@pytest.fixture
def theirs(term_b):
    return enrolled_child(term_b, name="陈欣怡")


def url(name, site, child=None, **kwargs):
    if child is not None:
        kwargs["child"] = child.key
    return reverse(f"attendance:{name}", kwargs={"site": site.pk, **kwargs})


def post(client, view, site, child=None, **data):
    return client.post(url(view, site, child), {"idem": str(uuid.uuid4()), **data})


def test_the_board_shows_todays_children_with_allergies_and_no_private_data(
    client, carer, site_a, child
):
    client.force_login(carer)
    response = client.get(reverse("attendance:board"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "王小明" in html and "花生" in html
    assert f"t-{child.key}" in html
    # Hukou, medical notes and HR data stay off the board, and the title names no child.
    assert (
        "guizhou" not in html
        and "哮喘" not in html
        and child.family.workers.get().employee_no not in html
    )
    assert "王小明" not in html.split("<title>")[1].split("</title>")[0]
    assert AuditEntry.objects.filter(action="board.viewed", actor=carer).count() == 1


def test_a_site_lead_uses_the_board_too(client, site_lead, site_a, child):
    client.force_login(site_lead)
    assert client.get(url("site_board", site_a)).status_code == 200


@pytest.mark.parametrize("role", [Role.HR, Role.COORDINATOR])
def test_roles_without_the_board_are_refused(client, insiders, site_a, child, role):
    client.force_login(insiders[role])
    assert client.get(url("site_board", site_a)).status_code == 403
    assert post(client, "check_in", site_a, child).status_code == 403
    assert not AttendanceRecord.objects.exists()


def test_an_administrator_chooses_a_site_first(client, administrator, site_a, site_b):
    client.force_login(administrator)
    response = client.get(reverse("attendance:board"))
    assert response.status_code == 200
    assert url("site_board", site_a) in response.content.decode()
    assert url("site_board", site_b) in response.content.decode()


def test_a_worker_without_a_site_is_told_to_ask_the_coordinator(client, db):
    client.force_login(UserFactory(role=Role.CHILDCARE))
    response = client.get(reverse("attendance:board"))
    assert response.status_code == 200
    assert "alert-warning" in response.content.decode()


def test_another_factorys_site_and_children_are_not_found(
    client, outsiders, site_a, site_b, child, theirs, carer
):
    client.force_login(outsiders[Role.CHILDCARE])
    assert client.get(url("site_board", site_a)).status_code == 404
    assert post(client, "check_in", site_a, child).status_code == 404
    assert client.get(url("child_sheet", site_a, child)).status_code == 404
    # Our own carer cannot reach their child through our site or theirs.
    client.force_login(carer)
    assert post(client, "check_in", site_a, theirs).status_code == 404
    assert post(client, "check_in", site_b, theirs).status_code == 404
    assert client.get(url("child_calendar", site_a, theirs)).status_code == 404
    assert not AttendanceRecord.objects.exists()


def test_one_tap_checks_a_child_in_and_answers_with_the_tile_counters_and_undo(
    client, carer, site_a, child
):
    client.force_login(carer)
    response = post(client, "check_in", site_a, child)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="t-{child.key}"' in html and "st-present" in html
    # The counters and the ratio come with the tile, all at the board version of the act.
    site_a.refresh_from_db()
    seq = f'data-seq="{site_a.board_seq}"'
    assert site_a.board_seq == 1
    assert html.count(seq) == 4  # the tile, the counters, the ratio pill and its detail
    assert (
        '<span class="n">1</span>' in html.split('id="board-counters"')[1].split("c-collected")[0]
    )
    assert reverse("attendance:undo_check_in", kwargs={"site": site_a.pk}) in html
    assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT


def test_a_double_tap_with_the_same_key_checks_in_once(client, carer, site_a, child):
    client.force_login(carer)
    key = str(uuid.uuid4())
    first = client.post(url("check_in", site_a, child), {"idem": key})
    second = client.post(url("check_in", site_a, child), {"idem": key})
    assert first.status_code == second.status_code == 200
    assert "st-present" in second.content.decode()
    assert AuditEntry.objects.filter(action="attendance.checked_in").count() == 1


def test_undo_takes_the_check_in_back(client, carer, site_a, child, morning):
    client.force_login(carer)
    post(client, "check_in", site_a, child)
    morning["now"] += timedelta(seconds=3)
    response = client.post(url("undo_check_in", site_a), {"child": str(child.key)})
    assert response.status_code == 200
    assert "st-expected" in response.content.decode()
    assert AttendanceRecord.objects.get().status == AttendanceStatus.EXPECTED


def test_undo_after_the_window_says_why(client, carer, site_a, child, morning):
    client.force_login(carer)
    post(client, "check_in", site_a, child)
    morning["now"] += timedelta(minutes=5)
    response = client.post(url("undo_check_in", site_a), {"child": str(child.key)})
    assert response.status_code == 200
    assert "t-danger" in response.content.decode()
    assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT


def test_a_group_is_checked_in_at_once(client, carer, site_a, term_a):
    group = [enrolled_child(term_a) for _ in range(4)]
    client.force_login(carer)
    response = client.post(
        url("check_in_many", site_a),
        {"idem": str(uuid.uuid4()), "child": [str(c.key) for c in group] + ["not-a-key"]},
    )
    assert response.status_code == 200
    assert response.content.decode().count("st-present") == 4
    assert AttendanceRecord.objects.filter(status=AttendanceStatus.PRESENT).count() == 4


def test_an_empty_group_says_what_to_do(client, carer, site_a):
    client.force_login(carer)
    response = client.post(url("check_in_many", site_a), {"idem": str(uuid.uuid4())})
    assert response.status_code == 200
    assert "t-warning" in response.content.decode()


def test_the_check_out_sheet_lists_who_may_and_may_not_collect(
    client, carer, site_a, child, grandma, uncle
):
    services.check_in(site=site_a, child=child, by=carer)
    client.force_login(carer)
    response = client.get(url("child_sheet", site_a, child))
    html = response.content.decode()
    parent = child.family.workers.get()
    assert response.status_code == 200
    assert f"worker:{parent.pk}" in html and f"tel:{parent.mobile}" in html
    assert f"adult:{grandma.pk}" in html and "tel:13900001111" in html
    assert "not-allowed" in html and "赵二" in html and f"adult:{uncle.pk}" not in html
    # A carer handling the child sees medical notes here, never hukou or employee numbers.
    assert "哮喘" in html and "guizhou" not in html and parent.employee_no not in html
    assert AuditEntry.objects.filter(action="child.viewed", child=child).exists()


def test_handing_over_to_a_parent_checks_the_child_out(client, carer, site_a, child):
    services.check_in(site=site_a, child=child, by=carer)
    parent = child.family.workers.get()
    client.force_login(carer)
    response = post(client, "check_out", site_a, child, collector=f"worker:{parent.pk}")
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"ffs:closeSheet": str(child.key)}
    assert "st-collected" in response.content.decode()
    assert AttendanceRecord.objects.get().collected_by_worker == parent


def test_a_late_pickup_is_flagged(client, carer, site_a, child, morning):
    services.check_in(site=site_a, child=child, by=carer)
    morning["now"] = at(18, 20)
    client.force_login(carer)
    response = post(
        client, "check_out", site_a, child, collector=f"worker:{child.family.workers.get().pk}"
    )
    assert "t-warning" in response.content.decode()
    assert AttendanceRecord.objects.get().late


def test_choosing_a_not_allowed_adult_is_refused_and_recorded(client, carer, site_a, child, uncle):
    services.check_in(site=site_a, child=child, by=carer)
    client.force_login(carer)
    response = post(client, "check_out", site_a, child, collector=f"adult:{uncle.pk}")
    html = response.content.decode()
    assert 'class="refusal"' in html
    assert f"tel:{child.family.workers.get().mobile}" in html
    assert RefusedPickup.objects.get().reason == "not_allowed"
    assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT


def test_someone_else_is_refused_with_who_to_call(client, carer, site_lead, site_a, child):
    services.check_in(site=site_a, child=child, by=carer)
    client.force_login(carer)
    response = post(
        client, "refuse_pickup", site_a, child, reason="not_listed", name="张三", relation="邻居"
    )
    html = response.content.decode()
    assert 'class="refusal"' in html and site_lead.get_full_name() in html
    refusal = RefusedPickup.objects.get()
    assert (refusal.name, refusal.reason) == ("张三", "not_listed")


def test_an_adult_of_another_family_cannot_be_chosen(client, carer, site_a, child, theirs):
    services.check_in(site=site_a, child=child, by=carer)
    stranger = theirs.family.workers.get()
    client.force_login(carer)
    response = post(client, "check_out", site_a, child, collector=f"worker:{stranger.pk}")
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()
    assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT


def test_absence_with_a_reason_and_bad_input(client, carer, site_a, child):
    client.force_login(carer)
    bad = post(client, "mark_absent", site_a, child, reason="holiday")
    assert "alert-danger" in bad.content.decode()
    assert not AttendanceRecord.objects.exists()
    good = post(client, "mark_absent", site_a, child, reason="with_family", note="回老家")
    assert "st-absent" in good.content.decode()
    assert AttendanceRecord.objects.get().absence_reason == "with_family"
    post(client, "clear_absence", site_a, child)
    assert AttendanceRecord.objects.get().status == AttendanceStatus.EXPECTED


def test_children_still_expected_an_hour_after_opening_are_highlighted(
    client, carer, site_a, child, morning
):
    client.force_login(carer)
    morning["now"] = at(7, 45)
    assert "overdue" not in client.get(url("site_board", site_a)).content.decode()
    morning["now"] = at(8, 45)
    assert "tile st-expected overdue" in client.get(url("site_board", site_a)).content.decode()


def test_an_incident_is_reported_from_the_sheet_and_reviewed_by_the_site_lead(
    client, carer, site_lead, site_a, child
):
    services.check_in(site=site_a, child=child, by=carer, at=at(7, 50))
    client.force_login(carer)
    assert client.get(url("incident_new", site_a, child)).status_code == 200
    missing = post(client, "incident_new", site_a, child, kind="injury", occurred="07:55")
    assert "text-danger" in missing.content.decode()
    response = post(
        client,
        "incident_new",
        site_a,
        child,
        kind="injury",
        occurred="07:55",
        description="摔倒擦伤膝盖",
        action_taken="消毒、贴创可贴",
        informed="08:00",
        informed_by="黄老师",
        informed_how="phone",
    )
    assert response.status_code == 200
    incident = Incident.objects.get()
    assert incident.parent_informed_by == "黄老师"
    detail = reverse("attendance:incident_detail", kwargs={"incident": incident.key})
    assert client.post(detail, {"action": "review", "note": "x"}).status_code == 403
    client.force_login(site_lead)
    assert client.get(detail).status_code == 200
    client.post(detail, {"action": "review", "note": "已复查"})
    incident.refresh_from_db()
    assert incident.reviewed_by == site_lead


def test_the_calendar_and_the_day_sheet_show_times_and_people(
    client, carer, site_a, child, grandma
):
    services.check_in(site=site_a, child=child, by=carer, at=at(7, 40))
    services.check_out(site=site_a, child=child, collector=grandma, by=carer, at=at(8))
    client.force_login(carer)
    calendar = client.get(url("child_calendar", site_a, child))
    assert calendar.status_code == 200 and "07:40–08:00" in calendar.content.decode()
    assert client.get(url("child_calendar", site_a, child) + "?month=bad").status_code == 200
    sheet = client.get(url("day_sheet", site_a))
    html = sheet.content.decode()
    assert sheet.status_code == 200 and "李秀英" in html and "07:40" in html
    assert client.get(url("day_sheet", site_a) + "?day=not-a-day").status_code == 200


def test_scanning_a_card_checks_the_child_in_then_opens_the_sheet(client, carer, site_a, child):
    client.force_login(carer)
    response = post(client, "scan", site_a, token=child.card_token)
    assert "st-present" in response.content.decode()
    assert str(child.key) in response["HX-Trigger"]
    again = post(client, "scan", site_a, token=child.card_token)
    assert "ffs:openSheet" in again["HX-Trigger"] and 'id="sheet-body"' in again.content.decode()
    unknown = post(client, "scan", site_a, token="nothing")
    assert "t-danger" in unknown.content.decode()


def test_the_code_under_the_qr_typed_on_the_tablet_checks_the_child_in(
    client, carer, site_a, child
):
    """Typed as a worker would, lower case with a dash; a reissued card's old code stops."""
    from enrollment import services as enrollment_services

    old = child.card_code
    enrollment_services.card_reissue(child=child, by=None)
    child.refresh_from_db()
    client.force_login(carer)
    refused = post(client, "scan", site_a, token=old.lower())
    assert "t-danger" in refused.content.decode()
    assert not AttendanceRecord.objects.exists()
    typed = f"{child.card_code[:3]}-{child.card_code[3:]}".lower()
    response = post(client, "scan", site_a, token=f" {typed} ")
    assert "st-present" in response.content.decode()
    assert AttendanceRecord.objects.get().child == child


def test_another_factorys_card_is_not_known_here(client, carer, site_a, theirs):
    client.force_login(carer)
    response = post(client, "scan", site_a, token=theirs.card_token)
    assert "t-danger" in response.content.decode()
    assert not AttendanceRecord.objects.exists()


def test_the_board_refresh_sends_nothing_when_nothing_changed(client, carer, site_a, child):
    client.force_login(carer)
    version = selectors.board_version(site_a, timezone.localdate(), at(8)).fingerprint
    live = url("board_live", site_a)
    assert client.get(live, {"v": version}).status_code == 204
    services.check_in(site=site_a, child=child, by=carer)
    changed = client.get(live, {"v": version})
    assert changed.status_code == 200 and "st-present" in changed.content.decode()


def test_search_finds_a_child_by_pinyin_initials(client, carer, site_a, child, term_a):
    enrolled_child(term_a, name="陈欣怡")
    client.force_login(carer)
    html = client.get(url("board_live", site_a), {"q": "wxm"}).content.decode()
    assert "王小明" in html and "陈欣怡" not in html


def test_a_photo_is_served_only_through_the_access_check(client, carer, site_a, child, grandma):
    from django.urls import reverse

    client.force_login(carer)
    response = client.get(reverse("enrollment:child_photo", kwargs={"child": child.key}))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    photo = reverse("enrollment:adult_photo", kwargs={"child": child.key, "adult": grandma.pk})
    assert client.get(photo).status_code == 200
    other = reverse(
        "enrollment:adult_photo", kwargs={"child": child.key, "adult": grandma.pk + 999}
    )
    assert client.get(other).status_code == 404


def test_child_urls_hold_keys_never_names_or_ids(client, carer, site_a, child):
    path = url("child_sheet", site_a, child)
    assert path == f"/board/{site_a.pk}/children/{child.key}/" and "王" not in path


def make_children(term, count, rooms):
    for n in range(count):
        child = enrolled_child(term, allergies="花生" if n % 5 == 0 else "")
        if n % 2:
            enrollment = child.enrollments.get()
            enrollment.room = rooms[n % len(rooms)]
            enrollment.save(update_fields=["room"])


@pytest.mark.parametrize("count", [20, 200])
def test_the_board_costs_the_same_queries_for_more_children(
    client, carer, site_a, term_a, count, django_assert_max_num_queries
):
    rooms = [
        RoomFactory(site=site_a, min_age=3, max_age=6),
        RoomFactory(site=site_a, min_age=7, max_age=14),
    ]
    make_children(term_a, count, rooms)
    children = list(term_a.enrollments.values_list("child", flat=True))
    from enrollment.models import Child

    for child in Child.objects.filter(pk__in=children[::3]):
        services.check_in(site=site_a, child=child, by=carer)
    client.force_login(carer)
    # The board's page and its refresh also read the medicines due (one query).
    with django_assert_max_num_queries(13):
        response = client.get(url("site_board", site_a))
    assert response.content.decode().count('class="tile ') == count
    with django_assert_max_num_queries(13):
        client.get(url("board_live", site_a))
    with django_assert_max_num_queries(12):
        client.get(url("day_sheet", site_a))


def test_a_check_in_shows_an_incident_the_family_has_not_acknowledged(client, carer, site_a, child):
    from datetime import timedelta

    yesterday = at(10) - timedelta(days=1)
    AttendanceRecord.objects.create(
        site=site_a,
        child=child,
        day=timezone.localdate(yesterday),
        status=AttendanceStatus.COLLECTED,
        checked_in_at=yesterday,
        checked_out_at=yesterday + timedelta(hours=7),
    )
    Incident.objects.create(
        site=site_a,
        child=child,
        kind="illness",
        occurred_at=yesterday,
        description="发烧",
        action_taken="通知家长",
    )
    client.force_login(carer)
    html = post(client, "check_in", site_a, child).content.decode()
    assert "st-present" in html and 'class="ic"' in html


def test_the_sheet_checks_a_child_in_with_who_brought_them(client, carer, site_a, child, grandma):
    client.force_login(carer)
    html = client.get(url("child_sheet", site_a, child)).content.decode()
    assert f'name="dropped_off_by" value="adult:{grandma.pk}"' in html
    post(client, "check_in", site_a, child, dropped_off_by=f"adult:{grandma.pk}")
    record = AttendanceRecord.objects.get()
    assert (record.dropped_off_by_adult, record.dropped_off_by_name) == (grandma, "李秀英")


@pytest.mark.parametrize("count", [5, 100])
def test_an_unchanged_boards_refresh_costs_four_queries_whatever_the_children(
    client, carer, site_a, term_a, count, django_assert_max_num_queries
):
    make_children(term_a, count, [RoomFactory(site=site_a, min_age=3, max_age=14)])
    children = term_a.enrollments.values_list("child", flat=True)
    from enrollment.models import Child

    for child in Child.objects.filter(pk__in=list(children)[::4]):
        services.check_in(site=site_a, child=child, by=carer)
    client.force_login(carer)
    live = url("board_live", site_a)
    # The version the tablet holds is the one its last refresh showed.
    page = client.get(live).content.decode()
    version = re.search(r'data-version="([^"]+)"', page).group(1)
    with django_assert_max_num_queries(5) as unchanged:
        response = client.get(live, {"v": version})
    assert response.status_code == 204 and response.content == b""
    # The session, the user, the site (through the access check) and the board's version
    # with the day's opening hours: nothing per child.
    assert len(unchanged.captured_queries) == 4
