"""Roster pages: upload → preview (every problem shown by row and cell) → confirm; the
template; the export."""

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enrollment.models import Factory
from enrollment.roster import selectors, services, spreadsheets, uploads
from enrollment.roster.columns import COLUMNS_BY_KEY
from enrollment.roster.forms import RosterExportForm, RosterUploadForm
from enrollment.roster.planning import build_plan
from enrollment.roster.reading import RosterFileError, read_roster
from ffs_portal import access
from ffs_portal.access import MANAGE_FAMILIES, VIEW_FAMILIES, AuthenticatedHttpRequest, requires
from ffs_portal.lib.spreadsheets import XLSX_TYPE, attachment

ROWS_PER_PAGE = 100
# A preview lists at most this many rows with problems; the rest are counted.
PROBLEM_ROWS_SHOWN = 200


def _factories(user):
    return access.scoped(user, Factory).order_by("name")


@requires(MANAGE_FAMILIES)
@require_http_methods(["GET", "POST"])
def roster_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    factories = _factories(request.user)
    if request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES, factories=factories)
    else:
        form = RosterUploadForm(factories=factories)
    if form.is_bound and form.is_valid():
        upload = uploads.save_upload(
            data=form.content,
            name=form.cleaned_data["file"].name,
            user=request.user,
            factory=form.cleaned_data["factory"],
        )
        return redirect("enrollment:roster_import_preview", upload=upload.token)
    return render(request, "enrollment/roster_import.html", {"form": form})


def _pending(request: AuthenticatedHttpRequest, token):
    """The upload named by ``token``, if this user made it for a factory they still have."""
    pending = uploads.find_upload(token=token, user=request.user)
    if pending is None:
        raise Http404
    factory = access.get_scoped_or_404(request.user, Factory, pk=pending.factory_id)
    return pending, factory


@requires(MANAGE_FAMILIES)
@require_GET
def roster_import_preview(request: AuthenticatedHttpRequest, upload) -> HttpResponse:
    pending, factory = _pending(request, upload)
    try:
        sheet = read_roster(pending.read())
    except RosterFileError as error:
        return _unreadable(request, pending, factory, error)
    plan = build_plan(factory=factory, sheet=sheet)
    return _preview(request, pending, plan)


@requires(MANAGE_FAMILIES)
@require_POST
def roster_import_confirm(request: AuthenticatedHttpRequest, upload) -> HttpResponse:
    pending, factory = _pending(request, upload)
    action = request.POST.get("action")
    if action == "discard":
        uploads.delete_upload(pending.token)
        messages.info(request, _("The uploaded file was discarded. Nothing was imported."))
        return redirect("enrollment:roster_import")
    if action not in ("confirm", "good_rows"):
        return redirect("enrollment:roster_import_preview", upload=pending.token)
    good_rows_only = action == "good_rows"
    try:
        sheet = read_roster(pending.read())
        plan = services.roster_import(
            factory=factory, sheet=sheet, by=request.user, good_rows_only=good_rows_only
        )
    except RosterFileError as error:
        return _unreadable(request, pending, factory, error)
    except services.RosterHasProblems as error:
        messages.error(
            request,
            _(
                "The portal's records changed since the preview and the roster now has "
                "problems. Nothing was imported; see them below."
            ),
        )
        return _preview(request, pending, error.plan)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("enrollment:roster_import_preview", upload=pending.token)
    messages.success(request, _summary(plan.counts()))
    if good_rows_only and plan.problem_rows:
        # The file stays: its preview now shows the imported rows as done, and the rows
        # still to correct, with their file to download.
        messages.warning(
            request,
            ngettext(
                "%(count)s row was not imported. Download it with its problems, correct it "
                "and upload it again.",
                "%(count)s rows were not imported. Download them with their problems, correct "
                "them and upload them again.",
                len(plan.problem_rows),
            )
            % {"count": len(plan.problem_rows)},
        )
        return redirect("enrollment:roster_import_preview", upload=pending.token)
    uploads.delete_upload(pending.token)
    return redirect("enrollment:family_list")


@requires(MANAGE_FAMILIES)
@require_GET
def roster_import_rejected(request: AuthenticatedHttpRequest, upload) -> HttpResponse:
    """The rows with problems as an Excel file, each with what to correct."""
    pending, factory = _pending(request, upload)
    try:
        sheet = read_roster(pending.read())
    except RosterFileError as error:
        return _unreadable(request, pending, factory, error)
    plan = build_plan(factory=factory, sheet=sheet)
    return attachment(
        spreadsheets.rejected_xlsx(plan),
        filename=f"待修改 to-correct {timezone.localdate():%Y%m%d}.xlsx",
    )


def _summary(counts) -> str:
    return _(
        "Roster imported. Families: %(families_new)s new, %(families_changed)s changed, "
        "%(families_same)s unchanged. Children: %(children_new)s new, %(children_changed)s "
        "changed. Pickup adults: %(adults_new)s new, %(adults_changed)s changed. Consents "
        "recorded: %(consents)s. Enrolments: %(enrolments)s."
    ) % {
        "consents": counts["consents"]["create"],
        "enrolments": counts["enrolments"]["create"],
        "families_new": counts["families"]["create"],
        "families_changed": counts["families"]["update"],
        "families_same": counts["families"]["unchanged"],
        "children_new": counts["children"]["create"],
        "children_changed": counts["children"]["update"],
        "adults_new": counts["adults"]["create"],
        "adults_changed": counts["adults"]["update"],
    }


def _unreadable(request: AuthenticatedHttpRequest, pending, factory, error):
    form = RosterUploadForm(factories=_factories(request.user), initial={"factory": factory.code})
    context = {"pending": pending, "factory": factory, "file_errors": error.messages, "form": form}
    return render(request, "enrollment/roster_preview.html", context)


def _table(rows, sheet, actions):
    """Rows as the preview table shows them: each cell with its problems."""
    keys = sorted(sheet.columns, key=sheet.columns.get)
    table = []
    for row in rows:
        problems = defaultdict(list)
        for problem in row.problems:
            problems[problem.column].append(problem.message)
        table.append(
            {
                "number": row.number,
                "action": actions.get(row.number, "problem") if not row.problems else "problem",
                "cells": [
                    {"key": key, "value": row.display.get(key, ""), "problems": problems.get(key)}
                    for key in keys
                ],
                "problems": [
                    {
                        "column": COLUMNS_BY_KEY[key] if key else None,
                        "letter": sheet.letter(key) if key else "",
                        "messages": messages_,
                    }
                    for key, messages_ in problems.items()
                ],
                "notes": row.notes,
            }
        )
    return table


def _preview(request: AuthenticatedHttpRequest, pending, plan):
    sheet = plan.sheet
    keys = sorted(sheet.columns, key=sheet.columns.get)
    columns = [{"column": COLUMNS_BY_KEY[key], "letter": sheet.letter(key)} for key in keys]
    problem_rows = plan.problem_rows
    page = Paginator(plan.rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    form = RosterUploadForm(
        factories=_factories(request.user), initial={"factory": plan.factory.code}
    )
    context = {
        "pending": pending,
        "factory": plan.factory,
        "plan": plan,
        "counts": plan.counts(),
        "columns": columns,
        "problem_count": len(plan.problems),
        "problem_rows": _table(problem_rows[:PROBLEM_ROWS_SHOWN], sheet, plan.row_actions),
        "problem_rows_hidden": max(len(problem_rows) - PROBLEM_ROWS_SHOWN, 0),
        "problem_row_count": len(problem_rows),
        "good_row_count": len(plan.rows) - len(problem_rows),
        "notes": [(row.number, note) for row in plan.rows for note in row.notes],
        "page": page,
        "page_rows": _table(page.object_list, sheet, plan.row_actions),
        "form": form,
    }
    return render(request, "enrollment/roster_preview.html", context)


@requires(MANAGE_FAMILIES)
@require_GET
def roster_template(request: AuthenticatedHttpRequest) -> HttpResponse:
    return attachment(spreadsheets.template_xlsx(), filename="儿童名单模板 roster-template.xlsx")


@requires(VIEW_FAMILIES)
@require_GET
def roster_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    factories = selectors.export_factories(request.user)
    code = request.GET.get("factory")
    file_format = request.GET.get("format")
    # A list of children leaves the portal only with a reason, kept in the audit entry.
    reason = " ".join(request.GET.get("reason", "").split())
    factory: Factory | None
    if code:
        factory = access.get_scoped_or_404(request.user, Factory, code=code)
    else:
        only = list(factories[:2])
        factory = only[0] if len(only) == 1 else None
    if factory is None or file_format not in ("xlsx", "csv") or not reason or len(reason) > 200:
        initial = {
            "factory": factory.code if factory else None,
            "format": file_format if file_format in ("xlsx", "csv") else "xlsx",
        }
        form = RosterExportForm(factories=factories, initial=initial)
        chose_badly = file_format is not None and file_format not in ("xlsx", "csv")
        if chose_badly or request.GET.get("export") or "reason" in request.GET:
            data = request.GET.copy()
            data.setdefault("factory", initial["factory"] or "")
            form = RosterExportForm(data, factories=factories)
            form.is_valid()
        return render(request, "enrollment/roster_export.html", {"form": form})
    children = list(selectors.roster_children(user=request.user, factory=factory))
    lone = selectors.roster_workers_without_children(user=request.user, factory=factory)
    rows = spreadsheets.export_rows(children, lone)
    header = spreadsheets.export_header()
    if file_format == "csv":
        content, content_type = spreadsheets.to_csv(header, rows), "text/csv; charset=utf-8"
    else:
        content = spreadsheets.to_xlsx(header, rows, sheet_title=_("Roster")[:31])
        content_type = XLSX_TYPE
    services.roster_exported(
        factory=factory,
        by=request.user,
        file_format=file_format,
        rows=len(rows),
        reason=reason,
        children=children,
    )
    filename = f"roster-{factory.code}-{timezone.localdate():%Y%m%d}.{file_format}"
    return attachment(content, filename=filename, content_type=content_type)
