"""Everything held about a child, for the guardian (PIPL Art. 45): one Excel workbook.

Excel rather than a zip of files: the guardian and HR open it on any office computer or
phone without unpacking anything, each kind of record is a sheet with labelled columns, the
writing rules of ffs_portal/lib/spreadsheets.py keep Chinese intact and never run a cell as
a formula, and the one photo fits in the workbook itself."""

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from io import BytesIO
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.worksheet.worksheet import Worksheet

from attendance.health.models import HealthCheck, MedicineAuthorisation, MedicineDose
from attendance.models import AttendanceRecord, Incident, RefusedPickup
from enrollment.models import Child, Consent, Enrollment, PickupPermission
from ffs_portal.compliance import selectors
from ffs_portal.compliance.pages import ACTION_LABELS, page_label
from ffs_portal.lib import spreadsheets
from ffs_portal.notices.models import Notice


def _plain(value: Any) -> Any:
    """A value as a cell holds it: local time without a zone, yes/no in words, lists joined."""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None, microsecond=0)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (list, tuple)):
        return "、".join(str(item) for item in value)
    if value is None or isinstance(value, (date, int, float, str)):
        return value
    return str(value)


Columns = Sequence[tuple[str, Callable[[Any], Any]]]


def _sheet(workbook: Workbook, used: set[str], title: str, columns: Columns, rows: Iterable):
    sheet = workbook.create_sheet(spreadsheets.sheet_title(title, used))
    spreadsheets.write_header(sheet, [label for label, _get in columns], widths=[18] * len(columns))
    number = 1
    for number, row in enumerate(rows, start=2):
        for position, (_label, get) in enumerate(columns, start=1):
            cell = spreadsheets.write_cell(sheet, number, position, _plain(get(row)))
            if cell is not None and isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    if number == 1:
        spreadsheets.write_cell(sheet, 2, 1, _("Nothing recorded."))
    return sheet


def _user(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def build(child: Child) -> bytes:
    """The workbook: the child, the family, and one sheet per kind of record."""
    family = child.family
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    used: set[str] = set()
    facts = [
        (_("Name"), child.name),
        (_("Sex"), child.get_sex_display()),
        (_("Date of birth"), child.date_of_birth),
        (_("Home province (hukou)"), child.get_hukou_province_display()),
        (_("Lives with"), child.get_lives_with_display()),
        (_("School"), child.school),
        (_("Grade"), child.grade),
        (_("Arrives for the summer"), child.arrival_date),
        (_("Leaves after the summer"), child.departure_date),
        (_("Allergies"), child.allergies),
        (_("Medical notes"), child.medical_notes),
        (_("Emergency contact"), child.emergency_contact_name),
        (_("Emergency contact's mobile"), child.emergency_contact_mobile),
        (_("Card code"), child.card_code),
        (_("Photo"), _("Yes, on the sheet Photo") if child.photo else _("No")),
        (_("Factory"), family.factory.name),
        (_("HR notes on the family"), family.hr_notes),
        (_("Registered on"), child.created_at),
        (_("File made on"), timezone.now()),
    ]
    _sheet(
        workbook,
        used,
        _("Child"),
        [(_("Record"), lambda r: r[0]), (_("Held"), lambda r: r[1])],
        facts,
    )
    people = [
        *(
            (w.name, _("Parent (factory worker)"), w.mobile, w.employee_no, w.department,
             w.get_hukou_province_display(), w.hire_date, w.leave_date)
            for w in family.workers.order_by("pk")
        ),
        *(
            (a.name, a.get_relation_display(), a.mobile, "", "", "", None, None)
            for a in family.adults.order_by("pk")
        ),
    ]  # fmt: skip
    _sheet(
        workbook,
        used,
        _("Family"),
        [
            (_("Name"), lambda r: r[0]),
            (_("Relation"), lambda r: r[1]),
            (_("Mobile"), lambda r: r[2]),
            (_("Employee no."), lambda r: r[3]),
            (_("Department / line"), lambda r: r[4]),
            (_("Home province (hukou)"), lambda r: r[5]),
            (_("Hire date"), lambda r: r[6]),
            (_("Leave date"), lambda r: r[7]),
        ],
        people,
    )
    _sheet(
        workbook,
        used,
        _("Consents"),
        [
            (_("Signed on"), lambda c: c.given_on),
            (_("Signed by"), lambda c: c.given_by),
            (_("Relation"), lambda c: c.get_given_by_relation_display()),
            (_("Consent text version"), lambda c: c.text_version),
            (_("Care"), lambda c: c.covers_care),
            (_("Photos"), lambda c: c.covers_photos),
            (_("Reports to sponsors"), lambda c: c.covers_reporting),
            (_("Messages to the parents"), lambda c: c.covers_messages),
            (_("Recorded at"), lambda c: c.recorded_at),
            (_("Withdrawn at"), lambda c: c.withdrawn_at),
        ],
        Consent.objects.filter(child=child).order_by("recorded_at", "pk"),
    )
    _sheet(
        workbook,
        used,
        _("Enrolments"),
        [
            (_("Site"), lambda e: e.term.site.name),
            (_("Term"), lambda e: e.term.name),
            (_("Status"), lambda e: e.get_status_display()),
            (_("Room"), lambda e: e.room.name if e.room else ""),
            (_("Applied at"), lambda e: e.applied_at),
            (_("Status since"), lambda e: e.status_changed_at),
        ],
        Enrollment.objects.filter(child=child)
        .select_related("term__site", "room")
        .order_by("applied_at"),
    )
    _sheet(
        workbook,
        used,
        _("Attendance"),
        [
            (_("Day"), lambda r: r.day),
            (_("Site"), lambda r: r.site.name),
            (_("Status"), lambda r: r.get_status_display()),
            (_("Checked in at"), lambda r: r.checked_in_at),
            (_("Dropped off by"), lambda r: r.dropped_off_by_name),
            (_("Checked out at"), lambda r: r.checked_out_at),
            (_("Collected by"), lambda r: r.collected_by_name),
            (_("Relation"), lambda r: r.collected_by_relation),
            (_("Late pickup"), lambda r: r.late),
            (_("Absence reason"), lambda r: r.get_absence_reason_display()),
            (_("Note"), lambda r: r.absence_note),
        ],
        AttendanceRecord.objects.filter(child=child).select_related("site").order_by("day"),
    )
    _sheet(
        workbook,
        used,
        _("Who may collect"),
        [
            (_("Adult"), lambda p: p.adult.name),
            (_("Relation"), lambda p: p.adult.get_relation_display()),
            (_("May collect"), lambda p: p.allowed),
            (_("Valid from"), lambda p: p.valid_from),
            (_("Valid until"), lambda p: p.valid_to),
            (_("Note"), lambda p: p.note),
        ],
        PickupPermission.objects.filter(child=child).select_related("adult").order_by("pk"),
    )
    _sheet(
        workbook,
        used,
        _("Refused pickups"),
        [
            (_("At"), lambda r: r.at),
            (_("Site"), lambda r: r.site.name),
            (_("Name"), lambda r: r.adult.name if r.adult else r.name),
            (_("Says they are"), lambda r: r.relation),
            (_("Reason"), lambda r: r.get_reason_display()),
            (_("Note"), lambda r: r.note),
        ],
        RefusedPickup.objects.filter(child=child).select_related("site", "adult").order_by("at"),
    )
    _sheet(
        workbook,
        used,
        _("Incidents"),
        [
            (_("When"), lambda i: i.occurred_at),
            (_("Site"), lambda i: i.site.name),
            (_("Kind"), lambda i: i.get_kind_display()),
            (_("What happened"), lambda i: i.description),
            (_("First aid or action taken"), lambda i: i.action_taken),
            (_("Parent informed at"), lambda i: i.parent_informed_at),
            (_("Informed by"), lambda i: i.parent_informed_by),
            (_("Site lead's note"), lambda i: i.review_note),
            (_("Acknowledged at"), lambda i: i.acknowledged_at),
        ],
        Incident.objects.filter(child=child).select_related("site").order_by("occurred_at"),
    )
    _sheet(
        workbook,
        used,
        _("Health checks"),
        [
            (_("At"), lambda h: h.at),
            (_("Site"), lambda h: h.site.name),
            (_("Check"), lambda h: h.get_kind_display()),
            (_("Temperature"), lambda h: float(h.temperature) if h.temperature else None),
            (_("Signs"), lambda h: h.signs),
            (_("Card"), lambda h: h.get_card_display()),
            (_("Injury on arrival"), lambda h: h.injury_on_arrival),
            (_("Note"), lambda h: h.note),
        ],
        HealthCheck.objects.filter(child=child).select_related("site").order_by("at"),
    )
    _sheet(
        workbook,
        used,
        _("Medicines"),
        [
            (_("Medicine"), lambda m: m.medicine),
            (_("Dose"), lambda m: m.dose),
            (_("Times"), lambda m: m.times),
            (_("From"), lambda m: m.valid_from),
            (_("To"), lambda m: m.valid_to),
            (_("Signed by"), lambda m: m.signed_by),
            (_("Site"), lambda m: m.site.name),
        ],
        MedicineAuthorisation.objects.filter(child=child)
        .select_related("site")
        .order_by("created_at"),
    )
    _sheet(
        workbook,
        used,
        _("Doses given"),
        [
            (_("Given at"), lambda d: d.given_at),
            (_("Medicine"), lambda d: d.authorisation.medicine),
            (_("Due at"), lambda d: d.due),
            (_("Given by"), lambda d: _user(d.given_by)),
        ],
        MedicineDose.objects.filter(authorisation__child=child)
        .select_related("authorisation", "given_by")
        .order_by("given_at"),
    )
    _sheet(
        workbook,
        used,
        _("Messages"),
        [
            (_("When"), lambda n: n.created_at),
            (_("What"), lambda n: n.get_kind_display()),
            (_("To"), lambda n: n.guardian.name if n.guardian else n.mobile),
            (_("Mobile"), lambda n: n.mobile),
            (_("Channel"), lambda n: n.get_channel_display()),
            (_("Status"), lambda n: n.get_status_display()),
            (_("Message"), lambda n: n.body),
        ],
        # The child's messages and the family's own (an announcement names no child).
        Notice.objects.filter(Q(child=child) | Q(family=family, child__isnull=True))
        .select_related("guardian")
        .order_by("created_at"),
    )
    _photo_sheet(workbook, used, child)
    _sheet(
        workbook,
        used,
        _("Access log"),
        [
            (_("When"), lambda e: e.at),
            (_("Who"), lambda e: _user(e.actor) or _("system")),
            (_("Role"), lambda e: e.actor.get_role_display() if e.actor else ""),
            (_("What"), lambda e: str(ACTION_LABELS.get(e.action, e.action))),
            (_("Page"), lambda e: page_label(e.details.get("page"))),
        ],
        selectors.child_reads(child),
    )
    return spreadsheets.xlsx_bytes(workbook)


def _photo_sheet(workbook: Workbook, used: set[str], child: Child) -> Worksheet:
    sheet = workbook.create_sheet(spreadsheets.sheet_title(_("Photo"), used))
    if not child.photo:
        spreadsheets.write_cell(sheet, 1, 1, _("No photo is held."))
        return sheet
    try:
        with child.photo.open("rb") as stored:
            picture = SheetImage(BytesIO(stored.read()))
    except (FileNotFoundError, OSError):
        spreadsheets.write_cell(sheet, 1, 1, _("No photo is held."))
        return sheet
    spreadsheets.write_cell(sheet, 1, 1, _("The photo held, as the portal shows it."))
    sheet.add_image(picture, "A3")
    return sheet
