"""Tables as the dashboards show them and as they export: one list of values per row, so the
page, the Excel file and the CSV file can never disagree."""

from dataclasses import dataclass, field
from datetime import date
from html import escape

from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from openpyxl import Workbook

from ffs_portal.lib import spreadsheets

# How a column's values are shown and exported.
TEXT, INT, SHARE, DECIMAL, POINTS, DAY, FLAGS = (
    "text",
    "int",
    "share",
    "decimal",
    "points",
    "day",
    "flags",
)


@dataclass
class Column:
    label: str
    kind: str = INT
    help: str = ""
    # False: exported, but shown on the page inside another cell (e.g. under the site's name).
    page: bool = True

    @property
    def numeric(self) -> bool:
        return self.kind in (INT, SHARE, DECIMAL, POINTS)


@dataclass
class Link:
    """A cell that links to a page (its text alone in exports), with a second line on the
    page (e.g. the factory under a site's name)."""

    text: str
    url: str
    sub: str = ""

    def __str__(self):
        return self.text


@dataclass
class Flag:
    """A reason a site needs attention: a word with an icon, red or amber, never colour alone."""

    code: str
    label: str
    icon: str
    severity: str  # "red" or "amber"
    detail: str = ""

    def __str__(self):
        return f"{self.label} ({self.detail})" if self.detail else self.label


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    footer: list | None = None
    note: str = ""
    # Rows picked out on the page (e.g. the three lowest), by index.
    highlight: set = field(default_factory=set)
    # How many rows the page shows at first; the rest come on request (exports have all).
    limit: int | None = None

    @property
    def cut(self) -> bool:
        return self.limit is not None and len(self.rows) > self.limit

    def rendered(self, full: bool = True) -> list[list["Cell"]]:
        """Rows ready for the page, formatted once in Python (a page shows thousands)."""
        rows = self.rows if full or self.limit is None else self.rows[: self.limit]
        return [
            [cell(value, column) for value, column in zip(row, self.columns, strict=True)]
            for row in rows
        ]

    def rendered_footer(self) -> list["Cell"] | None:
        if not self.footer:
            return None
        return [
            cell(value, column) for value, column in zip(self.footer, self.columns, strict=True)
        ]

    def html(self) -> SafeString:
        return self.to_html(full=False)

    def full_html(self) -> SafeString:
        return self.to_html(full=True)

    def to_html(self, *, full: bool) -> SafeString:
        """The table as HTML, built in Python: a page of 150 sites shows thousands of cells,
        and a template loop would spend more time on them than the database."""
        end = ' class="text-end"'
        shown_at = [i for i, column in enumerate(self.columns) if column.page]
        head = "".join(
            f'<th scope="col"{end if c.numeric else ""}>{escape(c.label)}'
            + (
                f' <i class="bi bi-info-circle text-body-secondary" role="img" '
                f'title="{escape(c.help)}" aria-label="{escape(c.help)}"></i>'
                if c.help
                else ""
            )
            + "</th>"
            for c in (self.columns[i] for i in shown_at)
        )
        body = []
        for index, row in enumerate(self.rendered(full)):
            marked = ' class="row-highlight"' if index in self.highlight else ""
            cells = [_cell_html(row[i], first=i == 0) for i in shown_at]
            body.append(f"<tr{marked}>{''.join(cells)}</tr>")
        if not body:
            # Outside the f-string: makemessages does not read a string inside one.
            nothing = _("Nothing to show for these filters.")
            body.append(
                f'<tr><td colspan="{len(shown_at)}" class="text-body-secondary">'
                f"{escape(nothing)}</td></tr>"
            )
        footer = ""
        footer_cells = self.rendered_footer()
        if footer_cells:
            cells = [_cell_html(footer_cells[i], first=i == 0) for i in shown_at]
            footer = f'<tfoot class="table-light fw-semibold"><tr>{"".join(cells)}</tr></tfoot>'
        return mark_safe(  # noqa: S308 - every text in it is escaped above
            '<table class="table table-sm table-hover align-middle mb-0">'
            f'<thead class="table-light"><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody>{footer}</table>"
        )


def _cell_html(cell: "Cell", *, first: bool) -> str:
    if cell.flags:
        flags = "".join(
            f'<span class="flag flag-{flag.severity}"><i class="bi {flag.icon}" aria-hidden="true">'
            f"</i> {escape(flag.label)}"
            + (f' <span class="flag-detail">{escape(flag.detail)}</span>' if flag.detail else "")
            + "</span>"
            for flag in cell.flags
        )
        return f'<td class="flags">{flags}</td>'
    text = escape(cell.text)
    if text == "&lt;5":
        text = f'<span class="suppressed">{text}</span>'
    if cell.url:
        text = f'<a href="{escape(cell.url)}">{text}</a>'
    if cell.sub:
        text = f'{text}<div class="cell-sub">{escape(cell.sub)}</div>'
    if first:
        return f'<th scope="row" class="fw-normal text-nowrap">{text}</th>'
    return f'<td class="text-end">{text}</td>' if cell.numeric else f"<td>{text}</td>"


@dataclass
class Cell:
    text: str
    numeric: bool = False
    url: str = ""
    flags: list | None = None
    sub: str = ""


def cell(value, column: Column) -> Cell:
    if isinstance(value, Link):
        return Cell(value.text, url=value.url, sub=value.sub)
    if column.kind == FLAGS:
        return Cell("", flags=value or None)
    if column.kind == DAY and isinstance(value, date):
        return Cell(date_format(value, "SHORT_DATE_FORMAT"))
    return Cell(shown(value, column), numeric=column.numeric)


def plain(value, column: Column):
    """The value written to a spreadsheet cell."""
    if value is None:
        return ""
    if isinstance(value, Link):
        return value.text
    if column.kind == FLAGS:
        return "; ".join(str(flag) for flag in value)
    if isinstance(value, str | date | int | float):
        return value
    return str(value)


def shown(value, column: Column) -> str:
    """The value as the page shows it (both languages group thousands with a comma)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value  # also a suppressed figure such as "<5"
    if column.kind == SHARE:
        return f"{value * 100:.0f}%"
    if column.kind == POINTS:
        sign = "+" if value > 0.0005 else ("−" if value < -0.0005 else "±")
        return f"{sign}{abs(value) * 100:.1f}"
    if column.kind == DECIMAL:
        return f"{value:,.1f}"
    if column.kind == INT and isinstance(value, int | float):
        return f"{value:,.0f}"
    return str(value)


def _export_rows(table: Table) -> list[list]:
    """Every row and the footer, as the files hold them (shares as fractions)."""
    return [
        [plain(value, column) for value, column in zip(row, table.columns, strict=True)]
        for row in [*table.rows, *([table.footer] if table.footer else [])]
    ]


def to_csv(table: Table) -> bytes:
    """UTF-8 with a BOM (Excel opens Chinese correctly); shares as fractions (0.875)."""
    rows = [
        [round(value, 4) if isinstance(value, float) else value for value in row]
        for row in _export_rows(table)
    ]
    return spreadsheets.csv_bytes([column.label for column in table.columns], rows)


NUMBER_FORMATS = {SHARE: "0.0%", POINTS: "+0.0%;-0.0%;0.0%", DECIMAL: "0.0"}


def to_xlsx(*tables: Table) -> bytes:
    """One sheet per table; shares formatted as percentages, text never run as a formula."""
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(spreadsheets.sheet_title(table.title, used))
        spreadsheets.write_header(
            sheet,
            [column.label for column in table.columns],
            widths=[28 if column.kind in (TEXT, FLAGS) else 12 for column in table.columns],
            height=36,
            freeze="B2",
        )
        rows = _export_rows(table)
        for number, row in enumerate(rows, start=2):
            for position, (value, column) in enumerate(zip(row, table.columns, strict=True), 1):
                spreadsheets.write_cell(
                    sheet, number, position, value, NUMBER_FORMATS.get(column.kind, "")
                )
        if table.note:
            spreadsheets.write_cell(sheet, len(rows) + 3, 1, table.note)
    return spreadsheets.xlsx_bytes(workbook)
