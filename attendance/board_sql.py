"""The board's hot path, written out in SQL.

A check-in and its answer run many times a minute at every site; building these statements
with the ORM cost more than running them (most of it compiling the query). Each says
exactly what an ORM rule says: ``Enrollment.objects.expected_at`` (which children are on a
site's list that day), ``Incident.objects.to_show`` (the tile's incident) and
``selectors.day_counts`` (the counters), ``selectors.board_version`` (what the board shows, to
answer its refresh), ``selectors.board_changes`` (what changed since a tablet's version), ``selectors.answer_state``
(the records and incidents of some children's tiles), and
``tests/attendance/test_board_sql.py`` holds each to its rule on PostgreSQL and SQLite.
"""

import functools
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import connection

from attendance.models import AttendanceRecord, AttendanceStatus
from enrollment.models import Child, EnrollmentStatus, OpeningHours, Site
from ffs_portal.lib import clock
from ffs_portal.lib.ages import age_on
from ffs_portal.lib.db import columns, execute_prepared, instances

# Enrolments that put a child on the site's list that day: enrolled in a term of the site
# running that day, the term not closed that day, the site open that weekday.
LISTED = """
SELECT e.child_id FROM enrollment_enrollment e
JOIN enrollment_term t ON t.id = e.term_id
WHERE e.status = %(enrolled)s AND t.site_id = %(site)s
  AND t.starts_on <= %(day)s AND t.ends_on >= %(day)s
  AND NOT EXISTS (
    SELECT 1 FROM enrollment_closedday d WHERE d.term_id = t.id AND d.date = %(day)s)
  AND EXISTS (
    SELECT 1 FROM enrollment_openinghours h
    WHERE h.site_id = %(site)s AND h.weekday = %(weekday)s)
"""

# Whether child c's tile shows an incident: one today, or one the family has not
# acknowledged yet (Incident.objects.to_show).
INCIDENT_SHOWN = """
EXISTS (
  SELECT 1 FROM attendance_incident i
  WHERE i.child_id = c.id AND i.site_id = %(site)s
    AND (i.acknowledged_at IS NULL OR (i.occurred_at >= %(start)s AND i.occurred_at < %(end)s))
)"""

# Whether the child is on the list, and whether the child's tile shows an incident.
EXPECTED_AND_LOCKED = f"""
SELECT EXISTS ({LISTED} AND e.child_id = c.id), {INCIDENT_SHOWN}
FROM enrollment_child c
WHERE c.id = %(child)s
"""  # noqa: S608 - only the statements above are formatted in

# Some children's tiles (a refresh's changed tiles): each child's record that day, if any,
# and whether the tile shows an incident. PostgreSQL only (an array of ids).
TILES = """
SELECT c.id, {INCIDENT_SHOWN}, {record}
FROM enrollment_child c
LEFT JOIN attendance_attendancerecord r
  ON r.child_id = c.id AND r.site_id = %(site)s AND r.day = %(day)s
WHERE c.id = ANY(%(children)s)
"""

# The board's version, how many children are on the list, how many staff are on duty (as
# staff.selectors.on_duty), and the status and birth date of each child on the list with a
# record that day (one row with NULLs when there is none).
SUMMARY = f"""
SELECT s.board_seq, (SELECT COUNT(DISTINCT e.child_id) FROM ({LISTED}) e),
  (SELECT COUNT(*) FROM staff_dutyperiod p WHERE p.site_id = s.id AND p.clock_out_at IS NULL),
  r.status, c.date_of_birth
FROM enrollment_site s
LEFT JOIN attendance_attendancerecord r
  ON r.site_id = s.id AND r.day = %(day)s AND EXISTS ({LISTED} AND e.child_id = r.child_id)
LEFT JOIN enrollment_child c ON c.id = r.child_id
WHERE s.id = %(site)s
"""  # noqa: S608 - only the statement above is formatted in


# Everything the board shows that can change, in one row: the site's board version (every
# act advances it), the day's records, the site's enrolments and their children's details,
# staff clocking in and out, a roll call going on, and the opening hours of that weekday.
VERSION = """
SELECT s.board_seq,
  (SELECT MAX(r.updated_at) FROM attendance_attendancerecord r
   WHERE r.site_id = s.id AND r.day = %(day)s),
  (SELECT COUNT(*) FROM attendance_attendancerecord r WHERE r.site_id = s.id AND r.day = %(day)s),
  (SELECT MAX(r.id) FROM attendance_attendancerecord r WHERE r.site_id = s.id AND r.day = %(day)s),
  (SELECT MAX(e.status_changed_at) FROM enrollment_enrollment e
   JOIN enrollment_term t ON t.id = e.term_id WHERE t.site_id = s.id),
  (SELECT COUNT(*) FROM enrollment_enrollment e
   JOIN enrollment_term t ON t.id = e.term_id WHERE t.site_id = s.id),
  (SELECT MAX(c.updated_at) FROM enrollment_enrollment e
   JOIN enrollment_term t ON t.id = e.term_id JOIN enrollment_child c ON c.id = e.child_id
   WHERE t.site_id = s.id),
  (SELECT MAX(p.clock_in_at) FROM staff_dutyperiod p WHERE p.site_id = s.id),
  (SELECT MAX(p.clock_out_at) FROM staff_dutyperiod p WHERE p.site_id = s.id),
  (SELECT k.key FROM attendance_rollcall k WHERE k.site_id = s.id AND k.ended_at IS NULL
   ORDER BY k.id LIMIT 1),
  (SELECT k.kind FROM attendance_rollcall k WHERE k.site_id = s.id AND k.ended_at IS NULL
   ORDER BY k.id LIMIT 1),
  (SELECT h.id FROM enrollment_openinghours h WHERE h.site_id = s.id AND h.weekday = %(weekday)s
   ORDER BY h.id LIMIT 1),
  (SELECT h.opens FROM enrollment_openinghours h
   WHERE h.site_id = s.id AND h.weekday = %(weekday)s ORDER BY h.id LIMIT 1),
  (SELECT h.closes FROM enrollment_openinghours h
   WHERE h.site_id = s.id AND h.weekday = %(weekday)s ORDER BY h.id LIMIT 1)
FROM enrollment_site s
WHERE s.id = %(site)s
"""


# What changed between two versions of a site's board: the versions logged in (held, seq]
# (``BoardChange``), how many rows of them name no child, the children named, and of the
# day's records those of the other children (how many, the latest change) and how many of the
# named children's records may have been there at the held version (numbered no higher than
# its last record: every record it saw is, and records are never deleted by the portal).
# PostgreSQL only; elsewhere every change sends the whole board.
CHANGES = """
WITH logged AS (
  SELECT b.seq, b.child_id FROM attendance_boardchange b
  WHERE b.site_id = %(site)s AND b.seq > %(held)s AND b.seq <= %(seq)s
), named AS (SELECT DISTINCT l.child_id FROM logged l WHERE l.child_id IS NOT NULL)
SELECT
  (SELECT COUNT(DISTINCT l.seq) FROM logged l),
  (SELECT COUNT(*) FROM logged l WHERE l.child_id IS NULL),
  (SELECT array_agg(n.child_id) FROM named n),
  COUNT(r.id) FILTER (WHERE r.child_id NOT IN (SELECT n.child_id FROM named n)),
  MAX(r.updated_at) FILTER (WHERE r.child_id NOT IN (SELECT n.child_id FROM named n)),
  COUNT(r.id) FILTER (
    WHERE r.child_id IN (SELECT n.child_id FROM named n) AND r.id <= %(held_last)s)
FROM attendance_attendancerecord r
WHERE r.site_id = %(site)s AND r.day = %(day)s
"""


@dataclass
class Changes:
    versions: int  # how many versions in the range are logged
    unknown: int  # log rows that name no child: what changed is not known
    children: list[int]
    others: int  # the day's records of the children not named
    others_changed: datetime | None
    named_before: int  # the named children's records numbered up to the held version's last


def changes(site: Site, day: date, held: int, seq: int, held_last: int) -> Changes | None:
    """The log and the day's records between versions ``held`` and ``seq``, in one
    statement; None where the database cannot say it in one (not PostgreSQL)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        execute_prepared(
            cursor,
            "board_changes",
            CHANGES,
            _params(site, day, held=held, seq=seq, held_last=held_last),
        )
        versions, unknown, children, others, others_changed, named_before = cursor.fetchone()
    return Changes(
        versions=versions,
        unknown=unknown,
        children=sorted(children or []),
        others=others,
        others_changed=others_changed,
        named_before=named_before,
    )


@dataclass
class VersionRow:
    seq: int
    # What changes with what the board shows, as the database gives it (compared, not read).
    stamps: tuple
    roll_call: uuid.UUID | None
    roll_call_kind: str
    hours: OpeningHours | None


def version(site: Site, day: date) -> VersionRow:
    """The row ``selectors.board_version`` makes the board's version of, in one statement."""
    with connection.cursor() as cursor:
        execute_prepared(cursor, "board_version", VERSION, _params(site, day))
        row = cursor.fetchone()
    if row is None:
        return VersionRow(0, (), None, "", None)
    seq, *stamps = row[:9]
    roll_call, kind, hours_id, opens, closes = row[9:]
    hours = None
    if hours_id is not None:
        hours = OpeningHours(
            pk=hours_id,
            site_id=site.pk,
            weekday=day.weekday(),
            opens=time.fromisoformat(opens) if isinstance(opens, str) else opens,
            closes=time.fromisoformat(closes) if isinstance(closes, str) else closes,
        )
    return VersionRow(
        seq=seq,
        stamps=tuple(stamps),
        # SQLite gives a UUID as 32 hex digits.
        roll_call=uuid.UUID(str(roll_call)) if roll_call is not None else None,
        roll_call_kind=kind or "",
        hours=hours,
    )


def _params(site: Site, day: date, **more) -> dict:
    return {
        "enrolled": EnrollmentStatus.ENROLLED,
        "site": site.pk,
        "day": connection.ops.adapt_datefield_value(day),
        "weekday": day.weekday(),
        **more,
    }


def _day_bounds(day: date) -> dict:
    start, end = clock.day_bounds(day)
    adapt = connection.ops.adapt_datetimefield_value
    return {"start": adapt(start), "end": adapt(end)}


@functools.cache
def _tiles_statement() -> str:
    return TILES.format(INCIDENT_SHOWN=INCIDENT_SHOWN, record=columns(AttendanceRecord, "r"))


def tiles(site: Site, day: date, children: list[int]) -> tuple[dict, set[int]] | None:
    """The records that day of ``children`` at the site, by child id, and those whose tile
    shows an incident, in one statement; None where the database cannot say it in one (not
    PostgreSQL)."""
    if connection.vendor != "postgresql":
        return None
    params = _params(site, day, children=children, **_day_bounds(day))
    with connection.cursor() as cursor:
        execute_prepared(cursor, "board_tiles", _tiles_statement(), params)
        rows = cursor.fetchall()
    records, with_incident = {}, set()
    for child, incident, *rest in rows:
        if incident:
            with_incident.add(child)
        record = instances(rest, AttendanceRecord)[0]
        if record is not None:
            records[child] = record
    return records, with_incident


def lock_expected_child(child: Child, site: Site, day: date) -> tuple[bool, bool]:
    """Lock one child's row and say whether the child is on the site's list that day and
    whether the tile shows an incident."""
    sql = EXPECTED_AND_LOCKED
    if connection.features.has_select_for_update:
        sql += " FOR NO KEY UPDATE OF c" if connection.vendor == "postgresql" else " FOR UPDATE"
    params = _params(site, day, child=child.pk, **_day_bounds(day))
    with connection.cursor() as cursor:
        execute_prepared(cursor, "board_lock_expected_child", sql, params)
        row = cursor.fetchone()
    return (bool(row[0]), bool(row[1])) if row else (False, False)


@dataclass
class Summary:
    seq: int
    counts: dict
    present_ages: list[int]
    staff_on_duty: int


def summary(site: Site, day: date) -> Summary:
    """The board's version, the counters, the ages of the children present and the number
    of staff on duty, in one statement."""
    with connection.cursor() as cursor:
        execute_prepared(cursor, "board_summary", SUMMARY, _params(site, day))
        rows = cursor.fetchall()
    seq, listed, staff = rows[0][:3]
    counts = dict.fromkeys(AttendanceStatus.values, 0)
    present_ages = []
    for *_first, status, born in rows:
        if status is None:
            continue
        counts[status] += 1
        if status == AttendanceStatus.PRESENT:
            if isinstance(born, str):  # SQLite gives dates as text here
                born = date.fromisoformat(born)
            present_ages.append(age_on(born, day))
    counts[AttendanceStatus.EXPECTED] = listed - sum(
        counts[s]
        for s in (AttendanceStatus.PRESENT, AttendanceStatus.COLLECTED, AttendanceStatus.ABSENT)
    )
    return Summary(seq=seq, counts=counts, present_ages=present_ages, staff_on_duty=staff)
