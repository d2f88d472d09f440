"""The board's refresh sends only the tiles that changed since the version the tablet holds,
and the whole board whenever the change log cannot vouch for that."""

import re
import time
import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance import selectors, services
from attendance.models import AttendanceRecord, AttendanceStatus, BoardChange
from ffs_portal.models import Role
from staff import services as staff_services
from tests.factories import UserFactory, enrolled_child

pytestmark = pytest.mark.django_db

# The change log's query is PostgreSQL's (board_sql.changes): on SQLite, the embedded default,
# every refresh after a change gets the whole board, as the tests of the whole board show.
deltas = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="deltas are sent on PostgreSQL only"
)

PIN = "4826"


@pytest.fixture(autouse=True)
def inside_five_minutes():
    """The board runs on the real clock here (a record's ``created_at`` and ``updated_at``
    agree, as they do at a site); the version changes every five minutes, so a test does not
    start just before it does."""
    now = timezone.localtime()
    left = 300 - (now.minute % 5 * 60 + now.second)
    if left < 15:
        time.sleep(left + 1)


@pytest.fixture
def children(term_a):
    return [enrolled_child(term_a, name=name) for name in ("王小明", "陈欣怡", "李娜")]


def live(site):
    return reverse("attendance:board_live", kwargs={"site": site.pk})


def held_version(client, site) -> str:
    """The version a tablet holds: the one its last whole board showed."""
    page = client.get(live(site)).content.decode()
    return re.search(r'id="board-live" data-version="([^"]+)"', page).group(1)


def refresh(client, site, version):
    return client.get(live(site), {"v": version})


def is_delta(response) -> bool:
    html = response.content.decode()
    return 'id="board-version"' in html and 'id="board-live"' not in html


@deltas
def test_another_tablets_check_in_comes_as_its_tile_the_counters_and_the_new_version(
    client, carer, site_a, children
):
    client.force_login(carer)
    held = held_version(client, site_a)
    services.check_in(site=site_a, child=children[0], by=carer)
    response = refresh(client, site_a, held)
    html = response.content.decode()
    assert response.status_code == 200 and is_delta(response)
    now = selectors.board_version(site_a, timezone.localdate(), timezone.now())
    assert f'data-version="{now.fingerprint}" data-seq="{now.seq}"' in html
    assert f'id="t-{children[0].key}"' in html and "st-present" in html
    assert f"t-{children[1].key}" not in html and f"t-{children[2].key}" not in html
    assert 'id="board-counters"' in html and 'id="board-ratio"' in html
    assert f'data-seq="{now.seq}"' in html
    # The version the delta gave is the one the board now shows: nothing more to send.
    assert refresh(client, site_a, now.fingerprint).status_code == 204


@deltas
def test_acts_on_children_already_on_the_board_come_as_deltas(client, carer, site_a, children):
    services.check_in(site=site_a, child=children[0], by=carer)
    services.check_in(site=site_a, child=children[1], by=carer)
    services.mark_absent(site=site_a, child=children[2], reason="ill", by=carer)
    client.force_login(carer)
    held = held_version(client, site_a)
    services.check_out(
        site=site_a, child=children[0], collector=children[0].family.workers.get(), by=carer
    )
    services.undo_check_in(site=site_a, children=[children[1]], by=carer)
    services.clear_absence(site=site_a, child=children[2], by=carer)
    response = refresh(client, site_a, held)
    html = response.content.decode()
    assert is_delta(response)
    assert html.count('class="tile ') == 3
    # (Expected children are also marked overdue later in the morning.)
    assert re.search(f'class="tile st-collected[^"]*" id="t-{children[0].key}"', html)
    assert re.search(f'class="tile st-expected[^"]*" id="t-{children[1].key}"', html)
    assert re.search(f'class="tile st-expected[^"]*" id="t-{children[2].key}"', html)


@deltas
def test_a_delta_shows_the_tile_as_the_whole_board_does(client, carer, site_a, children):
    client.force_login(carer)
    held = held_version(client, site_a)
    services.check_in(site=site_a, child=children[0], by=carer)
    delta = refresh(client, site_a, held).content.decode()
    whole = client.get(live(site_a)).content.decode()
    tile = re.search(rf'<div class="[^"]*" id="t-{children[0].key}".*?</div>', delta).group(0)
    assert tile.replace(' hx-swap-oob="true"', "") in whole


def test_an_incident_sends_the_whole_board(client, carer, site_a, children):
    client.force_login(carer)
    held = held_version(client, site_a)
    services.check_in(site=site_a, child=children[0], by=carer)
    services.report_incident(
        site=site_a,
        child=children[0],
        by=carer,
        kind="injury",
        occurred_at=timezone.now(),
        description="摔倒",
        action_taken="冰敷",
    )
    response = refresh(client, site_a, held)
    assert not is_delta(response) and 'class="ic"' in response.content.decode()


def test_an_enrolment_change_sends_the_whole_board(client, carer, site_a, term_a, children):
    client.force_login(carer)
    held = held_version(client, site_a)
    services.check_in(site=site_a, child=children[0], by=carer)
    newcomer = enrolled_child(term_a, name="张伟")
    response = refresh(client, site_a, held)
    assert not is_delta(response) and f"t-{newcomer.key}" in response.content.decode()


def test_a_staff_clock_in_sends_the_whole_board(client, carer, site_a, children):
    worker = UserFactory(role=Role.CHILDCARE, sites=[site_a])
    profile = staff_services.profile_for(worker)
    staff_services.pin_set(profile=profile, pin=PIN, by=None)
    staff_services.qualification_save(
        profile=profile,
        kind="child_protection",
        obtained_on=date(2025, 3, 1),
        expires_on=timezone.localdate() + timedelta(days=300),
        by=None,
    )
    client.force_login(carer)
    held = held_version(client, site_a)
    services.check_in(site=site_a, child=children[0], by=carer)
    staff_services.clock_in(site=site_a, user=worker, pin=PIN, by=carer)
    assert not is_delta(refresh(client, site_a, held))


def test_a_version_without_a_log_row_sends_the_whole_board(client, carer, site_a, children):
    client.force_login(carer)
    held = held_version(client, site_a)
    services.check_in(site=site_a, child=children[0], by=carer)
    site_a.next_board_seq()
    assert not is_delta(refresh(client, site_a, held))


def test_a_record_edited_without_a_version_sends_the_whole_board(client, carer, site_a, children):
    services.check_in(site=site_a, child=children[1], by=carer)
    client.force_login(carer)
    held = held_version(client, site_a)
    services.check_in(site=site_a, child=children[0], by=carer)
    AttendanceRecord.objects.filter(child=children[1]).update(
        status=AttendanceStatus.ABSENT,
        absence_reason="ill",
        checked_in_at=None,
        updated_at=timezone.now(),
    )
    response = refresh(client, site_a, held)
    assert not is_delta(response)
    assert re.search(rf'class="tile st-absent[^"]*" id="t-{children[1].key}"', response.text)


def test_a_record_deleted_by_hand_sends_the_whole_board(client, carer, site_a, children):
    services.check_in(site=site_a, child=children[1], by=carer)
    client.force_login(carer)
    held = held_version(client, site_a)
    services.check_in(site=site_a, child=children[0], by=carer)
    AttendanceRecord.objects.filter(child=children[1]).delete()
    assert not is_delta(refresh(client, site_a, held))


def test_a_record_made_by_hand_sends_the_whole_board(client, carer, site_a, children):
    client.force_login(carer)
    held = held_version(client, site_a)
    services.check_in(site=site_a, child=children[0], by=carer)
    AttendanceRecord.objects.create(
        site=site_a,
        child=children[1],
        day=timezone.localdate(),
        status=AttendanceStatus.ABSENT,
        absence_reason="ill",
    )
    response = refresh(client, site_a, held)
    assert not is_delta(response)
    assert re.search(rf'class="tile st-absent[^"]*" id="t-{children[1].key}"', response.text)


def test_a_pruned_log_sends_the_whole_board(client, carer, site_a, children, monkeypatch):
    monkeypatch.setattr(services, "BOARD_CHANGES_PRUNED_EVERY", 1)
    monkeypatch.setattr(services, "BOARD_CHANGES_KEPT", 1)
    client.force_login(carer)
    held = held_version(client, site_a)
    services.check_in(site=site_a, child=children[0], by=carer)
    services.check_in(site=site_a, child=children[1], by=carer)
    assert BoardChange.objects.filter(site=site_a).count() == 1
    assert not is_delta(refresh(client, site_a, held))


def test_a_search_a_newer_or_a_made_up_version_sends_the_whole_board(
    client, carer, site_a, children
):
    client.force_login(carer)
    held = held_version(client, site_a)
    services.check_in(site=site_a, child=children[0], by=carer)
    assert not is_delta(client.get(live(site_a), {"v": held, "q": "wxm"}))
    seq, rest = held.split("~", 1)
    assert not is_delta(refresh(client, site_a, f"{int(seq) + 5}~{rest}"))
    assert not is_delta(refresh(client, site_a, f"{seq}~yesterday~0~0~{rest}"))
    assert not is_delta(refresh(client, site_a, "0"))


def test_the_log_names_the_children_of_each_act_and_no_one_for_other_acts(carer, site_a, children):
    services.check_in(site=site_a, child=children[0], by=carer)
    services.check_in_many(site=site_a, children=children[1:], by=carer)
    services.report_incident(
        site=site_a,
        child=children[0],
        by=carer,
        kind="injury",
        occurred_at=timezone.now(),
        description="摔倒",
        action_taken="冰敷",
        key=uuid.uuid4(),
    )
    rows = list(BoardChange.objects.order_by("seq", "child_id").values_list("seq", "child_id"))
    first = rows[0][0]
    assert rows == [
        (first, children[0].pk),
        (first + 1, children[1].pk),
        (first + 1, children[2].pk),
        (first + 2, None),
    ]


@deltas
@pytest.mark.parametrize("count", [5, 100])
def test_a_deltas_queries_do_not_grow_with_the_children(client, carer, site_a, term_a, count):
    everyone = [enrolled_child(term_a) for _ in range(count)]
    for child in everyone[:-1:4]:
        services.check_in(site=site_a, child=child, by=carer)
    client.force_login(carer)
    held = held_version(client, site_a)
    services.check_in_many(site=site_a, children=everyone[1:4], by=carer)
    services.mark_absent(site=site_a, child=everyone[-1], reason="ill", by=carer)
    with CaptureQueriesContext(connection) as captured:
        response = refresh(client, site_a, held)
    assert is_delta(response) and response.content.decode().count('class="tile ') == 4
    # The session, the user, the site, the board's version, the log with the day's records;
    # the children, the counters, their records and incidents, the medicines due with their
    # doses, and the ratio's rules: nothing per child.
    assert len(captured) == 10, [q["sql"][:60] for q in captured.captured_queries]
    # Another tablet holding the same version gets the same answer, kept: as cheap as an
    # unchanged board's refresh.
    with CaptureQueriesContext(connection) as again:
        assert refresh(client, site_a, held).content == response.content
    assert len(again) == 4
