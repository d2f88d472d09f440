"""The tablet board. Pages render whole; every act answers with htmx out-of-band fragments
(the changed tiles, the counters, a toast), so the board never reloads."""

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from attendance import answers, board_cache, digests, selectors, services
from attendance.forms import (
    AbsenceForm,
    IncidentForm,
    InformedForm,
    RefuseForm,
    ReviewForm,
    today_at,
)
from attendance.health import selectors as health_selectors
from attendance.models import AbsenceReason, AttendanceRecord, AttendanceStatus, Incident
from attendance.templatetags.board_tiles import counters_html
from enrollment.models import Adult, Child, Site, card_read
from ffs_portal import access, audit
from ffs_portal.access import (
    LEAD_SITE,
    USE_BOARD,
    VIEW_DASHBOARD,
    AuthenticatedHttpRequest,
    requires,
)
from ffs_portal.compliance import selectors as compliance_selectors
from ffs_portal.lib import clock
from ffs_portal.lib.db import snapshot
from ffs_portal.outcomes import digest
from staff import selectors as staff_selectors
from staff.templatetags.staff_ratio import ratio_pill_html

PLACEHOLDER = uuid.UUID(int=0)
# Every request from the tablet polls at most this often.
REFRESH_SECONDS = 5


def _site(request: AuthenticatedHttpRequest, site_id: int) -> Site:
    return access.site_or_404(request.user, site_id)


def _action_key(request: AuthenticatedHttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get("idem", ""))
    except ValueError:
        return None


def _posted_children(request: AuthenticatedHttpRequest, site) -> list[Child]:
    """The children ticked on the board: those of this site the user may see."""
    keys = []
    for value in request.POST.getlist("child"):
        try:
            keys.append(uuid.UUID(value))
        except ValueError:
            continue
    return list(
        access.scoped(request.user, Child)
        .filter(key__in=keys, enrollments__term__site=site)
        .distinct()
    )


@require_GET
@requires(USE_BOARD)
def board(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The tablet's home page: the board of the user's site, or a choice of sites."""
    sites = list(selectors.board_sites(request.user)[:2])
    if len(sites) == 1:
        return _board_page(request, sites[0])
    return render(
        request,
        "attendance/site_picker.html",
        {"sites": selectors.board_sites(request.user)},
    )


@require_GET
@requires(USE_BOARD)
def site_board(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    return _board_page(request, _site(request, site))


def _urls(site) -> dict:
    child = {"site": site.pk, "child": PLACEHOLDER}
    return {
        "check_in": reverse("attendance:check_in", kwargs=child),
        "sheet": reverse("attendance:child_sheet", kwargs=child),
        "live": reverse("attendance:board_live", kwargs={"site": site.pk}),
        "check_in_many": reverse("attendance:check_in_many", kwargs={"site": site.pk}),
        "undo": reverse("attendance:undo_check_in", kwargs={"site": site.pk}),
        "scan": reverse("attendance:scan", kwargs={"site": site.pk}),
    }


def _words() -> dict:
    """What the board's script says, in the user's language."""
    return {
        "unsavedRetrying": _("Not saved · retrying"),
        "unsaved": _("Not saved"),
        "notSaved": _("Not saved: the portal could not be reached. Tap again."),
        "notSavedChild": _("%(child)s: not saved, the portal could not be reached. Tap again.")
        % {"child": "{child}"},
        "notSavedTapAgain": _("Not saved: the portal could not be reached. Tap again."),
        "signedOut": _("Not saved: this tablet is signed out. Sign in again, then tap again."),
        "refused": _("Not saved: the portal refused it (error %(status)s). Call the site lead.")
        % {"status": "{status}"},
        "retrying": _("%(n)s not saved · retrying") % {"n": "{n}"},
        "failed": _("%(n)s not saved") % {"n": "{n}"},
        "offline": _("Offline · %(n)s waiting") % {"n": "{n}"},
        # Working offline (board-offline.js).
        "waitingN": _("%(n)s waiting to be sent") % {"n": "{n}"},
        "waiting": _("Waiting to be sent"),
        "status": {status: str(label) for status, label in AttendanceStatus.choices},
        "icons": {str(status): icon for status, icon in selectors.STATUS_ICONS.items()},
        "needsNetwork": _("This needs the network. Try again when the tablet is back online."),
        "close": _("Close"),
        "offlineSheet": _(
            "Offline: the hand-over is kept on this tablet and sent when the network is back."
        ),
        "allergies": _("Allergies"),
        "mayNotCollect": _("May NOT collect this child"),
        "whoCollects": _("Who is collecting?"),
        "pickupCode": _("Pickup code (4 digits on the adult's pickup card)"),
        "confirmHandOver": _("Confirm: hand over the child"),
        "nameOfPerson": _("Someone else is here: their name"),
        "refuseAndRecord": _("Refuse and record"),
        "checkIn": _("Check in"),
        "markAbsent": _("Mark absent"),
        "reasons": {str(value): str(label) for value, label in AbsenceReason.choices},
        "wrongCode": _(
            "The code %(name)s gave is not their pickup code. Do not hand %(child)s over: "
            "call the parents to check."
        )
        % {"name": "{name}", "child": "{child}"},
        "refusedOffline": _(
            "%(child)s: refused and kept on the tablet; sent when it is back online."
        )
        % {"child": "{child}"},
        "sent": _("%(child)s: the hand-over made offline is saved.") % {"child": "{child}"},
    }


@dataclass
class RenderedBoard:
    """The board's pieces of the page, rendered: the tiles, the counters and the ratio."""

    live: str
    counters: str
    ratio: str
    is_open: bool
    day: date


def _render_board(request: AuthenticatedHttpRequest, site, version, query: str, live: bool):
    """The board of ``version`` (read in the caller's snapshot), as the page shows it or as
    its refresh sends it (``live``)."""
    data = selectors.board(
        user=request.user,
        site=site,
        query=query,
        version=version,
        reminders=health_selectors.medicine_reminders(
            user=request.user, site=site, now=clock.now()
        ),
    )
    ratio = staff_selectors.live_ratio(site, ages=data.present_ages)
    context = {"board": data, "site": site, "ratio": ratio, "live": live}
    html = render_to_string("attendance/_board_live.html", context, request)
    if live:
        return html
    seq = data.version.seq if data.version else None
    return RenderedBoard(
        live=html,
        counters=counters_html(data.counts, seq=seq),
        ratio=ratio_pill_html(ratio, seq=seq),
        is_open=data.is_open,
        day=data.day,
    )


def _board(request: AuthenticatedHttpRequest, site, version, query: str, live: bool):
    """The rendered board: once per site, version and language in each web process; a
    search every time."""
    if query:
        return _render_board(request, site, version, query, live)
    variant = "live" if live else "page"
    return board_cache.get_or_render(
        board_cache.key(site, version.fingerprint, request.user, variant),
        lambda: _render_board(request, site, version, query, live),
    )


def _changes(request: AuthenticatedHttpRequest, site, day, held: str, version) -> str | None:
    """What changed since the version the tablet holds (``answers.board_changes``), or None
    when only the whole board says it. Shared like the board: the tablets of a site holding
    the same version when it moves cost one answer in each web process, not one each."""

    def render() -> str | None:
        changed = selectors.board_changes(site, day, held, version)
        if changed is None:
            return None
        return answers.board_changes(request, site, changed, version)

    return board_cache.get_or_render(
        board_cache.key(site, f"{held}>{version.fingerprint}", request.user, "changes"), render
    )


def _board_page(request: AuthenticatedHttpRequest, site):
    query = request.GET.get("q", "")
    with snapshot():
        version = selectors.board_version(site, clock.today(), clock.now())
        board = _board(request, site, version, query, live=False)
    audit.record(actor=request.user, action="board.viewed", factory=site.factory, site=site.pk)
    leads = access.can(request.user, LEAD_SITE)
    return render(
        request,
        "attendance/board.html",
        {
            "board": board,
            "query": query,
            "site": site,
            "urls": _urls(site),
            "placeholder": PLACEHOLDER,
            "refresh_ms": round(REFRESH_SECONDS * 1000),
            "retry_backoff": json.dumps(settings.BOARD_RETRY_BACKOFF_MS),
            "words": _words(),
            "undo_seconds": services.UNDO_SECONDS,
            "attention": selectors.lead_attention(request.user, site) if leads else None,
            "next_open": None if board.is_open else selectors.next_open_day(site, board.day),
        },
    )


@require_GET
@requires(USE_BOARD)
def board_live(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    """The tiles and counters, for the board's own refresh: 204 when nothing changed, the
    changed tiles when the log says which (``selectors.board_changes``), else the whole
    board."""
    site = _site(request, site)
    query = request.GET.get("q", "")
    held = request.GET.get("v", "")
    with snapshot():
        day = clock.today()
        version = selectors.board_version(site, day, clock.now())
        if held and not query:
            if held == version.fingerprint:
                return HttpResponse(status=204)
            changes = _changes(request, site, day, held, version)
            if changes is not None:
                return HttpResponse(changes)
        html = _board(request, site, version, query, live=True)
    return HttpResponse(html)


@require_POST
@requires(USE_BOARD)
def check_in(request: AuthenticatedHttpRequest, site, child) -> HttpResponse:
    # Any child the user may see; the service refuses one not on this site's list today.
    site, child = access.site_and_child_or_404(request.user, site, child)
    try:
        result = services.check_in(
            site=site,
            child=child,
            by=request.user,
            key=_action_key(request),
            dropped_off_by=selectors.family_person(child, request.POST.get("dropped_off_by", "")),
        )
    except ValidationError as error:
        return answers.checked_in(request, site, child, error=error)
    return answers.checked_in(request, site, child, result)


@require_POST
@requires(USE_BOARD)
def check_in_many(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    site = _site(request, site)
    children = _posted_children(request, site)
    if not children:
        return answers.toast_only(
            request, site, "warning", _("Tap the children to check in first.")
        )
    results = services.check_in_many(
        site=site, children=children, by=request.user, key=_action_key(request)
    )
    return answers.checked_in_group(request, site, results)


@require_POST
@requires(USE_BOARD)
def undo_check_in(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    site = _site(request, site)
    children = _posted_children(request, site)
    try:
        results = services.undo_check_in(site=site, children=children, by=request.user)
    except ValidationError as error:
        return answers.toast_only(request, site, "danger", " ".join(error.messages))
    return answers.undone(request, site, results)


@require_GET
@requires(USE_BOARD)
def child_sheet(request: AuthenticatedHttpRequest, site, child) -> HttpResponse:
    """A child's sheet: check-out with the adults who may collect, absence, incidents."""
    site = _site(request, site)
    child = selectors.board_child(request.user, site, child)
    audit.record(
        actor=request.user, action="child.viewed", child=child, site=site.pk, page="tablet_sheet"
    )
    return render(request, "attendance/_sheet.html", answers.sheet_context(request, site, child))


def _signature(value: str) -> bytes:
    """The PNG of a signature drawn on the tablet, sent as a data URL."""
    prefix = "data:image/png;base64,"
    if not value.startswith(prefix):
        return b""
    try:
        return base64.b64decode(value[len(prefix) :], validate=True)
    except (ValueError, binascii.Error):
        return b""


@require_POST
@requires(USE_BOARD)
def check_out(request: AuthenticatedHttpRequest, site, child) -> HttpResponse:
    site = _site(request, site)
    child = selectors.board_child(request.user, site, child)
    chosen = request.POST.get("collector", "")
    if chosen.startswith("delegate:"):
        return _check_out_to_delegate(request, site, child, chosen.partition(":")[2])
    collector = selectors.family_person(child, chosen)
    if collector is None:
        return answers.sheet_error(request, site, child, _("Choose who is collecting the child."))
    try:
        result = services.check_out(
            site=site,
            child=child,
            collector=collector,
            by=request.user,
            key=_action_key(request),
            incidents_acknowledged=request.POST.get("acknowledged") == "on",
            pickup_code=request.POST.get("pickup_code", ""),
            signature=_signature(request.POST.get("signature", "")),
        )
    except ValidationError as error:
        return answers.sheet_error(request, site, child, " ".join(error.messages))
    return answers.checked_out(request, site, child, result)


def _check_out_to_delegate(
    request: AuthenticatedHttpRequest, site: Site, child: Child, key: str
) -> HttpResponse:
    """The adult a parent named for today collects the child with the one-time code."""
    delegate = selectors.delegate_today(child, key, clock.today())
    if delegate is None:
        return answers.sheet_error(request, site, child, _("Choose who is collecting the child."))
    try:
        result = services.check_out_to_delegate(
            site=site,
            child=child,
            delegate_key=delegate.key,
            code=request.POST.get("delegate_code", ""),
            by=request.user,
            key=_action_key(request),
            incidents_acknowledged=request.POST.get("acknowledged") == "on",
            signature=_signature(request.POST.get("signature", "")),
        )
    except ValidationError as error:
        return answers.sheet_error(request, site, child, " ".join(error.messages))
    return answers.checked_out(request, site, child, result)


@require_POST
@requires(USE_BOARD)
def refuse_pickup(request: AuthenticatedHttpRequest, site, child) -> HttpResponse:
    """Someone not on the list (or not allowed) came: record the refusal, say who to call."""
    site = _site(request, site)
    child = selectors.board_child(request.user, site, child)
    form = RefuseForm(request.POST)
    if not form.is_valid():
        return answers.sheet_error(request, site, child, _("Check the form and try again."))
    adult = None
    if form.cleaned_data["adult"]:
        adult = Adult.objects.filter(
            family_id=child.family_id, pk=form.cleaned_data["adult"]
        ).first()
    result = services.refuse_pickup(
        site=site,
        child=child,
        by=request.user,
        key=_action_key(request),
        reason=form.cleaned_data["reason"],
        adult=adult,
        name=form.cleaned_data["name"],
        relation=form.cleaned_data["relation"],
        note=form.cleaned_data["note"],
    )
    return answers.pickup_refused(request, site, child, result)


@require_POST
@requires(USE_BOARD)
def mark_absent(request: AuthenticatedHttpRequest, site, child) -> HttpResponse:
    site = _site(request, site)
    child = selectors.board_child(request.user, site, child)
    form = AbsenceForm(request.POST)
    if not form.is_valid():
        return answers.sheet_error(
            request, site, child, _("Choose a reason: ill, with family or unknown.")
        )
    try:
        result = services.mark_absent(
            site=site,
            child=child,
            by=request.user,
            key=_action_key(request),
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        return answers.sheet_error(request, site, child, " ".join(error.messages))
    return answers.marked_absent(request, site, result)


@require_POST
@requires(USE_BOARD)
def clear_absence(request: AuthenticatedHttpRequest, site, child) -> HttpResponse:
    site = _site(request, site)
    child = selectors.board_child(request.user, site, child)
    result = services.clear_absence(site=site, child=child, by=request.user)
    return answers.absence_cleared(request, site, result)


@require_POST
@requires(USE_BOARD)
def scan(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    """A child's card read by the camera (or its code typed): check the child in, or open
    the check-out sheet when the child is already here."""
    site = _site(request, site)
    token = request.POST.get("token", "").strip()
    child = (
        access.scoped(request.user, Child)
        .select_related("family__factory")
        .filter(card_read(token), enrollments__term__site=site)
        .first()
        if token
        else None
    )
    if child is None:
        return answers.toast_only(
            request,
            site,
            "danger",
            _("This card is not known at this space. Check the card or find the child by name."),
        )
    record = selectors.record_today(child, site, clock.today())
    if record is not None and record.status in (
        AttendanceStatus.PRESENT,
        AttendanceStatus.COLLECTED,
    ):
        return answers.scanned_present(request, site, child)
    focus = {"ffs:focusTile": str(child.key)}
    try:
        result = services.check_in(
            site=site, child=child, by=request.user, key=_action_key(request)
        )
    except ValidationError as error:
        return answers.checked_in(request, site, child, error=error, events=focus)
    return answers.checked_in(request, site, child, result, events=focus)


@requires(USE_BOARD)
def incident_new(request: AuthenticatedHttpRequest, site, child) -> HttpResponse:
    site = _site(request, site)
    child = selectors.board_child(request.user, site, child)
    now = timezone.localtime(clock.now())
    if request.method == "POST":
        form = IncidentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.report_incident(
                    site=site,
                    child=child,
                    by=request.user,
                    key=_action_key(request),
                    kind=data["kind"],
                    occurred_at=today_at(data["occurred"]),
                    description=data["description"],
                    action_taken=data["action_taken"],
                    parent_informed_at=today_at(data["informed"]),
                    parent_informed_by=data["informed_by"],
                    parent_informed_how=data["informed_how"],
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for name, errors in error.message_dict.items():
                        target = {
                            "occurred_at": "occurred",
                            "parent_informed_at": "informed",
                            "parent_informed_by": "informed_by",
                            "parent_informed_how": "informed_how",
                        }.get(name, name)
                        form.add_error(target if target in form.fields else None, errors)
                else:
                    form.add_error(None, error)
            else:
                return answers.incident_recorded(request, site, child)
        return answers.incident_form(request, site, child, form)
    form = IncidentForm(
        initial={
            "occurred": now.time().replace(second=0, microsecond=0),
            "informed_by": request.user.get_full_name() or request.user.username,
        }
    )
    return render(
        request, "attendance/_incident_form.html", {"site": site, "child": child, "form": form}
    )


@require_GET
@requires(USE_BOARD)
def incident_list(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    site = _site(request, site)
    to_review = request.GET.get("review") == "1"
    incidents = list(
        selectors.site_incidents(user=request.user, site=site, pending_only=to_review)[:200]
    )
    audit.record_views(
        actor=request.user,
        children=list({incident.child_id: incident.child for incident in incidents}.values()),
        action="incident.viewed",
        page="incident_list",
        factory_id=site.factory_id,
    )
    return render(
        request,
        "attendance/incident_list.html",
        {"site": site, "incidents": incidents, "today": clock.today(), "to_review": to_review},
    )


@requires(USE_BOARD)
def incident_detail(request: AuthenticatedHttpRequest, incident) -> HttpResponse:
    incident = access.get_scoped_or_404(
        request.user,
        Incident.objects.select_related("site", "child__family", "reported_by", "reviewed_by"),
        key=incident,
    )
    review_form = ReviewForm(initial={"note": incident.review_note})
    informed_form = InformedForm(
        initial={"informed_by": request.user.get_full_name() or request.user.username}
    )
    if request.method == "POST":
        if request.POST.get("action") == "review":
            if not access.can(request.user, LEAD_SITE):
                return HttpResponse(status=403)
            review_form = ReviewForm(request.POST)
            if review_form.is_valid():
                services.review_incident(
                    incident=incident, by=request.user, note=review_form.cleaned_data["note"]
                )
                return redirect("attendance:incident_detail", incident=incident.key)
        elif request.POST.get("action") == "informed":
            informed_form = InformedForm(request.POST)
            if informed_form.is_valid():
                data = informed_form.cleaned_data
                try:
                    services.incident_parent_informed(
                        incident=incident,
                        by=request.user,
                        at=today_at(data["informed"]),
                        informed_by=data["informed_by"],
                        how=data["informed_how"],
                    )
                except ValidationError as error:
                    informed_form.add_error(None, error)
                else:
                    return redirect("attendance:incident_detail", incident=incident.key)
    audit.record(
        actor=request.user,
        action="incident.viewed",
        child=incident.child,
        incident=str(incident.key),
        page="incident",
    )
    return render(
        request,
        "attendance/incident_detail.html",
        {
            "incident": incident,
            "site": incident.site,
            "review_form": review_form,
            "informed_form": informed_form,
            "may_review": access.can(request.user, LEAD_SITE),
        },
    )


def _month(value: str) -> date:
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        return clock.today().replace(day=1)


@require_GET
@requires(USE_BOARD)
def child_calendar(request: AuthenticatedHttpRequest, site, child) -> HttpResponse:
    site = _site(request, site)
    child = selectors.board_child(request.user, site, child)
    month = _month(request.GET.get("month", ""))
    weeks = selectors.child_calendar(user=request.user, site=site, child=child, month=month)
    previous = (month.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    audit.record(
        actor=request.user,
        action="child.calendar_viewed",
        child=child,
        site=site.pk,
        page="calendar",
    )
    records = [d.record for week in weeks for d in week if d.record]
    return render(
        request,
        "attendance/calendar.html",
        {
            "site": site,
            "child": child,
            "month": month,
            "weeks": weeks,
            "previous": previous,
            "following": following,
            # Who looked at this child: for the site lead, not for the childcare workers.
            "who_looked": compliance_selectors.newest_reads([child]).get(child.pk, [])
            if access.can(request.user, LEAD_SITE)
            else None,
            "summary": {
                "present": sum(1 for r in records if r.checked_in_at),
                "absent": sum(1 for r in records if r.status == AttendanceStatus.ABSENT),
                "late": sum(1 for r in records if r.late),
            },
        },
    )


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except (ValueError, TypeError):
        return clock.today()


@require_GET
@requires(USE_BOARD)
def signature(request: AuthenticatedHttpRequest, site, record) -> HttpResponseBase:
    """The collecting adult's signature of a hand-over, for the day sheet."""
    site = _site(request, site)
    found = access.get_scoped_or_404(request.user, AttendanceRecord, pk=record, site=site)
    if not found.collector_signature:
        raise Http404
    try:
        return FileResponse(found.collector_signature.open("rb"), content_type="image/png")
    except FileNotFoundError as error:
        raise Http404 from error


@require_GET
@requires(USE_BOARD)
def day_sheet(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    site = _site(request, site)
    day = _day(request.GET.get("day", ""))
    sheet = selectors.day_sheet(user=request.user, site=site, day=day)
    # The sheet, and each child on it, in one INSERT.
    audit.record_views(
        actor=request.user,
        children=[row.child for row in sheet.rows],
        page="day_sheet",
        factory_id=site.factory_id,
        extra=[
            audit.entry(
                actor=request.user,
                action="site.day_sheet_viewed",
                factory=site.factory,
                site=site.pk,
                day=day.isoformat(),
            )
        ],
        day=day.isoformat(),
    )
    return render(
        request,
        "attendance/day_sheet.html",
        {
            "site": site,
            "day": day,
            "sheet": sheet,
            "previous": day - timedelta(days=1),
            "following": day + timedelta(days=1),
        },
    )


@requires(VIEW_DASHBOARD)
def digest_preview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Today's daily e-mail as it will be sent to the signed-in coordinator or site lead."""
    if request.user.role not in digests.DIGEST_ROLES:
        raise PermissionDenied
    day = clock.today()
    subject, text, _html = digest.render(request.user, day)
    troubled = selectors.emails_needing_attention(request.user, day)
    return render(
        request,
        "attendance/digest_preview.html",
        {"subject": subject, "text": text, "day": day, "troubled": troubled},
    )


@xframe_options_sameorigin
@requires(VIEW_DASHBOARD)
def digest_preview_html(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.user.role not in digests.DIGEST_ROLES:
        raise PermissionDenied
    _subject, _text, html = digest.render(request.user, clock.today())
    response = HttpResponse(html)
    # An e-mail carries its styles inline; it may never run a script (the frame is sandboxed
    # too).
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'self'"
    )
    return response
