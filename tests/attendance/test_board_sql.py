"""The board's hot-path SQL says exactly what the ORM rules say, across every case that
decides them: the enrolment's status × the term running or not × a closed day × the site
open that weekday or not × the states an incident can be in; and the counters."""

import itertools
from datetime import datetime, time, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from attendance import board_sql, selectors
from attendance.models import AttendanceRecord, AttendanceStatus, Incident, RollCall
from enrollment.models import ClosedDay, Enrollment, EnrollmentStatus, OpeningHours
from staff.models import DutyPeriod
from tests.factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FactoryFactory,
    FamilyFactory,
    SiteFactory,
    TermFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
TERMS = {
    "running": (TODAY - timedelta(days=10), TODAY + timedelta(days=10)),
    "starts today": (TODAY, TODAY + timedelta(days=10)),
    "ends today": (TODAY - timedelta(days=10), TODAY),
    "ended": (TODAY - timedelta(days=20), TODAY - timedelta(days=1)),
    "not begun": (TODAY + timedelta(days=1), TODAY + timedelta(days=20)),
}
STATUSES = EnrollmentStatus.values
INCIDENTS = [
    "none",
    "today",
    "today acknowledged",
    "earlier open",
    "earlier acknowledged",
    # The edges of the day, in the site's time zone.
    "midnight acknowledged",
    "just before midnight acknowledged",
]
RECORDS = [None, AttendanceStatus.PRESENT, AttendanceStatus.COLLECTED, AttendanceStatus.ABSENT]


def moment(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def add_incident(site, child, state):
    if state == "none":
        return
    start = timezone.make_aware(datetime.combine(TODAY, time()))
    at = {
        "midnight acknowledged": start,
        "just before midnight acknowledged": start - timedelta(microseconds=1),
    }.get(state) or moment(TODAY if state.startswith("today") else TODAY - timedelta(days=3), 10)
    Incident.objects.create(
        site=site,
        child=child,
        kind="injury",
        occurred_at=at,
        description="摔倒",
        action_taken="消毒",
        acknowledged_at=at + timedelta(hours=7) if "acknowledged" in state else None,
        acknowledged_by_name="李秀英" if "acknowledged" in state else "",
    )


def add_record(site, child, status):
    if status is None:
        return
    at = moment(TODAY, 8)
    AttendanceRecord.objects.create(
        site=site,
        child=child,
        day=TODAY,
        status=status,
        checked_in_at=at if status != AttendanceStatus.ABSENT else None,
        checked_out_at=at + timedelta(hours=8) if status == AttendanceStatus.COLLECTED else None,
        absence_reason="ill" if status == AttendanceStatus.ABSENT else "",
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """A site with a term in each state (closed today or not) and a child in each of them
    in each enrolment status, with each kind of incident and each kind of record. Built once
    for the module in a transaction rolled back at its end; each test runs in a savepoint
    inside it, so what a test changes is gone for the next."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world(FactoryFactory())
        transaction.set_rollback(True)


def _build_world(factory_a):
    site = SiteFactory(factory=factory_a)
    other_site = SiteFactory(factory=factory_a)
    cases = []
    combos = itertools.product(TERMS, (False, True), STATUSES)
    for n, (term_state, closed, status) in enumerate(combos):
        starts, ends = TERMS[term_state]
        term = TermFactory(site=site, starts_on=starts, ends_on=ends)
        if closed:
            ClosedDay.objects.create(term=term, date=TODAY, reason="台风")
        for m, incident in enumerate(INCIDENTS):
            family = FamilyFactory(factory=factory_a)
            child = ChildFactory(family=family)
            ConsentFactory(child=child)
            EnrollmentFactory(child=child, term=term, status=status)
            add_incident(site, child, incident)
            add_record(site, child, RECORDS[(n + m) % len(RECORDS)])
            cases.append((child, (term_state, closed, status, incident)))
    # Noise that must not count: an incident at another site, staff on duty elsewhere.
    add_incident(other_site, cases[0][0], "today")
    for where in (site, site, other_site):
        DutyPeriod.objects.create(
            site=where, user=UserFactory(sites=[where]), clock_in_at=moment(TODAY, 7)
        )
    DutyPeriod.objects.create(
        site=site,
        user=UserFactory(sites=[site]),
        clock_in_at=moment(TODAY, 7),
        clock_out_at=moment(TODAY, 8),
    )
    site.next_board_seq()
    return site, cases


@pytest.fixture(params=["open today", "closed weekday"])
def opening(request, world):
    site, cases = world
    if request.param == "closed weekday":
        OpeningHours.objects.filter(site=site, weekday=TODAY.weekday()).delete()
    return site, cases


def test_the_check_in_statement_agrees_with_the_orm_rules(opening):
    site, cases = opening
    disagree = []
    expected_somewhere = shown_somewhere = False
    for child, case in cases:
        with transaction.atomic():
            sql = board_sql.lock_expected_child(child, site, TODAY)
        orm = (
            Enrollment.objects.expected_at(site, TODAY).filter(child=child).exists(),
            Incident.objects.to_show(site, TODAY).filter(child=child).exists(),
        )
        expected_somewhere |= orm[0]
        shown_somewhere |= orm[1]
        if sql != orm:
            disagree.append((case, sql, orm))
    assert disagree == []
    # Both answers occur among the cases (when the site opens that weekday).
    assert shown_somewhere
    open_today = OpeningHours.objects.filter(site=site, weekday=TODAY.weekday()).exists()
    assert expected_somewhere == open_today


def test_the_summary_statement_agrees_with_the_orm_rules(opening):
    site, cases = opening
    summary = board_sql.summary(site, TODAY)
    counts, ages = selectors.day_counts(site=site, day=TODAY)
    site.refresh_from_db()
    assert summary.seq == site.board_seq == 1
    assert summary.counts == counts
    assert sorted(summary.present_ages) == sorted(ages)
    assert summary.staff_on_duty == 2
    if OpeningHours.objects.filter(site=site, weekday=TODAY.weekday()).exists():
        assert sum(counts.values()) > 0 and counts[AttendanceStatus.PRESENT] > 0
    else:
        assert sum(counts.values()) == 0


@pytest.mark.parametrize("weekdays", [range(7), range(5)], ids=["every day", "weekdays only"])
def test_a_term_walked_day_by_day_opens_when_the_query_says_it_does(world, weekdays):
    """site_days and the child's calendar walk days in Python: Term.runs_on holds to
    Term.objects.running_on, and Term.opens_on to the days Enrollment.objects.expected_at
    puts a child on the list."""
    from enrollment.models import Term

    site, _cases = world
    OpeningHours.objects.filter(site=site).exclude(weekday__in=weekdays).delete()
    open_weekdays = set(OpeningHours.objects.filter(site=site).values_list("weekday", flat=True))
    disagree = []

    def enrolled(term):
        return term.enrollments.filter(status=EnrollmentStatus.ENROLLED).exists()

    for term in Term.objects.filter(site=site).prefetch_related("closed_days"):
        closed = {c.date for c in term.closed_days.all()}
        for offset in (-21, -20, -11, -10, -1, 0, 1, 2, 3, 4, 5, 6, 10, 11, 20, 21):
            day = TODAY + timedelta(days=offset)
            running = Term.objects.running_on(day).filter(pk=term.pk).exists()
            expected = Enrollment.objects.filter(term=term).expected_at(site, day).exists()
            walked = (
                term.runs_on(day, closed),
                term.opens_on(day, closed, open_weekdays) and enrolled(term),
            )
            if walked != (running, expected):
                disagree.append((term.starts_on, term.ends_on, sorted(closed), day, walked))
    assert disagree == []


def test_the_version_changes_with_everything_the_board_shows_and_nothing_else(opening):
    """The board's version, in one statement: a refresh is answered with nothing only while
    none of what the board shows changed. Each change below must give a new version; reading
    again without a change, or changing another site, must not. (Ending a roll call gives
    back the version before it began, unless something else moved: what the board shows is
    then the same.)"""
    site, cases = opening
    other_site = SiteFactory(factory=site.factory)
    now = moment(TODAY, 9)
    seen = [selectors.board_version(site, TODAY, now).fingerprint]

    def changed():
        fingerprint = selectors.board_version(site, TODAY, now).fingerprint
        assert fingerprint != seen[-1]
        seen.append(fingerprint)
        assert selectors.board_version(site, TODAY, now).fingerprint == fingerprint

    assert selectors.board_version(site, TODAY, now).fingerprint == seen[0]
    child = cases[0][0]
    # After every time the module's world holds (its rows written now are stamped now).
    later = max(moment(TODAY, 10), timezone.now() + timedelta(seconds=1))
    # A record of the day, without the site's version moving (an edit in the admin).
    record = AttendanceRecord.objects.filter(site=site, day=TODAY).first()
    AttendanceRecord.objects.filter(pk=record.pk).update(updated_at=later)
    changed()
    AttendanceRecord.objects.filter(pk=record.pk).delete()
    changed()
    enrollment = Enrollment.objects.filter(term__site=site).first()
    Enrollment.objects.filter(pk=enrollment.pk).update(status_changed_at=later)
    changed()
    EnrollmentFactory(child=ChildFactory(family=child.family), term=enrollment.term)
    changed()
    type(child).objects.filter(pk=child.pk).update(updated_at=later + timedelta(minutes=1))
    changed()
    duty = DutyPeriod.objects.create(
        site=site, user=UserFactory(sites=[site]), clock_in_at=later + timedelta(minutes=2)
    )
    changed()
    DutyPeriod.objects.filter(pk=duty.pk).update(clock_out_at=later + timedelta(minutes=3))
    changed()
    roll_call = RollCall.objects.create(site=site, kind="drill", started_at=later)
    changed()
    version = selectors.board_version(site, TODAY, now)
    assert (version.roll_call, version.roll_call_kind) == (roll_call.key, "drill")
    RollCall.objects.filter(pk=roll_call.pk).update(ended_at=later)
    changed()
    site.next_board_seq()
    changed()
    # Another site's changes are not this board's.
    DutyPeriod.objects.create(site=other_site, user=UserFactory(), clock_in_at=later)
    RollCall.objects.create(site=other_site, kind="drill", started_at=later)
    other_site.next_board_seq()
    assert selectors.board_version(site, TODAY, now).fingerprint == seen[-1]
    # The time of day: the overdue and afternoon flags and the five-minute step.
    assert selectors.board_version(site, TODAY, now + timedelta(minutes=5)).fingerprint != seen[-1]
    hours = selectors.board_version(site, TODAY, now).hours
    assert hours == selectors.opening_hours(site.pk, TODAY)
    if hours is not None:
        assert (hours.opens, hours.closes) == (
            selectors.opening_hours(site.pk, TODAY).opens,
            selectors.opening_hours(site.pk, TODAY).closes,
        )


def test_the_tiles_statement_agrees_with_the_orm_rules(opening):
    """A refresh's changed tiles: each child's record that day and incident flag, as the ORM
    reads them (PostgreSQL; elsewhere the ORM itself reads them)."""
    from django.db import connection

    site, cases = opening
    ids = [child.pk for child, _case in cases] + [0]
    read = board_sql.tiles(site, TODAY, ids)
    if connection.vendor != "postgresql":
        assert read is None
        return
    records, with_incident = read
    expected = {
        r.child_id: r for r in AttendanceRecord.objects.filter(site=site, day=TODAY, child__in=ids)
    }

    def seen(by_child):
        return {
            child: (r.pk, r.status, r.checked_in_at, r.checked_out_at, r.updated_at)
            for child, r in by_child.items()
        }

    assert seen(records) == seen(expected) and len(expected) > 0
    assert with_incident == set(
        Incident.objects.to_show(site, TODAY)
        .filter(child__in=ids)
        .values_list("child_id", flat=True)
    )
    assert 0 < len(with_incident) < len(cases)
