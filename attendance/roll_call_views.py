"""The emergency roll call on the tablet, and the site lead's lists of what needs
attention today."""

from contextlib import suppress

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from attendance import selectors, services, tasks
from attendance.forms import RollCallEndForm, RollCallStartForm
from attendance.models import RollCall
from enrollment.models import Site
from ffs_portal import access, audit
from ffs_portal.access import LEAD_SITE, USE_BOARD, requires
from ffs_portal.lib import clock

# How often the roll call page asks what the other tablets marked.
ROLL_CALL_REFRESH_MS = 2000


def _site(request, site_id: int) -> Site:
    return access.get_scoped_or_404(
        request.user, Site.objects.select_related("factory"), pk=site_id
    )


# Emergency roll call -----------------------------------------------------------------------


@requires(USE_BOARD)
@require_http_methods(["GET", "POST"])
def roll_call(request, site):
    """Start a roll call (or join the one open), or see the past ones."""
    site = _site(request, site)
    if request.method == "POST":
        form = RollCallStartForm(request.POST)
        if not form.is_valid():
            raise PermissionDenied
        started, _new = services.roll_call_start(
            site=site,
            kind=form.cleaned_data["kind"],
            by=request.user,
            tell=tasks.tell_roll_call.delay,
        )
        return redirect("attendance:roll_call_detail", site=site.pk, roll_call=started.key)
    current = selectors.open_roll_call(site)
    if current is not None:
        return redirect("attendance:roll_call_detail", site=site.pk, roll_call=current.key)
    return render(
        request,
        "attendance/roll_call_start.html",
        {"site": site, "past": selectors.site_roll_calls(site)[:20]},
    )


def _roll_call(request, site, key) -> tuple[Site, RollCall]:
    site = _site(request, site)
    try:
        return site, RollCall.objects.select_related("started_by", "ended_by").get(
            site=site, key=key
        )
    except RollCall.DoesNotExist as error:
        raise Http404 from error


@requires(USE_BOARD)
@require_GET
def roll_call_detail(request, site, roll_call):
    site, current = _roll_call(request, site, roll_call)
    return render(
        request,
        "attendance/roll_call.html",
        {
            "site": site,
            "state": selectors.roll_call_state(current),
            "refresh_ms": ROLL_CALL_REFRESH_MS,
            "words": {
                "unsaved": _("Not saved · retrying"),
                "failed": _("Not saved: tap again"),
                "waiting": _("Waiting to be sent"),
            },
        },
    )


def _live(request, site, state, status=200):
    return render(
        request, "attendance/_roll_call_live.html", {"site": site, "state": state}, status=status
    )


@requires(USE_BOARD)
@require_GET
def roll_call_live(request, site, roll_call):
    site, current = _roll_call(request, site, roll_call)
    state = selectors.roll_call_state(current)
    if request.GET.get("v") == state.version:
        return HttpResponse(status=204)
    return _live(request, site, state)


@requires(USE_BOARD)
@require_POST
def roll_call_mark(request, site, roll_call, entry):
    site, current = _roll_call(request, site, roll_call)
    chosen = current.entries.filter(key=entry).first()
    if chosen is None:
        raise Http404
    with suppress(ValidationError):  # ended meanwhile: the answer shows it
        services.roll_call_mark(
            entry=chosen, accounted=request.POST.get("accounted") != "0", by=request.user
        )
    current.refresh_from_db()
    return _live(request, site, selectors.roll_call_state(current))


@requires(USE_BOARD)
@require_POST
def roll_call_end(request, site, roll_call):
    site, current = _roll_call(request, site, roll_call)
    form = RollCallEndForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    services.roll_call_end(
        roll_call=current, by=request.user, note=note, tell=tasks.tell_roll_call.delay
    )
    return redirect("attendance:roll_call_log", site=site.pk, roll_call=current.key)


@requires(USE_BOARD)
@require_GET
def roll_call_log(request, site, roll_call):
    """The printable record of a roll call: who started it, when, each person's mark and
    time, and the result."""
    site, current = _roll_call(request, site, roll_call)
    return render(
        request,
        "attendance/roll_call_log.html",
        {"site": site, "state": selectors.roll_call_state(current)},
    )


# The lead's lists --------------------------------------------------------------------------


@requires(LEAD_SITE)
@require_GET
def refused_list(request, site):
    site = _site(request, site)
    day = clock.today()
    refusals = list(selectors.refused_pickups(site, day))
    audit.record_views(
        actor=request.user,
        children=list({refusal.child_id: refusal.child for refusal in refusals}.values()),
        page="refused_list",
        factory_id=site.factory_id,
    )
    return render(
        request,
        "attendance/refused_list.html",
        {"site": site, "day": day, "refusals": refusals},
    )
