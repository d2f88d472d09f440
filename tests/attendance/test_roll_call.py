"""The emergency roll call: who is in it, marks from several tablets, its end and log, the
e-mails to the leads and coordinators; the lead's attention badges and the closed board."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from attendance import selectors, services, tasks
from attendance.models import RollCall, RollCallEntry
from enrollment.models import ClosedDay, OpeningHours
from staff import services as staff_services
from staff.models import DutyPeriod, Qualification
from tests.factories import (
    RoomFactory,
    SiteFactory,
    TermFactory,
    UserFactory,
    enrolled_child,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def present(term_a, site_a, carer):
    """Three children in, one not yet, one staff member on duty."""
    children = [enrolled_child(term_a, name=name) for name in ("王小明", "李梓涵", "张一诺")]
    for child in children:
        services.check_in(site=site_a, child=child, by=carer)
    enrolled_child(term_a, name="陈欣怡")  # expected, not here: not in the roll call
    DutyPeriod.objects.create(site=site_a, user=carer, clock_in_at=timezone.now())
    return children


def mark_url(roll_call, entry):
    return reverse(
        "attendance:roll_call_mark",
        kwargs={"site": roll_call.site_id, "roll_call": roll_call.key, "entry": entry.key},
    )


def live_url(roll_call):
    return reverse(
        "attendance:roll_call_live", kwargs={"site": roll_call.site_id, "roll_call": roll_call.key}
    )


def test_a_roll_call_lists_the_children_present_and_the_staff_on_duty(
    site_a, carer, present, celery_eager, coordinator, site_lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        roll_call, new = services.roll_call_start(
            site=site_a, kind="drill", by=carer, tell=tasks.tell_roll_call.delay
        )
    assert new
    names = set(roll_call.entries.values_list("name", flat=True))
    assert names == {"王小明", "李梓涵", "张一诺", str(carer)}
    state = selectors.roll_call_state(roll_call)
    assert (state.total, state.accounted, len(state.missing)) == (4, 0, 4)
    # The leads and the coordinators are told at once.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([coordinator.email, site_lead.email])


def test_children_are_grouped_by_their_room(site_a, term_a, carer, present):
    room = RoomFactory(site=site_a, name="大班", min_age=0, max_age=18)
    roll_call, _new = services.roll_call_start(site=site_a, kind="drill", by=carer)
    groups = set(roll_call.entries.filter(child__isnull=False).values_list("group", flat=True))
    assert groups == {room.name}


def test_a_second_start_joins_the_open_roll_call(site_a, carer, site_lead, present):
    first, _new = services.roll_call_start(site=site_a, kind="drill", by=carer)
    second, new = services.roll_call_start(site=site_a, kind="emergency", by=site_lead)
    assert (second.pk, new) == (first.pk, False)
    assert RollCall.objects.count() == 1


def test_marks_from_two_tablets_meet_and_each_sees_the_other(
    client, site_a, carer, site_lead, present
):
    from django.test import Client

    roll_call, _new = services.roll_call_start(site=site_a, kind="drill", by=carer)
    tablet_1, tablet_2 = client, Client()
    tablet_1.force_login(carer)
    tablet_2.force_login(site_lead)
    first, second = list(roll_call.entries.order_by("name")[:2])
    seen = tablet_2.get(live_url(roll_call))
    version = _version(seen.content.decode())
    tablet_1.post(mark_url(roll_call, first), {"accounted": "1"})
    # The other tablet's next refresh brings the mark; a refresh with nothing new is a 204.
    fresh = tablet_2.get(live_url(roll_call), {"v": version})
    assert fresh.status_code == 200 and "rc-ok" in fresh.content.decode()
    assert (
        tablet_2.get(live_url(roll_call), {"v": _version(fresh.content.decode())}).status_code
        == 204
    )
    tablet_2.post(mark_url(roll_call, second), {"accounted": "1"})
    roll_call.refresh_from_db()
    assert roll_call.seq == 2
    assert set(RollCallEntry.objects.filter(accounted_at__isnull=False)) == {first, second}
    # The same mark again changes nothing; taking it back is a mark too.
    tablet_1.post(mark_url(roll_call, first), {"accounted": "1"})
    roll_call.refresh_from_db()
    assert roll_call.seq == 2
    tablet_1.post(mark_url(roll_call, first), {"accounted": "0"})
    first.refresh_from_db()
    assert first.accounted_at is None


def _version(html: str) -> str:
    import re

    return re.search(r'data-version="([^"]+)"', html)[1]


def test_the_end_tells_who_is_missing_and_no_mark_follows_it(
    client, site_a, carer, present, celery_eager, site_lead, django_capture_on_commit_callbacks
):
    roll_call, _new = services.roll_call_start(site=site_a, kind="emergency", by=carer)
    entries = list(roll_call.entries.order_by("name"))
    for entry in entries[:-1]:
        services.roll_call_mark(entry=entry, accounted=True, by=carer)
    mail.outbox.clear()
    site_lead.language = "en"
    site_lead.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        services.roll_call_end(
            roll_call=roll_call, by=carer, note="集合在厂区东门", tell=tasks.tell_roll_call.delay
        )
    missing = entries[-1]
    [lead_mail] = [m for m in mail.outbox if m.to == [site_lead.email]]
    assert missing.name in lead_mail.body and "1 person missing" in lead_mail.subject
    with pytest.raises(ValidationError):
        services.roll_call_mark(entry=missing, accounted=True, by=carer)
    client.force_login(carer)
    log = client.get(
        reverse("attendance:roll_call_log", kwargs={"site": site_a.pk, "roll_call": roll_call.key})
    ).content.decode()
    assert missing.name in log and "集合在厂区东门" in log


def test_the_clock_stops_when_everyone_is_accounted_for(site_a, carer, present):
    roll_call, _new = services.roll_call_start(
        site=site_a, kind="drill", by=carer, at=timezone.now() - timedelta(seconds=90)
    )
    for entry in roll_call.entries.all():
        services.roll_call_mark(entry=entry, accounted=True, by=carer)
    state = selectors.roll_call_state(roll_call)
    assert state.complete and 85 <= state.seconds <= 120


def test_the_board_shows_a_roll_call_going_on_to_every_tablet(client, carer, site_a, present):
    client.force_login(carer)
    board = reverse("attendance:site_board", args=[site_a.pk])
    assert "rollcall-banner" not in client.get(board).content.decode()
    roll_call, _new = services.roll_call_start(site=site_a, kind="emergency", by=carer)
    page = client.get(board).content.decode()
    assert "rollcall-banner" in page and str(roll_call.key) in page


def test_another_factorys_carer_finds_no_roll_call(client, site_a, site_b, carer, present):
    roll_call, _new = services.roll_call_start(site=site_a, kind="drill", by=carer)
    client.force_login(UserFactory(sites=[site_b]))
    entry = roll_call.entries.first()
    assert client.post(mark_url(roll_call, entry), {"accounted": "1"}).status_code == 404
    entry.refresh_from_db()
    assert entry.accounted_at is None


class TestTheLeadsAttention:
    def test_badges_count_what_needs_the_lead(self, client, site_lead, carer, site_a, term_a):
        from attendance.models import Incident

        child = enrolled_child(term_a)
        services.check_in(site=site_a, child=child, by=carer)
        Incident.objects.create(
            site=site_a,
            child=child,
            kind="injury",
            occurred_at=timezone.now(),
            description="摔倒",
            action_taken="冰敷",
        )
        services.refuse_pickup(site=site_a, child=child, by=carer, reason="not_listed", name="孙强")
        profile = staff_services.profile_for(carer)
        Qualification.objects.create(
            profile=profile,
            kind="first_aid",
            obtained_on=date(2024, 1, 1),
            expires_on=timezone.localdate() + timedelta(days=10),
        )
        attention = selectors.lead_attention(site_lead, site_a)
        assert (
            attention.incidents_to_review,
            attention.refused_today,
            attention.qualifications,
        ) == (1, 1, 1)
        client.force_login(site_lead)
        page = client.get(reverse("attendance:site_board", args=[site_a.pk])).content.decode()
        assert 'class="attention"' in page
        client.force_login(carer)
        page = client.get(reverse("attendance:site_board", args=[site_a.pk])).content.decode()
        assert 'class="attention"' not in page

    def test_the_leads_board_costs_the_same_queries_for_more_children(
        self, client, site_lead, site_a, term_a, carer
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(site_lead)
        board = reverse("attendance:site_board", args=[site_a.pk])

        def cost():
            with CaptureQueriesContext(connection) as captured:
                assert client.get(board).status_code == 200
            return len(captured.captured_queries)

        for _ in range(5):
            services.check_in(site=site_a, child=enrolled_child(term_a), by=carer)
        few = cost()
        for _ in range(40):
            services.check_in(site=site_a, child=enrolled_child(term_a), by=carer)
        assert cost() == few <= 17


class TestTheClosedBoard:
    def test_it_says_when_the_site_next_opens(self, factory_a):
        site = SiteFactory(factory=factory_a)
        today = timezone.localdate()
        term = TermFactory(
            site=site, starts_on=today + timedelta(days=3), ends_on=today + timedelta(days=40)
        )
        ClosedDay.objects.create(term=term, date=today + timedelta(days=3), reason="台风")
        OpeningHours.objects.filter(site=site).exclude(
            weekday=(today + timedelta(days=4)).weekday()
        ).exclude(weekday=(today + timedelta(days=3)).weekday()).delete()
        assert selectors.next_open_day(site, today) == today + timedelta(days=4)

    def test_none_when_no_term_is_planned(self, factory_a):
        site = SiteFactory(factory=factory_a)
        assert selectors.next_open_day(site, timezone.localdate()) is None


def test_drills_show_on_the_site_page_and_the_dashboard(
    client, coordinator, site_a, term_a, carer, present
):
    roll_call, _new = services.roll_call_start(
        site=site_a, kind="drill", by=carer, at=timezone.now() - timedelta(seconds=200)
    )
    for entry in roll_call.entries.all():
        services.roll_call_mark(entry=entry, accounted=True, by=carer)
    coordinator.language = "en"
    coordinator.save(update_fields=["language"])
    client.force_login(coordinator)
    page = client.get(reverse("outcomes:site", kwargs={"site": site_a.pk})).content.decode()
    assert "4 / 4" in page and "3:" in page  # everyone, in a little over three minutes
    import csv
    import io

    exported = client.get(reverse("outcomes:export") + "?table=term&format=csv")
    header, *rows = csv.reader(io.StringIO(exported.content.decode("utf-8-sig")))
    drills = header.index("Roll call drills")
    assert [row[drills] for row in rows if row[0] == site_a.name] == ["1"]
