"""Reads of the tablet board: today's children at a site, counters, a child's calendar,
a site's day sheet. Every read goes through ``ffs_portal.access`` and costs a fixed number
of queries whatever the number of children."""

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.models import (
    AbsenceReason,
    AttendanceRecord,
    AttendanceStatus,
    DigestRun,
    HealthCard,
    Incident,
    PickupDelegate,
    RefusedPickup,
    RollCall,
    RollCallEntry,
    StillCheckedInDelivery,
)
from enrollment.models import (
    Adult,
    Child,
    ClosedDay,
    Enrollment,
    EnrollmentStatus,
    OpeningHours,
    PickupPermission,
    Room,
    Site,
    Term,
    Worker,
)
from ffs_portal import access
from ffs_portal.lib import avatars, clock
from ffs_portal.lib.ages import age_on
from ffs_portal.models import Role
from staff.models import Qualification
from staff.selectors import EXPIRY_WARNING_DAYS

# A child still expected this long after opening is highlighted on the board.
OVERDUE_AFTER = timedelta(hours=1)
STATUS_ICONS: dict[str, str] = {
    AttendanceStatus.EXPECTED: "bi-hourglass-split",
    AttendanceStatus.PRESENT: "bi-check-circle-fill",
    AttendanceStatus.COLLECTED: "bi-house-check-fill",
    AttendanceStatus.ABSENT: "bi-x-circle-fill",
}


def opening_hours(site_id: int, day: date) -> OpeningHours | None:
    return OpeningHours.objects.filter(site_id=site_id, weekday=day.weekday()).first()


def site_expecting(child: Child, day: date) -> Site | None:
    """The site where ``child`` is expected on ``day``, if any."""
    enrollment = (
        Enrollment.objects.expected_on(day).filter(child=child).select_related("term__site").first()
    )
    return enrollment.term.site if enrollment else None


def is_expected(*, site: Site, child: Child, day: date) -> bool:
    return Enrollment.objects.expected_at(site, day).filter(child=child).exists()


def expected_child_ids(*, site: Site, day: date, child_ids) -> set[int]:
    return set(
        Enrollment.objects.expected_at(site, day)
        .filter(child_id__in=child_ids)
        .values_list("child_id", flat=True)
    )


def matches(child: "Child | BoardChild", query: str) -> bool:
    """Search by characters of the name, pinyin initials (wxm) or full pinyin (wangxiaoming)."""
    query = query.strip()
    if not query:
        return True
    if query in child.name:
        return True
    plain = query.lower().replace(" ", "")
    return plain.isascii() and (
        child.name_initials.startswith(plain) or child.name_pinyin.startswith(plain)
    )


@dataclass
class BoardChild:
    """What a tile shows of a child (read as plain values; never hukou or medical notes)."""

    FIELDS = (
        "id",
        "key",
        "name",
        "name_initials",
        "name_pinyin",
        "date_of_birth",
        "allergies",
        "photo",
        "family_id",
    )
    pk: int
    key: UUID
    name: str
    name_initials: str
    name_pinyin: str
    date_of_birth: date
    allergies: str
    photo: str
    family_id: int

    def age_on(self, day: date) -> int:
        return age_on(self.date_of_birth, day)


@dataclass
class Tile:
    child: Child | BoardChild
    record: AttendanceRecord | None
    age: int
    overdue: bool = False
    incident: bool = False
    room: Room | None = None
    # The board version the tile shows, when it is not the board's own.
    seq: int | None = None
    # A medicine's reminder: "due" or "missed" (the board's page and refresh only).
    medicine: str = ""

    @property
    def status(self) -> str:
        return self.record.status if self.record else AttendanceStatus.EXPECTED

    @property
    def not_admitted(self) -> bool:
        """Sent home with a red card at the morning check: not present, not awaited."""
        return self.record is not None and self.record.health_card == HealthCard.RED

    @property
    def status_label(self) -> str:
        if self.not_admitted:
            return _("Not admitted")
        if self.overdue:
            return _("Not here yet")
        if self.record is not None and self.record.absence_reason == AbsenceReason.PARENT:
            return str(AbsenceReason.PARENT.label)
        return str(AttendanceStatus(self.status).label)

    @property
    def icon(self) -> str:
        if self.not_admitted:
            return "bi-x-octagon-fill"
        if self.overdue:
            return "bi-alarm-fill"
        return STATUS_ICONS[self.status]

    @property
    def avatar(self) -> str:
        return avatars.avatar_text(self.child.name)

    @property
    def colour(self) -> str:
        return avatars.avatar_colour(self.child.key)


@dataclass
class Group:
    name: str
    tiles: list[Tile] = field(default_factory=list)


@dataclass(frozen=True)
class BoardVersion:
    """``seq``: the site's board version, which every act advances; what the tablet compares
    to keep the newest of two answers. ``fingerprint``: ``seq`` and everything else the board
    shows (enrolments, children's details, staff on duty, the time of day), to answer a
    refresh with nothing when nothing changed; in parts joined by "~" (``seq``, the day's
    records, the ``structure``) that ``board_changes`` compares to send only what changed."""

    seq: int
    fingerprint: str
    # What the fingerprint says besides the version and the day's records: the enrolments,
    # the children's details, staff on duty, a roll call, the time of day, the day.
    structure: str = ""
    # The roll call going on at the site, if any (its key and kind), for the board's banner.
    roll_call: object = None
    roll_call_kind: str = ""
    # The site's opening hours that day, as read for the version (None: closed).
    hours: OpeningHours | None = None


@dataclass
class Board:
    site: Site
    day: date
    hours: OpeningHours | None
    is_open: bool
    groups: list[Group]
    counts: dict
    afternoon: bool
    version: BoardVersion | None
    query: str = ""
    # Ages of the children present now, for the child-to-staff ratio.
    present_ages: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


STATUS_ORDER: dict[bool, list[str]] = {
    False: [  # morning: not yet arrived first
        AttendanceStatus.EXPECTED,
        AttendanceStatus.PRESENT,
        AttendanceStatus.ABSENT,
        AttendanceStatus.COLLECTED,
    ],
    True: [  # afternoon: those still here first
        AttendanceStatus.PRESENT,
        AttendanceStatus.EXPECTED,
        AttendanceStatus.COLLECTED,
        AttendanceStatus.ABSENT,
    ],
}


def is_afternoon(hours: OpeningHours | None, moment: datetime) -> bool:
    """Past the middle of the day's opening hours (noon when the site is closed)."""
    local = timezone.localtime(moment)
    if hours is None:
        return local.time() >= time(12)
    opens = datetime.combine(local.date(), hours.opens)
    closes = datetime.combine(local.date(), hours.closes)
    return local.replace(tzinfo=None) >= opens + (closes - opens) / 2


def is_overdue_time(hours: OpeningHours | None, moment: datetime) -> bool:
    if hours is None:
        return False
    local = timezone.localtime(moment)
    return local.replace(tzinfo=None) >= datetime.combine(local.date(), hours.opens) + OVERDUE_AFTER


def room_for_age(age: int, rooms: list[Room]) -> Room | None:
    """The room whose age range takes a child without a room of their own."""
    return next((room for room in rooms if room.min_age <= age <= room.max_age), None)


def board_version(site: Site, day: date, moment: datetime) -> BoardVersion:
    """The board's version, in one query (``board_sql.VERSION``)."""
    from attendance import board_sql

    row = board_sql.version(site, day)
    # Reminders come and go with the time of day (a medicine due from a quarter of an hour
    # before its time): the board is drawn again every five minutes at most.
    local = timezone.localtime(moment)
    moment_flags = (
        is_overdue_time(row.hours, moment),
        is_afternoon(row.hours, moment),
        (local.hour * 60 + local.minute) // 5,
    )
    # The day's records: their latest change, how many, the last one's id.
    records = row.stamps[:3]
    structure = "-".join(
        str(v) for v in (*row.stamps[3:], row.roll_call, *moment_flags, day.isoformat())
    )
    # "~" occurs in none of the parts (a datetime has "-", ":", "+" and a space): a refresh
    # splits the version it holds back into them (``board_changes``).
    fingerprint = "~".join(str(v) for v in (row.seq, *records, structure))
    return BoardVersion(
        seq=row.seq,
        fingerprint=fingerprint,
        structure=structure,
        roll_call=row.roll_call,
        roll_call_kind=row.roll_call_kind,
        hours=row.hours,
    )


def board_changes(site: Site, day: date, held: str, version: BoardVersion) -> list[int] | None:
    """The ids of the children whose tiles changed since the version a tablet holds
    (``held``, a fingerprint) up to ``version``, read in the same snapshot; None when only
    the whole board can say what changed: the structure changed (enrolments, children's
    details, staff on duty, a roll call, the time of day, the day), a version in between is
    not logged or not by child (an incident, a staff clock-in, a log pruned), or a record of
    a child not logged changed without a version (an edit by hand). One query."""
    from attendance import board_sql

    parts = held.split("~")
    if len(parts) != 5 or parts[4] != version.structure:
        return None
    try:
        held_seq, held_count = int(parts[0]), int(parts[2])
        held_changed = None if parts[1] == "None" else datetime.fromisoformat(parts[1])
        held_last = 0 if parts[3] == "None" else int(parts[3])
    except ValueError:
        return None
    if held_changed is not None and timezone.is_naive(held_changed):
        return None
    if not 0 <= held_seq < version.seq:
        return None
    found = board_sql.changes(site, day, held_seq, version.seq, held_last)
    if found is None or found.versions != version.seq - held_seq or found.unknown:
        return None
    # The other children's records are as the held version saw them: none changed after it,
    # and as many as it counted less those of the logged children it counted. (Counting
    # these by id can only count too many, when a record written before the held version
    # was committed after it: the numbers then differ, and the whole board is sent.)
    if found.others_changed is not None and (
        held_changed is None or found.others_changed > held_changed
    ):
        return None
    if found.others != held_count - found.named_before:
        return None
    return found.children


def board(
    *,
    user,
    site: Site,
    at: datetime | None = None,
    query: str = "",
    records_query=None,
    reminders: Mapping[int, str] | None = None,
    version: BoardVersion | None = None,
) -> Board:
    """Today's board for a site: tiles grouped by room (or by the rooms' age ranges), sorted
    for the time of day, with counters. ``reminders`` (child id → what the tile reminds of,
    e.g. a medicine "due") come from the caller, and so may the ``version`` read in the same
    snapshot."""
    reminders = reminders or {}
    at = at or clock.now()
    day = timezone.localdate(at)
    # The day sheet passes its own records and needs no version.
    if version is None and records_query is None:
        version = board_version(site, day, at)
    hours = version.hours if version is not None else opening_hours(site.pk, day)
    rooms = list(access.scoped(user, Room).filter(site=site))
    # Plain rows, not model instances: a board of 200 children is built many times a minute.
    rows = (
        Enrollment.objects.expected_at(site, day)
        .filter(pk__in=access.scoped(user, Enrollment).values("pk"))
        .order_by("child__name_pinyin", "child_id")
        .values_list("room_id", *(f"child__{name}" for name in BoardChild.FIELDS))
    )
    if records_query is None:
        records_query = access.scoped(user, AttendanceRecord).filter(site=site, day=day)
    records = {record.child_id: record for record in records_query}
    with_incident = set(
        access.scoped(user, Incident.objects.to_show(site, day)).values_list("child_id", flat=True)
    )
    overdue_time = day == clock.today() and is_overdue_time(hours, at)
    afternoon = is_afternoon(hours, at)
    counts = dict.fromkeys(AttendanceStatus.values, 0)
    present_ages = []
    by_group: dict[int | None, Group] = {}
    seen = set()
    rooms_by_id = {room.pk: room for room in rooms}
    for room_id, *values in rows:
        child = BoardChild(*values)
        if child.pk in seen:
            continue
        seen.add(child.pk)
        age = child.age_on(day)
        tile = Tile(
            child=child,
            record=records.get(child.pk),
            age=age,
            incident=child.pk in with_incident,
            room=rooms_by_id.get(room_id) or room_for_age(age, rooms),
            medicine=reminders.get(child.pk, ""),
        )
        tile.overdue = (
            overdue_time and tile.status == AttendanceStatus.EXPECTED and not tile.not_admitted
        )
        counts[tile.status] += 1
        if tile.status == AttendanceStatus.PRESENT:
            present_ages.append(age)
        if not matches(child, query):
            continue
        key = tile.room.pk if tile.room else None
        if key not in by_group:
            by_group[key] = Group(tile.room.name if tile.room else "")
        by_group[key].tiles.append(tile)
    order = STATUS_ORDER[afternoon]
    groups = [by_group[room.pk] for room in rooms if room.pk in by_group]
    if None in by_group:
        by_group[None].name = _("Other children") if groups else _("All children")
        groups.append(by_group[None])
    for group in groups:
        group.tiles.sort(key=lambda t: (order.index(t.status), not t.overdue))
    return Board(
        site=site,
        day=day,
        hours=hours,
        # Children on the list mean a term is running; only an empty list needs asking.
        is_open=hours is not None and (bool(seen) or _term_running(site, day)),
        groups=groups,
        counts=counts,
        present_ages=present_ages,
        afternoon=afternoon,
        version=version,
        query=query,
    )


def _term_running(site: Site, day: date) -> bool:
    return Term.objects.running_on(day).filter(site=site).exists()


def day_counts(*, site: Site, day: date) -> tuple[dict, list[int]]:
    """How many children are expected, present, collected and absent, and the ages of those
    present (for the ratio), in two small queries."""
    on_list = Enrollment.objects.expected_at(site, day).values("child")
    total = on_list.order_by().values("child").distinct().count()
    rows = AttendanceRecord.objects.filter(site=site, day=day, child__in=on_list).values_list(
        "status", "child__date_of_birth"
    )
    result = dict.fromkeys(AttendanceStatus.values, 0)
    present_ages = []
    for status, born in rows:
        result[status] += 1
        if status == AttendanceStatus.PRESENT:
            present_ages.append(age_on(born, day))
    result[AttendanceStatus.EXPECTED] = total - sum(
        result[s]
        for s in (AttendanceStatus.PRESENT, AttendanceStatus.COLLECTED, AttendanceStatus.ABSENT)
    )
    return result, present_ages


@dataclass
class AnswerState:
    """What an act's answer shows: the tiles of the children it touched and the site's
    counters, all at board version ``seq``."""

    seq: int
    tiles: list[Tile]
    counts: dict
    present_ages: list[int]
    staff_on_duty: int


def answer_state(*, site: Site, children, at: datetime, known=None) -> AnswerState:
    """The tiles of ``children`` and the site's counters now, with the board versions they
    show. ``known``: the records an act left, by child id, with the version of that act and
    the incident flag if the act found it out; their tiles are of that version. The others are read (inside
    ``ffs_portal.lib.db.snapshot``, they are of the counters' version). Two to four
    queries whatever the number of children (two or three on PostgreSQL)."""
    from attendance import board_sql

    known = known or {}
    day = timezone.localdate(at)
    summary = board_sql.summary(site, day)
    children = list(children)
    ids = [child.pk for child in children]
    unknown = [pk for pk in ids if pk not in known]
    records = {pk: record for pk, (record, _seq, _flag) in known.items()}
    with_incident = {pk for pk, (_record, _seq, flag) in known.items() if flag}
    unflagged = [pk for pk in ids if pk not in known or known[pk][2] is None]
    read = board_sql.tiles(site, day, unknown) if unknown else None
    if read is not None:
        found, flagged = read
        records.update(found)
        with_incident.update(flagged)
        unflagged = [pk for pk in unflagged if pk in known]
    elif unknown:
        records.update(
            (record.child_id, record)
            for record in AttendanceRecord.objects.filter(
                site=site, day=day, child_id__in=unknown
            ).order_by()
        )
    if unflagged:
        with_incident.update(
            Incident.objects.to_show(site, day)
            .filter(child_id__in=unflagged)
            .values_list("child_id", flat=True)
        )
    tiles = [
        Tile(
            child=child,
            record=records.get(child.pk),
            age=child.age_on(day),
            incident=child.pk in with_incident,
            seq=known[child.pk][1] if child.pk in known else summary.seq,
        )
        for child in children
    ]
    expected = [
        tile for tile in tiles if tile.status == AttendanceStatus.EXPECTED and not tile.not_admitted
    ]
    if expected and is_overdue_time(opening_hours(site.pk, day), at):
        for tile in expected:
            tile.overdue = True
    return AnswerState(
        seq=summary.seq,
        tiles=tiles,
        counts=summary.counts,
        present_ages=summary.present_ages,
        staff_on_duty=summary.staff_on_duty,
    )


def board_child(user, site: Site, key) -> Child:
    """A child of the site's board by key, or 404 (another factory's child, or not here)."""
    return access.get_scoped_or_404(
        user,
        Child.objects.select_related("family__factory").filter(
            Exists(Enrollment.objects.filter(child=OuterRef("pk"), term__site=site))
        ),
        key=key,
    )


@dataclass
class Collectors:
    workers: list
    allowed: list  # PickupPermission, valid today
    not_allowed: list  # PickupPermission with allowed=False
    expired: list  # PickupPermission allowed but not valid today
    delegate: PickupDelegate | None = None  # named by a parent for today, code not yet used


def collectors(child: Child, day: date) -> Collectors:
    """Who may collect a child today, and who may not (reached through the child: childcare
    workers never see families or HR records as such)."""
    workers = list(child.family.workers.only("id", "name", "mobile", "family_id"))
    permissions = list(
        PickupPermission.objects.filter(child=child).select_related("adult").order_by("adult__name")
    )
    return Collectors(
        workers=workers,
        allowed=[p for p in permissions if p.is_valid_on(day)],
        not_allowed=[p for p in permissions if not p.allowed],
        expired=[p for p in permissions if p.allowed and not p.is_valid_on(day)],
        delegate=PickupDelegate.objects.filter(child=child, day=day, used_at__isnull=True)
        .select_related("named_by")
        .first(),
    )


def delegate_today(child: Child, key: str, day: date) -> PickupDelegate | None:
    """ "delegate:<key>" as the board sends the adult a parent named for today."""
    try:
        value = UUID(key)
    except ValueError:
        return None
    return PickupDelegate.objects.filter(child=child, day=day, key=value).first()


@dataclass
class ChildDay:
    """One child's day as the parents' page shows it."""

    child: Child
    record: AttendanceRecord | None
    incidents: list
    week: list  # (day, record or None), Monday to today
    delegate: PickupDelegate | None


def family_days(children_of_the_family: QuerySet[Child], day: date) -> list[ChildDay]:
    """The children of a family and their day: status, who brought and collected them,
    incidents, this week's attendance and today's delegate. A fixed number of queries."""
    children = list(children_of_the_family.order_by("date_of_birth", "pk"))
    monday = day - timedelta(days=day.weekday())
    records: dict[int, dict[date, AttendanceRecord]] = {}
    for record in AttendanceRecord.objects.filter(
        child__in=children, day__gte=monday, day__lte=day
    ).order_by("day", "pk"):
        records.setdefault(record.child_id, {})[record.day] = record
    incidents: dict[int, list] = {}
    for incident in (
        Incident.objects.filter(child__in=children)
        .filter(Q(occurred_at__date=day) | Q(acknowledged_at__isnull=True))
        .order_by("occurred_at")
    ):
        incidents.setdefault(incident.child_id, []).append(incident)
    delegates = {
        d.child_id: d
        for d in PickupDelegate.objects.filter(child__in=children, day=day, used_at__isnull=True)
    }
    days = [monday + timedelta(days=n) for n in range((day - monday).days + 1)]
    return [
        ChildDay(
            child=child,
            record=records.get(child.pk, {}).get(day),
            incidents=incidents.get(child.pk, []),
            week=[(d, records.get(child.pk, {}).get(d)) for d in days],
            delegate=delegates.get(child.pk),
        )
        for child in children
    ]


def family_person(child: Child, value: str) -> Worker | Adult | None:
    """ "worker:12" or "adult:7" as the board sends a person, looked up among the child's own
    family only."""
    kind, _sep, pk = (value or "").partition(":")
    if not pk.isdigit():
        return None
    if kind == "worker":
        return Worker.objects.filter(family_id=child.family_id, pk=pk).first()
    if kind == "adult":
        return Adult.objects.filter(family_id=child.family_id, pk=pk).first()
    return None


def site_leads(site: Site) -> list:
    return list(site.users.filter(role=Role.SITE_LEAD, is_active=True))


def child_incidents(child: Child, site: Site, day: date) -> list[Incident]:
    """Incidents shown on the child's sheet: today's and any not yet acknowledged."""
    return list(
        Incident.objects.to_show(site, day)
        .filter(child=child)
        .select_related("reported_by", "reviewed_by")
    )


def record_today(child: Child, site: Site, day: date) -> AttendanceRecord | None:
    return (
        AttendanceRecord.objects.filter(child=child, site=site, day=day)
        .select_related("checked_in_by", "checked_out_by")
        .first()
    )


@dataclass
class CalendarDay:
    day: date
    in_month: bool
    expected: bool = False
    record: AttendanceRecord | None = None
    future: bool = False

    @property
    def status(self) -> str:
        if self.record:
            return self.record.status
        if self.expected and not self.future:
            return "unrecorded"
        return ""


def child_calendar(*, user, site: Site, child: Child, month: date) -> list[list[CalendarDay]]:
    """A month of a child's attendance at a site, as weeks of days (Monday first)."""
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    records = {
        r.day: r
        for r in access.scoped(user, AttendanceRecord).filter(
            site=site, child=child, day__gte=first, day__lte=last
        )
    }
    terms = list(
        Term.objects.filter(
            site=site,
            enrollments__child=child,
            enrollments__status__in=[EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED],
            starts_on__lte=last,
            ends_on__gte=first,
        )
        .distinct()
        .prefetch_related(
            Prefetch(
                "closed_days",
                queryset=ClosedDay.objects.filter(date__gte=first, date__lte=last),
            )
        )
    )
    closed = {term.pk: {c.date for c in term.closed_days.all()} for term in terms}
    open_weekdays = set(site.opening_hours.values_list("weekday", flat=True))
    today = clock.today()
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        row = []
        for day in week:
            expected = any(term.opens_on(day, closed[term.pk], open_weekdays) for term in terms)
            row.append(
                CalendarDay(
                    day=day,
                    in_month=day.month == first.month,
                    expected=expected,
                    record=records.get(day) if day.month == first.month else None,
                    future=day > today,
                )
            )
        weeks.append(row)
    return weeks


@dataclass
class DaySheet:
    board: Board
    rows: list[Tile]
    refusals: list[RefusedPickup]
    incidents: list[Incident]

    @property
    def cards(self) -> dict[str, int]:
        """The morning health check's cards of the day, counted ("total" for all)."""
        counts = dict.fromkeys(HealthCard.values, 0)
        for row in self.rows:
            if row.record is not None and row.record.health_card:
                counts[row.record.health_card] += 1
        return {**counts, "total": sum(counts.values())}


def day_sheet(*, user, site: Site, day: date) -> DaySheet:
    """Everything that happened at a site on a day, for printing: each child with times and
    who dropped off and collected, refused pickups and incidents."""
    at = timezone.make_aware(datetime.combine(day, time(23, 59)))
    if day == clock.today():
        at = clock.now()
    records = list(
        access.scoped(user, AttendanceRecord)
        .filter(site=site, day=day)
        .select_related("child", "checked_in_by", "checked_out_by")
    )
    sheet_board = board(user=user, site=site, at=at, records_query=records)
    rows = [tile for group in sheet_board.groups for tile in group.tiles]
    known = {tile.child.pk for tile in rows}
    # Children with a record that day who are no longer on the list (withdrawn since).
    rows += [
        Tile(child=r.child, record=r, age=r.child.age_on(day))
        for r in records
        if r.child_id not in known
    ]
    rows.sort(key=lambda t: (t.room.min_age if t.room else 99, t.child.name_pinyin, t.child.pk))
    refusals = list(
        access.scoped(user, RefusedPickup)
        .filter(site=site, day=day)
        .select_related("child", "by")
        .order_by("at")
    )
    incidents = list(
        access.scoped(user, Incident)
        .filter(site=site, occurred_at__date=day)
        .select_related("child", "reported_by", "reviewed_by")
        .order_by("occurred_at")
    )
    return DaySheet(board=sheet_board, rows=rows, refusals=refusals, incidents=incidents)


def site_incidents(*, user, site: Site, pending_only: bool = False):
    incidents = (
        access.scoped(user, Incident)
        .filter(site=site)
        .select_related("child", "reported_by", "reviewed_by")
        .order_by("reviewed_at", "-occurred_at")
    )
    if pending_only:
        incidents = incidents.filter(reviewed_at__isnull=True)
    return incidents


def board_sites(user):
    return access.scoped(user, Site).select_related("factory").order_by("name")


# Emergency roll call and the lead's attention -------------------------------------------


def child_groups(site: Site, day: date, children: list[Child]) -> dict[int, str]:
    """The group each child is in on the board: the room of their enrolment, or the room
    their age fits, or none."""
    rooms = list(Room.objects.filter(site=site))
    by_id = {room.pk: room for room in rooms}
    rooms_of = dict(
        Enrollment.objects.expected_at(site, day)
        .filter(child__in=children)
        .values_list("child_id", "room_id")
    )
    groups = {}
    for child in children:
        room_id = rooms_of.get(child.pk)
        room = (by_id.get(room_id) if room_id else None) or room_for_age(child.age_on(day), rooms)
        groups[child.pk] = room.name if room else ""
    return groups


def open_roll_call(site: Site) -> RollCall | None:
    return RollCall.objects.filter(site=site, ended_at__isnull=True).first()


@dataclass
class RollCallGroup:
    name: str
    entries: list[RollCallEntry] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return sum(1 for entry in self.entries if entry.accounted_at is None)


@dataclass
class RollCallState:
    roll_call: RollCall
    missing: list[RollCallEntry]
    groups: list[RollCallGroup]
    total: int
    accounted: int
    # Seconds from the start to the moment the last person was accounted for (or to now).
    seconds: int
    version: str

    @property
    def complete(self) -> bool:
        return self.total == self.accounted


def roll_call_state(roll_call: RollCall, now: datetime | None = None) -> RollCallState:
    """Everyone of a roll call, the missing first, then by group; in two queries."""
    entries = list(roll_call.entries.select_related("accounted_by").order_by("group", "name"))
    groups: dict[str, RollCallGroup] = {}
    for entry in entries:
        groups.setdefault(entry.group, RollCallGroup(entry.group or _("Children"))).entries.append(
            entry
        )
    accounted = [entry.accounted_at for entry in entries if entry.accounted_at]
    if entries and len(accounted) == len(entries):
        end = max(accounted)
    else:
        end = roll_call.ended_at or now or clock.now()
    return RollCallState(
        roll_call=roll_call,
        missing=[entry for entry in entries if entry.accounted_at is None],
        groups=list(groups.values()),
        total=len(entries),
        accounted=len(accounted),
        seconds=max(0, int((end - roll_call.started_at).total_seconds())),
        version=str(roll_call.seq),
    )


def site_roll_calls(site: Site, since: date | None = None) -> QuerySet[RollCall]:
    roll_calls = RollCall.objects.filter(site=site).select_related("started_by", "ended_by")
    if since is not None:
        roll_calls = roll_calls.filter(started_at__date__gte=since)
    return roll_calls


@dataclass
class Attention:
    """What a site lead should look at today, each with how many."""

    incidents_to_review: int
    refused_today: int
    still_expected: int
    qualifications: int

    @property
    def total(self) -> int:
        return (
            self.incidents_to_review
            + self.refused_today
            + self.still_expected
            + self.qualifications
        )


def lead_attention(user, site: Site, now: datetime | None = None) -> Attention:
    """The lead's badges: incidents not reviewed, pickups refused today, children still
    expected an hour after opening, staff qualifications lapsing within 30 days."""
    now = now or clock.now()
    day = timezone.localdate(now)
    hours = opening_hours(site.pk, day)
    still_expected = 0
    if is_overdue_time(hours, now):
        arrived = (
            AttendanceRecord.objects.filter(site=site, day=day)
            .exclude(status=AttendanceStatus.EXPECTED)
            .values("child")
        )
        still_expected = (
            Enrollment.objects.expected_at(site, day)
            .exclude(child__in=arrived)
            .values("child")
            .distinct()
            .count()
        )
    return Attention(
        incidents_to_review=Incident.objects.filter(site=site, reviewed_at__isnull=True).count(),
        refused_today=RefusedPickup.objects.filter(site=site, day=day).count(),
        still_expected=still_expected,
        qualifications=Qualification.objects.filter(
            profile__user__sites=site,
            profile__user__is_active=True,
            expires_on__isnull=False,
            expires_on__lte=day + timedelta(days=EXPIRY_WARNING_DAYS),
        ).count(),
    )


def refused_pickups(site: Site, day: date) -> QuerySet[RefusedPickup]:
    return RefusedPickup.objects.filter(site=site, day=day).select_related("child", "by", "adult")


def next_open_day(site: Site, after: date, within_days: int = 366) -> date | None:
    """The first day after ``after`` when the site expects children (a term running, the
    site open that weekday, not a closed day), within a year; None when none is planned."""
    last = after + timedelta(days=within_days)
    terms = list(
        Term.objects.filter(site=site, ends_on__gt=after, starts_on__lte=last)
        .prefetch_related("closed_days")
        .order_by("starts_on")
    )
    weekdays = set(site.opening_hours.values_list("weekday", flat=True))
    firsts = []
    for term in terms:
        closed = {c.date for c in term.closed_days.all()}
        day = max(term.starts_on, after + timedelta(days=1))
        while day <= min(term.ends_on, last):
            if term.opens_on(day, closed, weekdays):
                firsts.append(day)
                break
            day += timedelta(days=1)
    return min(firsts, default=None)


# How far back the daily e-mail's page lists the e-mails that failed or perhaps went out.
DIGEST_TROUBLE_DAYS = 7


@dataclass(frozen=True)
class TroubledEmail:
    """An e-mail that failed or perhaps went out, as the daily e-mail's page lists it."""

    what: str
    day: date
    run: DigestRun | StillCheckedInDelivery


def emails_needing_attention(user, today: date) -> list[TroubledEmail]:
    """The last week's daily e-mails and still-checked-in alerts that failed or perhaps went
    out (the mail server never answered), to ``user`` or to the people ``user`` oversees.
    Two queries."""
    from ffs_portal.models import User

    since = today - timedelta(days=DIGEST_TROUBLE_DAYS)
    people = Q(recipient=user) | Q(recipient__in=access.scoped(user, User).values("pk"))
    digests = (
        DigestRun.objects.needing_attention()
        .filter(people, day__gte=since)
        .select_related("recipient")
    )
    alerts = (
        StillCheckedInDelivery.objects.needing_attention()
        .filter(people, alert__day__gte=since)
        .select_related("recipient", "alert__site")
    )
    rows = [TroubledEmail(_("Daily e-mail"), run.day, run) for run in digests]
    rows += [
        TroubledEmail(
            _("Children still here after closing at %(site)s") % {"site": run.alert.site.name},
            run.alert.day,
            run,
        )
        for run in alerts
    ]
    return sorted(rows, key=lambda row: (-row.day.toordinal(), row.run.recipient.username))
