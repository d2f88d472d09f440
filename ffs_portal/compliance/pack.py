"""The annual compliance pack on minors' personal information: what was held, consent
coverage, who read children's records, exports, anonymisations, refused attempts and data
incidents, for one year and the factories one oversees; shown on a page, written as Excel."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from enrollment.models import Adult, Child, Enrollment, Factory, Family, Worker
from ffs_portal import audit
from ffs_portal.compliance.models import DataIncident
from ffs_portal.compliance.pages import page_label
from ffs_portal.lib import spreadsheets
from ffs_portal.models import AuditEntry, Role

CONSENT_ITEMS = ("care", "photos", "reporting", "messages")
EXPORT_ACTIONS = ("roster.exported", "child.file_given")


@dataclass
class Sheet:
    title: str
    header: list[str]
    rows: list[list] = field(default_factory=list)
    # Columns holding a share (0–1), shown as a percentage.
    shares: tuple[int, ...] = ()


@dataclass
class Pack:
    year: int
    made_at: datetime
    factories: int
    children: int
    families: int
    consent_share: float | None
    reads: int
    exports: int
    anonymised: int
    refused: int
    incidents: int
    sheets: list[Sheet]

    def headline(self) -> list[tuple[str, object]]:
        return [
            (_("Factories"), self.factories),
            (_("Children held"), self.children),
            (_("Families held"), self.families),
            (_("Children with active consent"), self.consent_share),
            (_("Reads of children's records"), self.reads),
            (_("Exports of children's data"), self.exports),
            (_("Children anonymised"), self.anonymised),
            (_("Refused attempts on another factory's data"), self.refused),
            (_("Data incidents"), self.incidents),
        ]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _who(entry: AuditEntry) -> tuple[str, str]:
    if entry.actor is None:
        return _("system"), ""
    return entry.actor.get_full_name() or entry.actor.username, entry.actor.get_role_display()


def _local(value: datetime) -> datetime:
    return timezone.localtime(value).replace(tzinfo=None, microsecond=0)


def build(
    *, year: int, factories: QuerySet[Factory], incidents: QuerySet[DataIncident], whole: bool
) -> Pack:
    """The pack for ``year`` over ``factories``; ``whole`` (someone who oversees every
    factory, or the command) adds what names no factory: refused attempts on records of no
    factory. A bounded number of queries, however many factories and entries."""
    factory_list = list(factories.order_by("name"))
    ids = [f.pk for f in factory_list]
    in_year = Q(at__year=year)
    entries = AuditEntry.objects.filter(in_year)
    scoped_entries = entries.filter(
        Q(factory__in=ids) | (Q(factory__isnull=True) if whole else Q(pk__in=[]))
    )

    # Records held, per factory.
    families = dict(
        Family.objects.filter(factory__in=ids).values_list("factory").annotate(n=Count("pk"))
    )
    workers = dict(
        Worker.objects.filter(factory__in=ids).values_list("factory").annotate(n=Count("pk"))
    )
    adults = dict(
        Adult.objects.filter(family__factory__in=ids)
        .values_list("family__factory")
        .annotate(n=Count("pk"))
    )
    enrolled = dict(
        Enrollment.objects.filter(child__family__factory__in=ids, term__starts_on__year=year)
        .values_list("child__family__factory")
        .annotate(n=Count("child", distinct=True))
    )
    active = Q(consents__pk__isnull=False, consents__withdrawn_at__isnull=True)
    coverage = {
        row["family__factory"]: row
        for row in Child.objects.filter(family__factory__in=ids)
        .values("family__factory")
        .annotate(
            children=Count("pk", distinct=True),
            consent=Count("pk", filter=active, distinct=True),
            care=Count("pk", filter=active & Q(consents__covers_care=True), distinct=True),
            photos=Count("pk", filter=active & Q(consents__covers_photos=True), distinct=True),
            reporting=Count(
                "pk", filter=active & Q(consents__covers_reporting=True), distinct=True
            ),
            messages=Count("pk", filter=active & Q(consents__covers_messages=True), distinct=True),
        )
    }
    held = Sheet(
        _("Records held"),
        [_("Factory"), _("Families"), _("Workers"), _("Other adults"), _("Children"),
         _("Children enrolled in a term of %(year)s") % {"year": year}],
    )  # fmt: skip
    consent = Sheet(
        _("Consent coverage"),
        [_("Factory"), _("Children"), _("With active consent"), _("Share"),
         _("Care"), _("Photos"), _("Reports to sponsors"), _("Messages to the parents"),
         _("Share: photos"), _("Share: reports"), _("Share: messages")],
        shares=(3, 8, 9, 10),
    )  # fmt: skip
    totals = dict.fromkeys(
        ("families", "workers", "adults", "children", "enrolled", "consent", *CONSENT_ITEMS), 0
    )
    for factory in factory_list:
        row = coverage.get(factory.pk, {})
        children = row.get("children", 0)
        values = {
            "families": families.get(factory.pk, 0),
            "workers": workers.get(factory.pk, 0),
            "adults": adults.get(factory.pk, 0),
            "children": children,
            "enrolled": enrolled.get(factory.pk, 0),
            "consent": row.get("consent", 0),
            **{item: row.get(item, 0) for item in CONSENT_ITEMS},
        }
        for key, value in values.items():
            totals[key] += value
        held.rows.append(
            [
                factory.name,
                values["families"],
                values["workers"],
                values["adults"],
                children,
                values["enrolled"],
            ]
        )
        consent.rows.append(_consent_row(factory.name, values))
    held.rows.append(
        [
            _("Total"),
            totals["families"],
            totals["workers"],
            totals["adults"],
            totals["children"],
            totals["enrolled"],
        ]
    )
    consent.rows.append(_consent_row(_("Total"), totals))

    # Reads of children's records, by the reader's role.
    reads = Sheet(_("Accesses by role"), [_("Role"), _("Reads"), _("People"), _("Children")])
    labels = dict(Role.choices)
    read_rows = (
        scoped_entries.filter(action__in=audit.READ_ACTIONS)
        .values("actor__role")
        .annotate(
            n=Count("pk"),
            people=Count("actor", distinct=True),
            children=Count("child", distinct=True),
        )
        .order_by("-n")
    )
    read_total = 0
    for row in read_rows:
        read_total += row["n"]
        role = labels.get(row["actor__role"], _("system")) if row["actor__role"] else _("system")
        reads.rows.append([str(role), row["n"], row["people"], row["children"]])
    pages = Sheet(_("Accesses by page"), [_("Page"), _("Reads")])
    for row in (
        scoped_entries.filter(action__in=audit.READ_ACTIONS)
        .values("details__page")
        .annotate(n=Count("pk"))
        .order_by("-n")
    ):
        pages.rows.append([page_label(row["details__page"]), row["n"]])

    exports = Sheet(
        _("Exports"),
        [_("When"), _("Who"), _("Role"), _("Factory"), _("What"), _("Rows"), _("Reason")],
    )
    names = {f.pk: f.name for f in factory_list}
    export_entries = list(
        scoped_entries.filter(action__in=EXPORT_ACTIONS)
        .select_related("actor")
        .order_by("at", "pk")
    )
    for entry in export_entries:
        who, role = _who(entry)
        what = (
            _("Roster export") if entry.action == "roster.exported" else _("File for the guardian")
        )
        rows = entry.details.get("rows", 1)
        exports.rows.append([_local(entry.at), who, role, names.get(entry.factory_id or 0, ""), str(what), rows,
                             entry.details.get("reason", "")])  # fmt: skip

    anonymised = Sheet(_("Anonymisations"), [_("Factory"), _("Children anonymised")])
    counted = dict(
        scoped_entries.filter(action=audit.ANONYMISED)
        .values_list("factory")
        .annotate(n=Count("pk"))
    )
    for factory in factory_list:
        anonymised.rows.append([factory.name, counted.get(factory.pk, 0)])
    anonymised_total = sum(counted.values())
    anonymised.rows.append([_("Total"), anonymised_total])

    refused = Sheet(
        _("Refused attempts"),
        [_("When"), _("Who"), _("Role"), _("Whose data (factory)"), _("Kind of record"), _("Page")],
    )
    refused_entries = list(
        scoped_entries.filter(action=audit.REFUSED_ACCESS)
        .select_related("actor")
        .order_by("at", "pk")
    )
    for entry in refused_entries:
        who, role = _who(entry)
        refused.rows.append([_local(entry.at), who, role, names.get(entry.factory_id or 0, ""),
                             entry.details.get("model", ""), entry.details.get("page", "")])  # fmt: skip

    incident_sheet = Sheet(
        _("Data incidents"),
        [_("Found on"), _("Factory"), _("What happened"), _("Which data was exposed"),
         _("Children affected"), _("Families affected"), _("Authority told"),
         _("Authority told on"), _("Families told on"), _("What was done"), _("Closed on")],
    )  # fmt: skip
    incident_list = list(
        incidents.filter(found_on__year=year).select_related("factory").order_by("found_on", "pk")
    )
    for incident in incident_list:
        incident_sheet.rows.append([
            incident.found_on, incident.factory.name if incident.factory else _("Several factories"),
            incident.summary, incident.data_exposed, incident.children_affected,
            incident.families_affected, incident.authority, incident.authority_told_on,
            incident.families_told_on, incident.actions_taken, incident.closed_on,
        ])  # fmt: skip

    pack = Pack(
        year=year,
        made_at=timezone.now(),
        factories=len(factory_list),
        children=totals["children"],
        families=totals["families"],
        consent_share=_share(totals["consent"], totals["children"]),
        reads=read_total,
        exports=len(export_entries),
        anonymised=anonymised_total,
        refused=len(refused_entries),
        incidents=len(incident_list),
        sheets=[held, consent, reads, pages, exports, anonymised, refused, incident_sheet],
    )
    return pack


def _consent_row(name: str, values: dict) -> list:
    children = values["children"]
    return [
        name,
        children,
        values["consent"],
        _share(values["consent"], children),
        values["care"],
        values["photos"],
        values["reporting"],
        values["messages"],
        _share(values["photos"], children),
        _share(values["reporting"], children),
        _share(values["messages"], children),
    ]


def to_xlsx(pack: Pack) -> bytes:
    """A summary sheet, then one sheet per part; text never run as a formula."""
    workbook = Workbook()
    used: set[str] = set()
    summary = spreadsheets.first_sheet(workbook, spreadsheets.sheet_title(_("Summary"), used))
    spreadsheets.write_header(
        summary, [_("Compliance pack %(year)s") % {"year": pack.year}, ""], widths=[44, 16]
    )
    spreadsheets.write_cell(summary, 2, 1, _("Made at"))
    spreadsheets.write_cell(summary, 2, 2, _local(pack.made_at), "yyyy-mm-dd hh:mm")
    for number, (label, value) in enumerate(pack.headline(), start=3):
        spreadsheets.write_cell(summary, number, 1, str(label))
        spreadsheets.write_cell(
            summary, number, 2, value, "0.0%" if isinstance(value, float) else ""
        )
    for part in pack.sheets:
        sheet = workbook.create_sheet(spreadsheets.sheet_title(part.title, used))
        spreadsheets.write_header(sheet, part.header, widths=[20] * len(part.header))
        for number, row in enumerate(part.rows, start=2):
            for position, value in enumerate(row, start=1):
                fmt = "0.0%" if position - 1 in part.shares else ""
                if isinstance(value, datetime):
                    fmt = "yyyy-mm-dd hh:mm"
                spreadsheets.write_cell(sheet, number, position, value, fmt)
    return spreadsheets.xlsx_bytes(workbook)
