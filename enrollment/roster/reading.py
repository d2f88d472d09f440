"""Turn the bytes of an uploaded roster (.xlsx or CSV) into rows of raw cells.

Everything that makes a file unreadable as a whole raises ``RosterFileError`` with a message
saying what to do; problems of single cells are left to ``parsing``.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries

from enrollment.roster.columns import COLUMNS_BY_KEY, EXAMPLE_ROW, REQUIRED, column_for_header

# More rows than any factory's roster: a bigger file is a mistake or an attack.
MAX_ROWS = 10_000
# The template has about thirty columns; a sheet with something further right is not one.
MAX_COLUMNS = 100
# An .xlsx is a zip; refuse one that would unpack into more than this (a "zip bomb").
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
# The header may sit under a title row or two ("2026年暑期员工子女名单").
HEADER_SEARCH_ROWS = 10
MIN_HEADERS_RECOGNISED = 3

XLSX = "xlsx"
CSV = "csv"


class RosterFileError(ValidationError):
    """The file as a whole cannot be read as a roster."""


@dataclass
class RawRow:
    number: int  # as the spreadsheet program shows it
    cells: dict  # column key → the cell's value (str, int, float, datetime, bool or None)


@dataclass
class RawSheet:
    format: str
    header_row: int
    columns: dict[str, int]  # column key → 0-based position
    rows: list[RawRow]
    # (row number, column key) → the merged range covering that cell, e.g. "A3:A4"
    merged: dict[tuple[int, str], str] = field(default_factory=dict)
    ignored_headers: list[str] = field(default_factory=list)
    empty_rows: int = 0
    example_row: int | None = None  # the template's example, left in and skipped

    def letter(self, key: str) -> str:
        return get_column_letter(self.columns[key] + 1) if key in self.columns else ""


def check_size(size: int) -> None:
    if size > settings.MAX_UPLOAD_BYTES:
        raise RosterFileError(
            _(
                "This file is %(size)s MB; the largest roster accepted is %(max)s MB. "
                "Remove other sheets, pictures and empty rows, or split the roster into "
                "several files."
            )
            % {
                "size": f"{size / 1024 / 1024:.1f}",
                "max": f"{settings.MAX_UPLOAD_BYTES / 1024 / 1024:.0f}",
            }
        )


def read_roster(data: bytes) -> RawSheet:
    """Read an .xlsx or CSV roster, whatever its file name says."""
    check_size(len(data))
    if not data.strip():
        raise RosterFileError(_("The file is empty. Fill in the template and upload it again."))
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterFileError(
            _(
                "This is an old Excel file (.xls) or a password-protected workbook. Open it in "
                "Excel, remove any password, choose Save As → Excel Workbook (.xlsx) and upload "
                "that file."
            )
        )
    return _read_csv(data)


def _not_a_spreadsheet() -> RosterFileError:
    return RosterFileError(
        _(
            "This file is not a spreadsheet the portal can read. Upload the roster as an Excel "
            "workbook (.xlsx) or a CSV file; the template shows the columns."
        )
    )


def _read_xlsx(data: bytes) -> RawSheet:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise _corrupt_xlsx() from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise RosterFileError(
            _("This workbook is too large once unpacked. Keep only the roster sheet and try again.")
        )
    try:
        # Read-only mode streams the sheet: a quarter faster and a fraction of the memory.
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=True)
        try:
            sheet = _roster_sheet(workbook)
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                xml = archive.read(sheet._worksheet_path)
            # Where the sheet's values end, from its XML: the size the sheet declares (its
            # "dimension") may be anything, and openpyxl would fill every cell up to it.
            last_row, last_column = _extent(xml)
            if last_row > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise _too_many_rows()
            if last_column > MAX_COLUMNS:
                raise _too_many_columns(last_column)
            sheet.reset_dimensions()
            table = [
                list(row)
                for row in sheet.iter_rows(
                    max_row=max(last_row, 1), max_col=max(last_column, 1), values_only=True
                )
            ]
            merged = _merged_ranges(xml)
        finally:
            workbook.close()
    except RosterFileError:
        raise
    except Exception as error:  # openpyxl raises many kinds of error on a damaged file
        raise _corrupt_xlsx() from error
    return _build_sheet(XLSX, table, merged)


# A cell with a value (a number, a shared or inline string, a formula's result).
VALUE_CELL = re.compile(
    rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"[^>]*?>\s*<(?:\w+:)?(?:v|is|f)\b"
)


def _extent(xml: bytes) -> tuple[int, int]:
    """The last row and the last column (1-based) holding a value; formatting alone does
    not count."""
    last_row = last_column = 0
    for letters, number in VALUE_CELL.findall(xml):
        last_row = max(last_row, int(number))
        last_column = max(last_column, column_index_from_string(letters.decode()))
    return last_row, last_column


def _too_many_columns(last: int) -> RosterFileError:
    return RosterFileError(
        _(
            "This sheet has something in column %(column)s, far to the right of the roster's "
            "columns. Delete the columns after the roster and upload the file again."
        )
        % {"column": get_column_letter(last)}
    )


MERGE_CELL = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)\"")


def _merged_ranges(xml: bytes) -> list[tuple]:
    """The sheet's merged cells, read from its XML (openpyxl's read-only mode skips them)."""
    ranges = []
    for ref in MERGE_CELL.findall(xml):
        ref = ref.decode()
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        ranges.append((min_row, max_row, min_col, max_col, ref))
    return ranges


def _corrupt_xlsx() -> RosterFileError:
    return RosterFileError(
        _(
            "This Excel file is damaged or is not really an .xlsx workbook. Open it in Excel, "
            "save it again as Excel Workbook (.xlsx) and upload it again."
        )
    )


def _roster_sheet(workbook):
    """The first sheet that has the roster's headers (the template also has an instructions
    sheet, and people add sheets of their own)."""
    for sheet in workbook.worksheets:
        # Not the size the sheet declares: that may be a million rows of 16,384 cells.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, max_col=MAX_COLUMNS, values_only=True)
        for row in rows:
            if _recognised(row) >= MIN_HEADERS_RECOGNISED:
                return sheet
    return workbook.worksheets[0]


def _recognised(row) -> int:
    return len({key for key in map(column_for_header, row) if key})


def _too_many_rows() -> RosterFileError:
    return RosterFileError(
        _("This roster has more than %(max)s rows. Split it into several files.")
        % {"max": MAX_ROWS}
    )


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")  # Excel's "Unicode Text"
    if b"\x00" in data[:4096]:
        raise _not_a_spreadsheet()
    # UTF-8 (with or without the BOM Excel writes), else GB18030, a superset of the GBK that
    # Chinese Excel uses for "CSV (逗号分隔)"; it also keeps characters such as 𠮷.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError(
        _(
            "The text of this CSV file could not be read. In Excel choose Save As → "
            "CSV UTF-8 (逗号分隔) and upload that file."
        )
    )


def _read_csv(data: bytes) -> RawSheet:
    text = _decode(data)
    controls = sum(1 for ch in text[:4096] if ch < " " and ch not in "\t\r\n")
    if controls > 8:
        raise _not_a_spreadsheet()
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max([",", "\t", ";", "，"], key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    try:
        rows = []
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(row)
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise _too_many_rows()
    except csv.Error as error:
        raise _not_a_spreadsheet() from error
    return _build_sheet(CSV, rows, [])


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _build_sheet(file_format: str, table: list[list], merged_ranges: list) -> RawSheet:
    header_index = None
    for index, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        if _recognised(row) >= MIN_HEADERS_RECOGNISED:
            header_index = index
            break
    if header_index is None:
        if not any(any(not _blank(v) for v in row) for row in table):
            raise RosterFileError(
                _("The file has no rows. Fill in the template and upload it again.")
            )
        raise RosterFileError(
            _(
                "No header row was found. The first row must hold the column names of the "
                "template, for example 工号/Employee No., 员工姓名/Worker name, "
                "孩子姓名/Child name."
            )
        )
    header = table[header_index]
    columns: dict[str, int] = {}
    ignored = []
    for position, title in enumerate(header):
        key = column_for_header(title)
        if key is None or key not in COLUMNS_BY_KEY:
            if key is None and not _blank(title):
                ignored.append(str(title).strip())
            continue
        if key in columns:
            raise RosterFileError(
                _(
                    "Two columns are both called %(column)s (columns %(first)s and %(second)s). "
                    "Delete or rename one of them."
                )
                % {
                    "column": COLUMNS_BY_KEY[key].header,
                    "first": get_column_letter(columns[key] + 1),
                    "second": get_column_letter(position + 1),
                }
            )
        columns[key] = position
    missing = [COLUMNS_BY_KEY[key].header for key in REQUIRED if key not in columns]
    if missing:
        raise RosterFileError(
            _(
                "These columns are missing: %(columns)s. Add them to the header row (the "
                "template has every column) and upload the file again."
            )
            % {"columns": "、".join(missing)}
        )
    header_row = header_index + 1
    merged = {}
    for min_row, max_row, min_col, max_col, coord in merged_ranges:
        if max_row < header_row:
            continue  # a title above the header
        for key, position in columns.items():
            if min_col <= position + 1 <= max_col:
                for number in range(max(min_row, header_row), max_row + 1):
                    merged[(number, key)] = coord
    header_merged = sorted(
        {coord for (number, _key), coord in merged.items() if number == header_row}
    )
    if header_merged:
        raise RosterFileError(
            _(
                "The header row has merged cells (%(cells)s). Unmerge them and give each "
                "column its own name."
            )
            % {"cells": "、".join(header_merged)}
        )
    rows = []
    empty = 0
    example = None
    for index in range(header_index + 1, len(table)):
        row = table[index]
        cells = {
            key: row[position] if position < len(row) else None for key, position in columns.items()
        }
        if all(_blank(value) for value in cells.values()):
            empty += 1
            continue
        if _is_example(cells):
            example = index + 1
            continue
        rows.append(RawRow(number=index + 1, cells=cells))
    return RawSheet(
        format=file_format,
        header_row=header_row,
        columns=columns,
        rows=rows,
        merged=merged,
        ignored_headers=ignored,
        empty_rows=empty,
        example_row=example,
    )


def _is_example(cells: dict) -> bool:
    def shown(value):
        if hasattr(value, "isoformat"):
            return value.isoformat()[:10]
        return "" if value is None else str(value).strip()

    return all(shown(cells.get(key)) == value for key, value in EXAMPLE_ROW.items())
