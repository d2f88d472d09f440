"""Write the roster as .xlsx or CSV (an export, or the empty template), in the columns an
import reads, so an export can be imported again and change nothing."""

from datetime import date

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from enrollment.models import Relation
from enrollment.roster.columns import (
    ALL_COLUMNS,
    COLUMNS,
    COLUMNS_BY_KEY,
    CONSENT_AND_TERM_COLUMNS,
    EXAMPLE_ROW,
    EXPORT_ONLY_COLUMNS,
    PROBLEMS_COLUMN,
    PROVINCE_ZH,
    province_name,
)
from ffs_portal.lib import spreadsheets

TEXT_COLUMNS = {"employee_no", "mobile", "pickup_mobile", "consent_version"}
PROBLEM_FILL = PatternFill("solid", fgColor="F8D7DA")
WIDTHS = {"allergies": 24, "date_of_birth": 14, "department": 14}
REQUIRED_FILL = PatternFill("solid", fgColor="FDE9D9")


def export_rows(children, lone_workers) -> list[list]:
    """One row per child and adult who may collect them (one row for a child nobody else
    may collect yet), in the name of the family's first worker; then a row of its own for
    a family's second worker and for each worker without a child."""
    rows = []
    second_workers = {}
    for child in children:
        workers = list(child.family.workers.all())
        worker = workers[0] if workers else None
        for other in workers[1:]:
            second_workers[other.pk] = other
        enrollment = child.latest_enrollments[0] if child.latest_enrollments else None
        base = [
            *_worker_cells(worker),
            child.name,
            child.get_sex_display(),
            child.date_of_birth,
            child.allergies,
        ]
        active = child.active_consents[0] if child.active_consents else None
        if active:
            consent = pgettext("consent on file", "Yes")
        else:
            consent = pgettext("consent on file", "No")
        status = [
            active.given_on if active else "",
            active.text_version if active else "",
            active.given_by if active else "",
            active.get_given_by_relation_display() if active else "",
            enrollment.term.site.name if enrollment else "",
            enrollment.term.name if enrollment else "",
            consent,
            enrollment.get_status_display() if enrollment else "",
        ]
        for permission in child.allowed_pickups or [None]:
            adult = permission.adult if permission else None
            pickup = (
                [adult.name, adult.get_relation_display(), adult.mobile] if adult else ["", "", ""]
            )
            sort_key = (worker is None, worker.employee_no if worker else "", child.date_of_birth)
            rows.append((sort_key, [*base, *pickup, *status]))
    rows.sort(key=lambda row: row[0])
    result = [row for _key, row in rows]
    blank = [""] * (len(ALL_COLUMNS) - 5 + len(EXPORT_ONLY_COLUMNS))
    others = sorted(second_workers.values(), key=lambda worker: worker.employee_no)
    for worker in [*others, *lone_workers]:
        result.append([*_worker_cells(worker), *blank])
    return result


def _worker_cells(worker) -> list:
    if worker is None:
        return ["", "", "", "", ""]
    return [
        worker.employee_no,
        worker.name,
        worker.department,
        worker.mobile,
        province_name(worker.hukou_province),
    ]


def export_header() -> list[str]:
    return [column.header for column in (*ALL_COLUMNS, *EXPORT_ONLY_COLUMNS)]


def to_csv(header: list[str], rows: list[list]) -> bytes:
    return spreadsheets.csv_bytes(header, rows)


def to_xlsx(header: list[str], rows: list[list], *, sheet_title: str) -> bytes:
    workbook = Workbook()
    sheet = spreadsheets.first_sheet(workbook, sheet_title)
    _write_table(sheet, header, rows)
    return spreadsheets.xlsx_bytes(workbook)


def _write_table(sheet, header, rows, keys=None) -> None:
    keys = keys or [column.key for column in (*ALL_COLUMNS, *EXPORT_ONLY_COLUMNS)][: len(header)]
    required = {column.key for column in COLUMNS if column.required}
    spreadsheets.write_header(
        sheet,
        header,
        widths=[WIDTHS.get(key, 16) for key in keys],
        fills=[REQUIRED_FILL if key in required else spreadsheets.HEADER_FILL for key in keys],
    )
    for number, row in enumerate(rows, start=2):
        for position, value in enumerate(row, start=1):
            spreadsheets.write_cell(sheet, number, position, value)
    for position, key in enumerate(keys, start=1):
        if key in TEXT_COLUMNS:
            # Keep employee numbers and mobiles as text, also in rows typed in later: Excel
            # would show 13812345678 as 1.38E+10 and drop an employee no.'s leading zeros.
            letter = get_column_letter(position)
            sheet.column_dimensions[letter].number_format = "@"
            for (cell,) in sheet.iter_rows(min_row=2, min_col=position, max_col=position):
                cell.number_format = "@"


def template_xlsx() -> bytes:
    """The empty roster to fill in: the headers, an example row, drop-down lists for sex,
    relation and province, and a sheet of instructions."""
    with translation.override("zh-hans"):
        workbook = Workbook()
        sheet = spreadsheets.first_sheet(workbook, "名单 Roster")
        header = [column.header for column in ALL_COLUMNS]
        example = [
            date.fromisoformat(value) if key == "date_of_birth" else value
            for key, value in EXAMPLE_ROW.items()
        ] + [""] * len(CONSENT_AND_TERM_COLUMNS)
        _write_table(sheet, header, [example])
        letters = {c.key: get_column_letter(i) for i, c in enumerate(ALL_COLUMNS, start=1)}
        _drop_down(sheet, letters["sex"], ["男", "女"])
        _drop_down(sheet, letters["pickup_relation"], _relation_words())
        _drop_down(sheet, letters["consent_relation"], _relation_words())
        _drop_down(sheet, letters["province"], [names[0] for names in PROVINCE_ZH.values()])
        _instructions(workbook.create_sheet("说明 Instructions"))
    return spreadsheets.xlsx_bytes(workbook)


def _relation_words() -> list[str]:
    common = ["母亲", "父亲", "奶奶", "外婆", "爷爷", "外公", "姑姑", "阿姨", "叔叔", "舅舅"]
    others = [Relation.SIBLING, Relation.RELATIVE, Relation.NEIGHBOUR, Relation.OTHER]
    return common + [str(relation.label) for relation in others]


def _drop_down(sheet, letter: str, words: list[str]) -> None:
    # A suggestion, not a rule: other words (Guangdong, 姥姥…) are accepted too.
    formula = '"' + ",".join(words) + '"'
    assert len(formula) <= 255, "Excel limits a list typed into a rule to 255 characters"
    rule = DataValidation(type="list", allow_blank=True, formula1=formula, showErrorMessage=False)
    sheet.add_data_validation(rule)
    rule.add(f"{letter}2:{letter}2000")


INSTRUCTIONS = [
    gettext_noop("How to fill in the roster"),
    gettext_noop("One row per child. A worker with several children has one row for each child."),
    gettext_noop("Columns with an orange header must be filled in; the others may stay empty."),
    gettext_noop("Mobile numbers: 11 digits starting with 1, e.g. 13812345678."),
    gettext_noop("Dates of birth: 2019-07-15, 2019/7/15 or 2019年7月15日."),
    gettext_noop("Sex: 男 or 女 (M or F). Home province: e.g. 四川 or Sichuan."),
    gettext_noop(
        "Pickup adult: someone other than the worker who may collect the child, with the "
        "relation (e.g. 奶奶, 外公) and a mobile."
    ),
    gettext_noop(
        "To give a child two pickup adults, write the child in two rows, one for each adult."
    ),
    gettext_noop(
        "Consent and term (optional): the date the guardian signed the consent form, its "
        "version (empty: the current one), who signed (empty: the worker) and their "
        "relation; the term to enrol the child in, as the portal names it, and its site "
        "when two sites have a term of that name."
    ),
    gettext_noop(
        "Do not merge cells. Delete the example row (row 2) or leave it: the portal skips it."
    ),
    gettext_noop("Save as .xlsx, or as CSV UTF-8. Importing the same file twice changes nothing."),
]


def _instructions(sheet) -> None:
    """In Chinese, with the English beside it."""
    sheet.column_dimensions["A"].width = 80
    sheet.column_dimensions["B"].width = 80
    for line in INSTRUCTIONS:
        with translation.override("zh-hans"):
            chinese = _(line)
        sheet.append([chinese, line])
    for cell in sheet[1]:
        cell.font = Font(bold=True, size=14)
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def rejected_xlsx(plan) -> bytes:
    """The rows with problems, as they were in the file, with what to correct in each: fix
    them here and upload this file again (the problems column is not read)."""
    sheet_keys = sorted(plan.sheet.columns, key=plan.sheet.columns.get)
    keys = [*sheet_keys, PROBLEMS_COLUMN.key]
    header = [COLUMNS_BY_KEY[key].header for key in sheet_keys] + [PROBLEMS_COLUMN.header]
    rows = []
    for row in plan.problem_rows:
        said = [
            f"{COLUMNS_BY_KEY[p.column].label}: {p.message}" if p.column else p.message
            for p in row.problems
        ]
        rows.append([row.display.get(key, "") for key in sheet_keys] + ["\n".join(said)])
    workbook = Workbook()
    sheet = spreadsheets.first_sheet(workbook, "待修改 To correct")
    _write_table(sheet, header, rows, keys=keys)
    sheet.column_dimensions[get_column_letter(len(keys))].width = 60
    for number, row in enumerate(plan.problem_rows, start=2):
        wrong = {p.column for p in row.problems}
        for position, key in enumerate(keys, start=1):
            if key in wrong:
                sheet.cell(row=number, column=position).fill = PROBLEM_FILL
        sheet.cell(row=number, column=len(keys)).alignment = Alignment(wrap_text=True)
    return spreadsheets.xlsx_bytes(workbook)
