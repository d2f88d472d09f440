"""Writing spreadsheets (.xlsx and CSV) that open in Excel and WPS as people expect: Chinese
intact, dates as dates, and no cell ever run as a formula."""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor="DCE8F5")
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_risky(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with a BOM, so that Excel opens Chinese names correctly; dates as 2026-07-15;
    text that would run as a formula starts with a quote (an import takes it off again)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and is_risky(value):
        return "'" + value
    return value


def write_header(
    sheet: Worksheet,
    labels: Sequence[str],
    *,
    widths: Sequence[float],
    fills: Sequence[PatternFill] | None = None,
    height: float = 32,
    freeze: str = "A2",
) -> None:
    """The first row: bold labels on a coloured fill, wrapped, with the columns' widths."""
    sheet.append(list(labels))
    for position in range(1, len(labels) + 1):
        cell = sheet.cell(row=1, column=position)
        cell.font = Font(bold=True)
        cell.fill = fills[position - 1] if fills else HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(position)].width = widths[position - 1]
    sheet.row_dimensions[1].height = height
    sheet.freeze_panes = freeze


def write_cell(sheet: Worksheet, row: int, column: int, value, number_format: str = ""):
    """One value: text stays text (never a formula, even when it starts with "="), a date
    shows as 2026-07-15 unless ``number_format`` says otherwise. Empty values write nothing."""
    if value is None or value == "":
        return None
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if is_risky(value):
            cell.quotePrefix = True
    elif number_format:
        cell.number_format = number_format
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def attachment(content: bytes, *, filename: str, content_type: str = XLSX_TYPE) -> HttpResponse:
    """A file to download under ``filename`` (Chinese included)."""
    disposition = content_disposition_header(as_attachment=True, filename=filename)
    # Never None for an attachment: only an inline file without a name has no header.
    assert disposition is not None
    return HttpResponse(
        content, content_type=content_type, headers={"Content-Disposition": disposition}
    )


def first_sheet(workbook: Workbook, title: str) -> Worksheet:
    """The sheet a new workbook opens on, named ``title``."""
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook has one, and it is a worksheet
    sheet.title = title
    return sheet


def xlsx_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_title(title: str, used: set[str]) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\, unique in the
    workbook (``used`` holds the names taken so far)."""
    clean = "".join("-" if ch in "[]:*?/\\" else ch for ch in title)[:28] or "Sheet"
    candidate, number = clean, 2
    while candidate in used:
        candidate, number = f"{clean[:26]} {number}", number + 1
    used.add(candidate)
    return candidate
