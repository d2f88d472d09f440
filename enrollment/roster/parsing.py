"""Check the rows of a roster on their own and against each other, without the database.

Nothing here raises on bad input: every problem becomes a ``Problem`` tied to a row and a
column, in the user's language, saying what to fix.
"""

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import (
    CONSENT_TEXT_VERSION,
    Adult,
    Child,
    Consent,
    Worker,
    check_date_of_birth,
    normalise_employee_no,
)
from enrollment.roster.columns import (
    COLUMNS_BY_KEY,
    NOTHING_WORDS,
    normalise,
    province_words,
    relation_words,
    sex_words,
)
from enrollment.roster.reading import RawRow, RawSheet
from ffs_portal.lib import spreadsheets
from ffs_portal.lib.mobiles import read_mobile

CHILD_KEYS = ("child_name", "sex", "date_of_birth", "allergies")
PICKUP_KEYS = ("pickup_name", "pickup_relation", "pickup_mobile")
CONSENT_KEYS = ("consent_date", "consent_version", "consent_signer", "consent_relation")
TERM_KEYS = ("site", "term")
# Characters a spreadsheet program writes when it could not save a character it had.
LOST_CHARACTERS = ("?", "？", "\ufffd")


@dataclass
class Problem:
    row: int | None  # None: about the file as a whole
    column: str | None  # a column key, or None: about the whole row
    message: str


@dataclass
class Row:
    number: int
    display: dict[str, str]
    employee_no: str = ""
    worker_name: str = ""
    department: str = ""
    mobile: str = ""
    province: str = ""
    child_name: str = ""
    sex: str = ""
    date_of_birth: date | None = None
    allergies: str = ""
    pickup_name: str = ""
    pickup_relation: str = ""
    pickup_mobile: str = ""
    consent_date: date | None = None
    consent_version: str = ""
    consent_signer: str = ""
    consent_relation: str = ""
    site: str = ""
    term: str = ""
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def has_child(self) -> bool:
        return bool(self.child_name or self.sex or self.date_of_birth or self.allergies)

    @property
    def child_key(self) -> tuple:
        return (self.employee_no, self.child_name, self.date_of_birth)

    def problem(self, column: str | None, message: str) -> None:
        self.problems.append(Problem(self.number, column, message))

    def problem_in(self, column: str) -> bool:
        return any(p.column == column for p in self.problems)


def display(value) -> str:
    """A cell as the preview shows it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def text(value) -> str:
    """A cell as text: trimmed, inner runs of spaces made one, control characters dropped."""
    text = display(value)
    if not text.isprintable():  # the slow path, for the few cells that need it
        text = "".join(
            ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch == " "
        )
        text = re.sub(r"\s+", " ", text)
    elif "  " in text:
        text = re.sub(" +", " ", text)
    text = text.strip()
    # An export guards cells that start like a formula with a quote; take it off again.
    if text.startswith("'") and text[1:2] in spreadsheets.FORMULA_STARTS and len(text) > 1:
        text = text[1:]
    return text


def _max_length(model, field_name: str) -> int:
    return model._meta.get_field(field_name).max_length


def _length_ok(row: Row, key: str, value: str, limit: int) -> bool:
    if len(value) > limit:
        row.problem(
            key,
            _("This is %(length)s characters long; at most %(max)s fit. Shorten it.")
            % {"length": len(value), "max": limit},
        )
        return False
    return True


def _name(row: Row, key: str, value, limit: int) -> str:
    name = text(value)
    if not name:
        return ""
    if not _length_ok(row, key, name, limit):
        return ""
    if any(mark in name for mark in LOST_CHARACTERS):
        row.problem(
            key,
            _(
                "The name contains “?”: a character was probably lost when the file was saved. "
                "Type the name again, save the file as .xlsx or as CSV UTF-8, and upload it again."
            ),
        )
        return ""
    if not any(ch.isalpha() for ch in name):
        row.problem(key, _("“%(value)s” is not a name. Write the person's name.") % {"value": name})
        return ""
    return name


def _employee_no(row: Row, value) -> str:
    number = normalise_employee_no(text(value))
    if number and _length_ok(row, "employee_no", number, _max_length(Worker, "employee_no")):
        return number
    return ""


def _mobile(row: Row, key: str, value) -> str:
    try:
        return read_mobile(text(value))
    except ValidationError as error:
        row.problem(key, error.messages[0])
        return ""


def _choice(row: Row, key: str, value, words: dict, message: str) -> str:
    word = text(value)
    if not word:
        return ""
    found = words.get(normalise(word))
    if found is None:
        row.problem(key, message % {"value": word})
        return ""
    return found


DATE_PATTERNS = [
    re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
]
# Excel's day numbers for 1900-01-01 and 9999-12-31.
EXCEL_DAYS = (1, 2958465)


def parse_date(value) -> date | None:
    """A date from an Excel date cell, an Excel day number, 2026-07-15, 2026/7/15,
    2026.7.15, 2026年7月15日 or 20260715 (a time after it is ignored); None if none of those."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None
        if 19000101 <= value <= 99991231 and float(value).is_integer():
            return parse_date(str(int(value)))
        if EXCEL_DAYS[0] <= value <= EXCEL_DAYS[1]:
            from openpyxl.utils.datetime import from_excel

            try:
                return from_excel(value).date()
            except (ValueError, OverflowError, TypeError):
                return None
        return None
    raw = unicodedata.normalize("NFKC", text(value))
    for pattern in DATE_PATTERNS:
        match = pattern.fullmatch(raw.split(" ")[0]) or pattern.fullmatch(raw)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None


def _date_of_birth(row: Row, value, today: date) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    born = parse_date(value)
    if born is None:
        row.problem(
            "date_of_birth",
            _(
                "“%(value)s” is not a date the portal can read. Write it as 2019-07-15, "
                "2019/7/15 or 2019年7月15日."
            )
            % {"value": display(value)},
        )
        return None
    try:
        check_date_of_birth(born, today)
    except ValidationError as error:
        for messages in error.message_dict.values():
            for message in messages:
                row.problem("date_of_birth", message)
        return None
    return born


def _allergies(row: Row, value) -> str:
    words = text(value)
    if normalise(words) in NOTHING_WORDS:
        return ""
    if words and _length_ok(row, "allergies", words, _max_length(Child, "allergies")):
        return words
    return ""


def parse_row(raw: RawRow, today: date | None = None) -> Row:
    """One row of the roster, with the problems of its cells. Never raises."""
    today = today or timezone.localdate()
    cells = raw.cells
    row = Row(number=raw.number, display={key: display(value) for key, value in cells.items()})
    name_max = _max_length(Worker, "name")
    row.employee_no = _employee_no(row, cells.get("employee_no"))
    row.worker_name = _name(row, "worker_name", cells.get("worker_name"), name_max)
    department = text(cells.get("department"))
    if _length_ok(row, "department", department, _max_length(Worker, "department")):
        row.department = department
    row.mobile = _mobile(row, "mobile", cells.get("mobile"))
    row.province = _choice(
        row,
        "province",
        cells.get("province"),
        province_words(),
        _("“%(value)s” is not a province. Write the province's name, e.g. 四川 or Sichuan."),
    )
    row.child_name = _name(row, "child_name", cells.get("child_name"), _max_length(Child, "name"))
    row.sex = _choice(
        row,
        "sex",
        cells.get("sex"),
        sex_words(),
        _("“%(value)s” is not a sex the portal knows. Write 男 or 女 (M or F)."),
    )
    row.date_of_birth = _date_of_birth(row, cells.get("date_of_birth"), today)
    row.allergies = _allergies(row, cells.get("allergies"))
    row.pickup_name = _name(
        row, "pickup_name", cells.get("pickup_name"), _max_length(Adult, "name")
    )
    row.pickup_relation = _choice(
        row,
        "pickup_relation",
        cells.get("pickup_relation"),
        relation_words(),
        _(
            "“%(value)s” is not a relation the portal knows. Write, for example, 奶奶, 外公, "
            "姑姑, 舅舅, 邻居 or 其他."
        ),
    )
    row.pickup_mobile = _mobile(row, "pickup_mobile", cells.get("pickup_mobile"))
    _consent(row, cells, today)
    row.site = text(cells.get("site"))
    row.term = text(cells.get("term"))
    _require(row, cells)
    return row


def _consent(row: Row, cells: dict, today: date) -> None:
    """The guardian's consent as signed on paper: a date, the text's version (the current
    one when empty), who signed (the worker when empty) and their relation to the child."""
    if not any(text(cells.get(key)) for key in CONSENT_KEYS):
        return
    value = cells.get("consent_date")
    signed = parse_date(value) if text(value) else None
    if text(value) and signed is None:
        row.problem(
            "consent_date",
            _("“%(value)s” is not a date the portal can read. Write it as 2026-06-15.")
            % {"value": display(value)},
        )
    elif signed and signed > today:
        row.problem("consent_date", _("The consent cannot be signed in the future."))
    else:
        row.consent_date = signed
    version = text(cells.get("consent_version"))
    if _length_ok(row, "consent_version", version, _max_length(Consent, "text_version")):
        row.consent_version = version or CONSENT_TEXT_VERSION
    row.consent_signer = _name(
        row, "consent_signer", cells.get("consent_signer"), _max_length(Consent, "given_by")
    )
    row.consent_relation = _choice(
        row,
        "consent_relation",
        cells.get("consent_relation"),
        relation_words(),
        _(
            "“%(value)s” is not a relation the portal knows. Write, for example, 母亲, 父亲, "
            "奶奶 or 外公."
        ),
    )


def _require(row: Row, cells: dict) -> None:
    """Say which required cells are empty (cells already reported as wrong are left alone)."""

    def empty(key):
        value = cells.get(key)
        return value is None or (isinstance(value, str) and not text(value))

    # The worker's name and mobile are needed only for a worker not yet registered: the
    # plan, which knows, asks for them.
    required = ["employee_no"]
    if any(not empty(key) for key in (*CONSENT_KEYS, *TERM_KEYS)) and not row.has_child:
        row.problem(
            "child_name",
            _("Consent or a term is given but no child. Write the child in this row."),
        )
    if any(not empty(key) for key in CONSENT_KEYS):
        required += ["consent_date", "consent_relation"]
    if not empty("site") and empty("term"):
        required += ["term"]
    if row.has_child or any(not empty(key) for key in CHILD_KEYS):
        required += ["child_name", "sex", "date_of_birth"]
    elif any(not empty(key) for key in PICKUP_KEYS):
        row.problem(
            "child_name",
            _("A pickup adult is given but no child. Write the child in this row."),
        )
    if any(not empty(key) for key in PICKUP_KEYS):
        required += ["pickup_name", "pickup_relation"]
    for key in required:
        if empty(key) and not row.problem_in(key):
            row.problem(
                key,
                _("Fill in %(column)s.") % {"column": COLUMNS_BY_KEY[key].label},
            )


def _merged_problems(sheet: RawSheet, rows: list[Row]) -> None:
    for row in rows:
        for key in COLUMNS_BY_KEY:
            cells = sheet.merged.get((row.number, key))
            if cells:
                # "Fill in…" under a merged cell would send people looking in the wrong place.
                row.problems = [p for p in row.problems if p.column != key]
                row.problem(
                    key,
                    _(
                        "This cell is merged with others (%(cells)s). Unmerge the cells and "
                        "write the value in every row."
                    )
                    % {"cells": cells},
                )


def _agree(rows: list[Row], group, key: str, message: str) -> None:
    """Rows of one group (a worker, a child, an adult) must give the same value for ``key``."""
    first = {}
    for row in rows:
        group_key = group(row)
        value = getattr(row, key)
        if group_key is None or not value or row.problem_in(key):
            continue
        if group_key not in first:
            first[group_key] = (row, value)
            continue
        other, other_value = first[group_key]
        if value != other_value:
            row.problem(
                key,
                message
                % {
                    "row": other.number,
                    "value": other.display.get(key, other_value),
                    "column": COLUMNS_BY_KEY[key].label,
                },
            )


def check_rows(sheet: RawSheet, today: date | None = None) -> list[Row]:
    """Every non-empty row of ``sheet``, each with its own problems and those that come from
    comparing it with the other rows."""
    rows = [parse_row(raw, today) for raw in sheet.rows]
    _merged_problems(sheet, rows)

    def worker(row):
        return row.employee_no or None

    def child(row):
        return row.child_key if row.employee_no and row.child_name and row.date_of_birth else None

    def adult(row):
        return (row.employee_no, row.pickup_name) if row.employee_no and row.pickup_name else None

    _agree(
        rows,
        worker,
        "worker_name",
        _(
            "Row %(row)s gives this employee no. the name %(value)s. One employee no. must have "
            "the same worker name in every row: correct the name or the employee no."
        ),
    )
    same_worker = _(
        "Row %(row)s gives this worker %(value)s as %(column)s. Write the same value in every "
        "row of a worker."
    )
    for key in ("mobile", "department", "province"):
        _agree(rows, worker, key, same_worker)
    same_child = _(
        "Row %(row)s gives this child %(value)s as %(column)s. Write the same value in every "
        "row of a child."
    )
    for key in ("sex", "allergies"):
        _agree(rows, child, key, same_child)
    same_adult = _(
        "Row %(row)s gives this pickup adult %(value)s as %(column)s. Write the same value in "
        "every row of an adult."
    )
    for key in ("pickup_relation", "pickup_mobile"):
        _agree(rows, adult, key, same_adult)
    _same_name_other_birthday(rows)
    _repeated_rows(rows)
    return rows


def _same_name_other_birthday(rows: list[Row]) -> None:
    born: dict[tuple[str, str], tuple[int, date]] = {}
    for row in rows:
        if not (row.employee_no and row.child_name and row.date_of_birth):
            continue
        number, first_born = born.setdefault(
            (row.employee_no, row.child_name), (row.number, row.date_of_birth)
        )
        if first_born != row.date_of_birth:
            row.problem(
                "date_of_birth",
                _(
                    "Row %(row)s has a child of the same name born on %(date)s. Correct the "
                    "date of birth or the name."
                )
                % {"row": number, "date": first_born.isoformat()},
            )


def _repeated_rows(rows: list[Row]) -> None:
    seen: dict[tuple[tuple, str], Row] = {}
    for row in rows:
        if row.problems or not row.employee_no:
            continue
        key = (row.child_key, row.pickup_name)
        if key in seen:
            row.notes.append(
                _("Row %(row)s already says the same; this row adds nothing.")
                % {"row": seen[key].number}
            )
        else:
            seen[key] = row
