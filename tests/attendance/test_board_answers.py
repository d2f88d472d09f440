"""What the board's answers say: the state of the child's record after the act, whatever
happened before (a first try, a retry with the same key, another tablet first), every
piece labelled with the board version it shows; and what an act costs in queries."""

import json
import re
import uuid
from datetime import datetime, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance import services
from attendance.models import AttendanceRecord, AttendanceStatus, RefusedPickup
from ffs_portal.models import AuditEntry
from staff import services as staff_services
from tests.factories import PickupPermissionFactory, UserFactory, enrolled_child

pytestmark = pytest.mark.django_db


def at(hour, minute=0):
    return timezone.make_aware(datetime.combine(timezone.localdate(), time(hour, minute)))


@pytest.fixture(autouse=True)
def morning(monkeypatch):
    clock = {"now": at(8)}
    monkeypatch.setattr("ffs_portal.lib.clock.now", lambda: clock["now"])
    return clock


@pytest.fixture
def child(term_a):
    return enrolled_child(term_a, name="王小明")


@pytest.fixture
def uncle(child):
    return PickupPermissionFactory(
        child=child, allowed=False, adult__name="赵二", adult__relation="uncle"
    ).adult


def act(client, view, site, child=None, key=None, data=None):
    kwargs = {"site": site.pk}
    if child is not None:
        kwargs["child"] = child.key
    return client.post(
        reverse(f"attendance:{view}", kwargs=kwargs),
        {"idem": str(key or uuid.uuid4()), **(data or {})},
    )


def seqs(html: str) -> dict[str, int]:
    """The board version of each piece of an answer, by the piece's id."""
    return {
        match[0]: int(match[1]) for match in re.findall(r'id="([^"]+)"[^>]*?data-seq="(\d+)"', html)
    }


def toast(html: str) -> str:
    found = re.search(r'<span class="toast-text">(.*?)</span>', html, re.S)
    return found[1] if found else ""


def test_a_retried_refusal_is_still_a_refusal(client, carer, site_a, child, uncle):
    services.check_in(site=site_a, child=child, by=carer)
    client.force_login(carer)
    key = uuid.uuid4()
    first = act(
        client, "check_out", site_a, child, key=key, data={"collector": f"adult:{uncle.pk}"}
    )
    # The answer was lost on the network; the tablet sends the same act again.
    second = act(
        client, "check_out", site_a, child, key=key, data={"collector": f"adult:{uncle.pk}"}
    )
    for answer in (first, second):
        html = answer.content.decode()
        assert 'class="refusal"' in html and "赵二" in html
        assert "HX-Trigger" not in answer  # the sheet stays open
        assert toast(html) == "赵二 禁止接走王小明。不要交出王小明。"
        assert "t-success" not in html and "st-present" in html
    assert RefusedPickup.objects.get().key == key
    assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT
    assert AuditEntry.objects.filter(action="attendance.pickup_refused").count() == 1


def test_a_retried_someone_else_refusal_shows_the_same_refusal(client, carer, site_a, child):
    services.check_in(site=site_a, child=child, by=carer)
    client.force_login(carer)
    key = uuid.uuid4()
    data = {"reason": "not_listed", "name": "孙强", "relation": "邻居"}
    first = act(client, "refuse_pickup", site_a, child, key=key, data=data).content.decode()
    second = act(client, "refuse_pickup", site_a, child, key=key, data=data).content.decode()
    refusal = RefusedPickup.objects.get()
    recorded_at = timezone.localtime(refusal.at).strftime("%H:%M")
    for html in (first, second):
        assert 'class="refusal"' in html and recorded_at in html


def test_a_retried_check_in_answers_like_its_first_try(client, carer, site_a, child):
    client.force_login(carer)
    key = uuid.uuid4()
    first = act(client, "check_in", site_a, child, key=key).content.decode()
    second = act(client, "check_in", site_a, child, key=key).content.decode()
    assert toast(first) == toast(second) == "王小明 已签到"
    assert "undo" in second and "st-present" in second
    assert AuditEntry.objects.filter(action="attendance.checked_in").count() == 1


def test_a_check_in_another_tablet_made_first_says_so(client, carer, site_a, child):
    services.check_in(site=site_a, child=child, by=UserFactory(role="childcare", sites=[site_a]))
    client.force_login(carer)
    html = act(client, "check_in", site_a, child).content.decode()
    assert toast(html) == "王小明 已经在园" and "st-present" in html


def test_a_retried_check_in_after_an_undo_says_what_is_true_now(client, carer, site_a, child):
    client.force_login(carer)
    key = uuid.uuid4()
    act(client, "check_in", site_a, child, key=key)
    act(client, "undo_check_in", site_a, data={"child": str(child.key)})
    html = act(client, "check_in", site_a, child, key=key).content.decode()
    assert "st-expected" in html and "已签到" not in toast(html)
    assert toast(html) == "王小明 尚未签到。"
    assert AttendanceRecord.objects.get().status == AttendanceStatus.EXPECTED


def test_a_retried_check_out_of_a_collected_child_names_who_collected(client, carer, site_a, child):
    services.check_in(site=site_a, child=child, by=carer)
    client.force_login(carer)
    key = uuid.uuid4()
    parent = child.family.workers.get()
    first = act(
        client, "check_out", site_a, child, key=key, data={"collector": f"worker:{parent.pk}"}
    )
    second = act(
        client, "check_out", site_a, child, key=key, data={"collector": f"worker:{parent.pk}"}
    )
    for answer in (first, second):
        assert toast(answer.content.decode()) == f"王小明 已由{parent.name}接走"
        assert json.loads(answer["HX-Trigger"]) == {"ffs:closeSheet": str(child.key)}
    assert AuditEntry.objects.filter(action="attendance.checked_out").count() == 1


def test_an_act_that_cannot_be_done_keeps_the_sheet_open_and_says_why(client, carer, site_a, child):
    client.force_login(carer)
    parent = child.family.workers.get()
    answer = act(client, "check_out", site_a, child, data={"collector": f"worker:{parent.pk}"})
    html = answer.content.decode()
    assert "HX-Trigger" not in answer
    assert 'id="sheet-body"' in html and "王小明 还没有签到，不能签退。" in html
    # The same words come as a toast too, which the tablet shows only if the sheet was closed.
    assert f'data-fallback-for="{child.key}"' in html


def test_every_answer_carries_the_board_version_it_shows(client, carer, site_a, child, term_a):
    other = enrolled_child(term_a, name="李欣怡")
    client.force_login(carer)
    board = client.get(reverse("attendance:site_board", kwargs={"site": site_a.pk}))
    assert set(seqs(board.content.decode()).values()) == {0}
    first = seqs(act(client, "check_in", site_a, child).content.decode())
    second = seqs(act(client, "check_in", site_a, other).content.decode())
    assert first == {
        f"t-{child.key}": 1,
        "board-counters": 1,
        "board-ratio": 1,
        "ratio-detail": 1,
    }
    assert set(second.values()) == {2}
    live = client.get(reverse("attendance:board_live", kwargs={"site": site_a.pk}))
    assert set(seqs(live.content.decode()).values()) == {2}
    site_a.refresh_from_db()
    assert site_a.board_seq == 2


def test_a_retry_that_changes_nothing_keeps_the_version(client, carer, site_a, child):
    client.force_login(carer)
    key = uuid.uuid4()
    act(client, "check_in", site_a, child, key=key)
    again = seqs(act(client, "check_in", site_a, child, key=key).content.decode())
    assert set(again.values()) == {1}


def test_staff_clocking_in_and_out_move_the_version_the_ratio_shows(site_a, carer):
    from datetime import date, timedelta

    profile = staff_services.profile_for(carer)
    staff_services.pin_set(profile=profile, pin="4826", by=None)
    staff_services.qualification_save(
        profile=profile,
        kind="child_protection",
        obtained_on=date(2025, 3, 1),
        expires_on=timezone.localdate() + timedelta(days=300),
        by=None,
    )
    staff_services.clock_in(site=site_a, user=carer, pin="4826", by=carer)
    site_a.refresh_from_db()
    assert site_a.board_seq == 1
    staff_services.clock_out(site=site_a, user=carer, pin="4826", by=carer)
    site_a.refresh_from_db()
    assert site_a.board_seq == 2


def test_the_hand_over_button_waits_for_an_adult_to_be_chosen(client, carer, site_a, child):
    services.check_in(site=site_a, child=child, by=carer)
    client.force_login(carer)
    html = client.get(
        reverse("attendance:child_sheet", kwargs={"site": site_a.pk, "child": child.key})
    ).content.decode()
    button = re.search(r"<button[^>]*data-confirm-handover[^>]*>", html)[0]
    assert "disabled" in button


def test_the_sign_in_page_sends_a_signed_in_user_to_their_landing_page(client, carer):
    client.force_login(carer)
    response = client.get(reverse("login"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("attendance:board")
    client.logout()
    assert client.get(reverse("login")).status_code == 200


def queries(client, name, site, child, **data) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = act(client, name, site, child, **data)
    assert response.status_code == 200
    return len(captured)


def act_costs(client, site, term, carer) -> tuple[int, int]:
    """Queries of a first check-in and of a check-out, on two children new to the site."""
    first, second = (enrolled_child(term) for _ in range(2))
    parent = first.family.workers.get()
    check_in = queries(client, "check_in", site, first)
    assert queries(client, "check_in", site, second) == check_in
    check_out = queries(client, "check_out", site, first, data={"collector": f"worker:{parent.pk}"})
    assert AttendanceRecord.objects.get(child=first).status == AttendanceStatus.COLLECTED
    return check_in, check_out


def test_a_check_in_and_a_check_out_cost_the_same_queries_whatever_the_site(
    client, carer, site_a, term_a
):
    def fill(count):
        for n in range(count):
            child = enrolled_child(term_a)
            if n % 2:
                services.check_in(site=site_a, child=child, by=carer)

    client.force_login(carer)
    fill(20)
    small = act_costs(client, site_a, term_a, carer)
    fill(180)
    large = act_costs(client, site_a, term_a, carer)
    assert small == large
    check_in, check_out = small
    # The session and the user, the site and the child in one statement (two on SQLite); the act in its
    # transaction (its start and end counted), with its audit entry, the board's next version
    # and its change log's row; then the answer: the board version, the counters and the
    # ratio's figures in one statement, the rules; and whether the family chose the "arrived"
    # message (its consent; no guardians read when it did not).
    assert check_in <= (14 if connection.vendor == "postgresql" else 15), check_in
    # A check-out also writes the parents' messages: the child's consent, its guardians and
    # the messages in one insert.
    assert check_out <= 23, check_out
