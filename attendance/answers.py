"""The board's answers to acts, as htmx out-of-band pieces: the tiles of the children acted
on, the counters, the ratio, a toast, the child's sheet.

Every piece that shows the site's state carries the board version it shows (``data-seq``),
read in one snapshot, so the tablet never replaces a newer piece with an older one. What an
answer says is decided here, from the state of the child's record after the act: a retried
act answers like its first try, a retried refusal is still a refusal, and an act that
could not be done says why."""

import json
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from attendance import selectors, services
from attendance.forms import AbsenceForm
from attendance.health import selectors as health_selectors
from attendance.health.forms import HealthCheckForm
from attendance.models import AttendanceRecord, AttendanceStatus, HealthCard, RefusedPickup
from attendance.services import ActResult
from attendance.templatetags.board_tiles import counters_html, tile_html
from enrollment.models import Child, HealthCheckMode, Site
from ffs_portal import access
from ffs_portal.access import LEAD_SITE, USE_BOARD, AuthenticatedHttpRequest
from ffs_portal.lib import clock
from ffs_portal.lib.db import snapshot
from ffs_portal.outcomes import selectors as outcome_selectors
from staff import selectors as staff_selectors
from staff.templatetags.staff_ratio import ratio_detail_html, ratio_pill_html


def _time(moment) -> str:
    return time_format(timezone.localtime(moment), "H:i")


def describe(child: Child, record: AttendanceRecord | None) -> str:
    """The state of a child's day in one sentence."""
    status = record.status if record else AttendanceStatus.EXPECTED
    names = {"child": child.name}
    if record is not None and status == AttendanceStatus.PRESENT:
        return _("%(child)s is here since %(time)s.") % {
            **names,
            "time": _time(record.checked_in_at),
        }
    if record is not None and status == AttendanceStatus.COLLECTED:
        return _("%(child)s was collected by %(name)s at %(time)s.") % {
            **names,
            "name": record.collected_by_name or _("an adult not recorded"),
            "time": _time(record.checked_out_at),
        }
    if status == AttendanceStatus.ABSENT:
        return _("%(child)s is marked absent today.") % names
    return _("%(child)s is not checked in.") % names


def _toast(level: str, message: str, **extra) -> dict:
    return {"level": level, "message": message, **extra}


def _undo_toast(site: Site, children, message: str) -> dict:
    return _toast(
        "success",
        message,
        undo=[child.key for child in children],
        site=site,
        undo_seconds=services.UNDO_SECONDS,
    )


def respond(
    request: AuthenticatedHttpRequest,
    site: Site,
    *,
    children=(),
    toast: dict | None = None,
    sheet: str | None = None,
    events: dict | None = None,
    state: selectors.AnswerState | None = None,
) -> HttpResponse:
    """The answer: the children's tiles, the counters and the ratio at one board version,
    then the toast and the sheet, and the events the tablet should act on."""
    if state is None:
        state = read_state(site, children)
    parts = _state_pieces(request, site, state)
    if toast:
        # The request only for its CSRF token (the survey's form): no context processors.
        parts.append(
            render_to_string(
                "attendance/_toast.html", toast, request=request if toast.get("survey") else None
            )
        )
    if sheet:
        parts.append(sheet)
    response = HttpResponse("".join(parts))
    if events:
        response["HX-Trigger"] = json.dumps(events)
    return response


def _state_pieces(
    request: AuthenticatedHttpRequest, site: Site, state: selectors.AnswerState
) -> list[str]:
    """The tiles, the counters and the ratio of ``state``, each marked with its version."""
    parts: list[str] = [tile_html(tile, site, oob=True, seq=state.seq) for tile in state.tiles]
    ratio = staff_selectors.live_ratio(site, ages=state.present_ages, staff=state.staff_on_duty)
    parts.append(counters_html(state.counts, seq=state.seq, oob=True))
    parts.append(ratio_pill_html(ratio, seq=state.seq, oob=True))
    duty_clock = access.can(request.user, USE_BOARD)
    parts.append(ratio_detail_html(ratio, seq=state.seq, oob=True, duty_clock=duty_clock))
    return parts


def board_changes(
    request: AuthenticatedHttpRequest,
    site: Site,
    changed: list[int],
    version: selectors.BoardVersion,
) -> str:
    """The board's refresh when only some tiles changed (``selectors.board_changes``): their
    tiles, the counters and the ratio, and the version the board then shows (``board-version``:
    the tablet's next refresh holds it). Read in the caller's snapshot, so all are of
    ``version``. The tiles stay where they are: the whole board, which sorts them again,
    comes at least every five minutes (the time of day is in the version's structure)."""
    now = clock.now()
    children = access.children_by_id(request.user, changed)
    state = selectors.answer_state(site=site, children=children, at=now)
    # As the whole board shows them (nothing for those who do not see health details).
    reminders = health_selectors.medicine_reminders(user=request.user, site=site, now=now)
    for tile in state.tiles:
        tile.medicine = reminders.get(tile.child.pk, "")
    parts = _state_pieces(request, site, state)
    parts.append(
        format_html(
            '<div id="board-version" hidden data-version="{}" data-seq="{}" '
            'hx-swap-oob="true"></div>',
            version.fingerprint,
            version.seq,
        )
    )
    return "".join(parts)


def read_state(site: Site, children, results=()) -> selectors.AnswerState:
    """What the answer shows: the records the act left (``results``), the rest read now.
    The counters, the ratio's figures and the board version come in one statement, which
    sees one moment; records read besides them are read in a snapshot of that moment."""
    known = {
        r.child.pk: (r.record, r.seq, r.incident) for r in results if r.seq is not None and r.record
    }
    at = clock.now()
    if all(child.pk in known for child in children):
        return selectors.answer_state(site=site, children=children, at=at, known=known)
    with snapshot():
        return selectors.answer_state(site=site, children=children, at=at, known=known)


def _record_now(state: selectors.AnswerState) -> AttendanceRecord | None:
    return state.tiles[0].record if state.tiles else None


def _close_sheet(child: Child) -> dict:
    # The tablet closes the sheet only if it still shows this child.
    return {"ffs:closeSheet": str(child.key)}


# The sheet ---------------------------------------------------------------------------------


def sheet_context(request: AuthenticatedHttpRequest, site: Site, child: Child, **extra) -> dict:
    day = clock.today()
    record = selectors.record_today(child, site, day)
    status = record.status if record else AttendanceStatus.EXPECTED
    incidents = selectors.child_incidents(child, site, day)
    context: dict[str, object] = {
        "site": site,
        "child": child,
        "record": record,
        "status": status,
        "age_label": _("%(age)s yrs") % {"age": child.age_on(day)},
        "incidents": incidents,
        "has_pending": any(i.acknowledged_at is None for i in incidents),
        "absence_form": AbsenceForm(),
        "undo_seconds": services.UNDO_SECONDS,
        "may_undo": record is not None
        and record.status == AttendanceStatus.PRESENT
        and record.checked_in_at is not None
        and (
            (clock.now() - record.checked_in_at).total_seconds() < services.UNDO_SECONDS
            or access.can(request.user, LEAD_SITE)
        ),
    }
    if status in (AttendanceStatus.PRESENT, AttendanceStatus.EXPECTED, AttendanceStatus.ABSENT):
        context["people"] = selectors.collectors(child, day)
    red_card = record is not None and record.health_card == HealthCard.RED
    # Where the check is required, its card is the only way in.
    context["plain_check_in"] = (
        status in (AttendanceStatus.EXPECTED, AttendanceStatus.ABSENT)
        and not red_card
        and site.health_check != HealthCheckMode.REQUIRED
    )
    if site.health_check != HealthCheckMode.OFF or (record is not None and record.health_card):
        arrival = health_selectors.arrival_check(child.pk, day)
        context.update(
            health_form=HealthCheckForm(),
            health_details=health_selectors.health_data_allowed(child.pk),
            arrival_check=arrival,
            red_card=red_card,
            noon_due=arrival is not None
            and arrival.card == HealthCard.YELLOW
            and not health_selectors.has_noon_check(child.pk, day),
            leads=selectors.site_leads(site),
        )
    context.update(extra)
    return context


def sheet(
    request: AuthenticatedHttpRequest,
    site: Site,
    child: Child,
    template="attendance/_sheet.html",
    **extra,
) -> str:
    """The child's sheet, as an out-of-band replacement of the open sheet's body."""
    context = sheet_context(request, site, child, **extra)
    return render_to_string(template, {**context, "oob": True}, request=request)


def refused(
    request: AuthenticatedHttpRequest,
    site: Site,
    child: Child,
    result: ActResult,
    refusal: RefusedPickup,
) -> HttpResponse:
    """A refused pickup (``result.refusal``): the sheet says so in red with whom to call; a
    toast says it too when the sheet has been closed meanwhile."""
    message = services.refusal_message(refusal.reason, refusal.name, child)
    return respond(
        request,
        site,
        children=[child],
        state=read_state(site, [child], [result]),
        sheet=sheet(
            request,
            site,
            child,
            refusal=refusal,
            refusal_message=message,
            leads=selectors.site_leads(site),
        ),
        toast=_toast("danger", message, fallback_for=child.key),
    )


def _sheet_with_error(
    request: AuthenticatedHttpRequest, site: Site, child: Child, message: str, state=None
):
    return respond(
        request,
        site,
        children=[child],
        state=state,
        sheet=sheet(request, site, child, error=message),
        # Said in a toast too when the sheet has been closed meanwhile.
        toast=_toast("danger", message, fallback_for=child.key),
    )


# One answer per act ------------------------------------------------------------------------


def checked_in(
    request: AuthenticatedHttpRequest,
    site: Site,
    child: Child,
    result: ActResult | None = None,
    error: ValidationError | None = None,
    events: dict | None = None,
) -> HttpResponse:
    state = read_state(site, [child], [result] if result else ())
    if error is not None:
        toast = _toast("danger", " ".join(error.messages))
        return respond(request, site, children=[child], state=state, toast=toast, events=events)
    # Called with the act's result, or with the error that stopped it.
    assert result is not None
    record = _record_now(state)
    present = record is not None and record.status == AttendanceStatus.PRESENT
    if record is not None and present and (result.changed or result.retried):
        message = _("%(child)s checked in") % {"child": child.name}
        in_window = (
            record.checked_in_at is not None
            and clock.now() - record.checked_in_at < timedelta(seconds=services.UNDO_SECONDS)
        )
        toast = _undo_toast(site, [child], message) if in_window else _toast("success", message)
    elif present:
        toast = _toast("info", _("%(child)s is already here") % {"child": child.name})
    else:
        toast = _toast("info", describe(child, record))
    return respond(request, site, children=[child], state=state, toast=toast, events=events)


def health_checked(
    request: AuthenticatedHttpRequest, site: Site, child: Child, result: ActResult, card: str
) -> HttpResponse:
    """The health check at the door: green and yellow answer as a check-in and close the
    sheet; red keeps the sheet open on whom to call."""
    if card != HealthCard.RED:
        return checked_in(request, site, child, result, events=_close_sheet(child))
    message = _(
        "Red card: %(child)s is not admitted and not counted present. Call the parents to take "
        "%(child)s home."
    ) % {"child": child.name}
    return respond(
        request,
        site,
        children=[child],
        state=read_state(site, [child], [result]),
        sheet=sheet(request, site, child),
        toast=_toast("danger", message, fallback_for=child.key),
    )


def noon_checked(request: AuthenticatedHttpRequest, site: Site, child: Child, card: str):
    if card == HealthCard.RED:
        message = _("Noon re-check: red card. Call the parents to collect %(child)s.")
    else:
        message = _("Noon re-check of %(child)s recorded.")
    return respond(
        request,
        site,
        children=[child],
        sheet=sheet(request, site, child),
        toast=_toast(
            "danger" if card == HealthCard.RED else "success", message % {"child": child.name}
        ),
    )


def checked_in_group(
    request: AuthenticatedHttpRequest, site: Site, results: list[ActResult]
) -> HttpResponse:
    done = [
        result.child
        for result in results
        if (result.changed or result.retried)
        and result.record is not None
        and result.record.status == AttendanceStatus.PRESENT
    ]
    problems = [problem for result in results for problem in result.problems]
    message = _("%(count)s children checked in") % {"count": len(done)}
    toast = _undo_toast(site, done, " ".join([message, *problems]))
    if problems:
        toast["level"] = "warning"
    children = [result.child for result in results]
    return respond(
        request, site, children=children, toast=toast, state=read_state(site, children, results)
    )


def undone(request: AuthenticatedHttpRequest, site: Site, results: list[ActResult]) -> HttpResponse:
    done = [result.child for result in results if result.changed]
    if done:
        message = _("Check-in undone: %(names)s") % {
            "names": ", ".join(child.name for child in done)
        }
    else:
        message = " ".join(describe(result.child, result.record) for result in results)
    children = [result.child for result in results]
    return respond(
        request,
        site,
        children=children,
        toast=_toast("info", message),
        state=read_state(site, children, results),
    )


def checked_out(
    request: AuthenticatedHttpRequest, site: Site, child: Child, result: ActResult
) -> HttpResponse:
    if result.refusal is not None:
        return refused(request, site, child, result, result.refusal)
    state = read_state(site, [child], [result])
    record = _record_now(state)
    if record is None or record.status != AttendanceStatus.COLLECTED:
        return _sheet_with_error(request, site, child, describe(child, record), state)
    if not (result.changed or result.retried):
        # Another tablet handed the child over first.
        toast = _toast("info", describe(child, record))
    elif record.late:
        toast = _toast(
            "warning",
            _("%(child)s collected by %(name)s · late pickup")
            % {"child": child.name, "name": record.collected_by_name},
        )
    else:
        toast = _toast(
            "success",
            _("%(child)s collected by %(name)s")
            % {"child": child.name, "name": record.collected_by_name},
        )
    if (result.changed or result.retried) and outcome_selectors.survey_to_offer(site, child):
        # The end of a term: the parent may answer the survey on this tablet now.
        toast["survey"] = reverse(
            "outcomes:survey_start", kwargs={"site": site.pk, "child": child.key}
        )
    return respond(
        request, site, children=[child], state=state, toast=toast, events=_close_sheet(child)
    )


def pickup_refused(
    request: AuthenticatedHttpRequest, site: Site, child: Child, result: ActResult
) -> HttpResponse:
    if result.refusal is None:
        # The key was used by another act: say what is true now.
        return _sheet_with_error(request, site, child, describe(child, result.record))
    return refused(request, site, child, result, result.refusal)


def _closes_sheet_when(
    request: AuthenticatedHttpRequest, site: Site, result: ActResult, status: str, message: str
) -> HttpResponse:
    """The answer to an act after which the child's day should be in ``status``: then the
    sheet closes with ``message``; otherwise it stays open and says what is true."""
    child = result.child
    state = read_state(site, [child], [result])
    record = _record_now(state)
    if (record.status if record else AttendanceStatus.EXPECTED) != status:
        return _sheet_with_error(request, site, child, describe(child, record), state)
    return respond(
        request,
        site,
        children=[child],
        state=state,
        toast=_toast("info", message),
        events=_close_sheet(child),
    )


def marked_absent(request: AuthenticatedHttpRequest, site: Site, result: ActResult) -> HttpResponse:
    message = _("%(child)s marked absent") % {"child": result.child.name}
    return _closes_sheet_when(request, site, result, AttendanceStatus.ABSENT, message)


def absence_cleared(
    request: AuthenticatedHttpRequest, site: Site, result: ActResult
) -> HttpResponse:
    message = _("%(child)s is expected again") % {"child": result.child.name}
    return _closes_sheet_when(request, site, result, AttendanceStatus.EXPECTED, message)


def sheet_error(
    request: AuthenticatedHttpRequest, site: Site, child: Child, message: str
) -> HttpResponse:
    """An act that could not be done: the sheet stays open and says why."""
    return _sheet_with_error(request, site, child, message)


def toast_only(
    request: AuthenticatedHttpRequest, site: Site, level: str, message: str
) -> HttpResponse:
    return respond(request, site, toast=_toast(level, message))


def incident_recorded(request: AuthenticatedHttpRequest, site: Site, child: Child) -> HttpResponse:
    return respond(
        request,
        site,
        children=[child],
        toast=_toast("success", _("Incident recorded for %(child)s") % {"child": child.name}),
        sheet=sheet(request, site, child),
    )


def incident_form(
    request: AuthenticatedHttpRequest, site: Site, child: Child, form
) -> HttpResponse:
    return HttpResponse(
        render_to_string(
            "attendance/_incident_form.html",
            {"site": site, "child": child, "form": form, "oob": True},
            request=request,
        )
    )


def scanned_present(request: AuthenticatedHttpRequest, site: Site, child: Child) -> HttpResponse:
    """A card of a child already here: open the child's sheet."""
    response = HttpResponse(sheet(request, site, child))
    response["HX-Trigger"] = json.dumps(
        {"ffs:openSheet": str(child.key), "ffs:focusTile": str(child.key)}
    )
    return response
