from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from attendance.models import Incident
from enrollment.models import Child
from ffs_portal import access
from ffs_portal.access import MANAGE_FAMILIES, VIEW_FAMILIES, AuthenticatedHttpRequest, requires
from ffs_portal.retention import selectors, services
from ffs_portal.retention.forms import AnonymiseRequestForm, HoldForm
from ffs_portal.retention.models import RetentionHold

BEAT_ENTRY = "retention-anonymise-due-children"


def next_run_at(now: datetime | None = None) -> datetime:
    """When the nightly run next starts (the beat's hour and minute, local time)."""
    now = timezone.localtime(now)
    schedule = settings.CELERY_BEAT_SCHEDULE[BEAT_ENTRY]["schedule"]
    at = time(min(schedule.hour), min(schedule.minute))  # type: ignore[attr-defined]
    start = timezone.make_aware(datetime.combine(now.date(), at))
    return start if start > now else start + timedelta(days=1)


@requires(VIEW_FAMILIES)
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What the next run will do, the runs so far and the holds."""
    run_at = next_run_at()
    day = run_at.date()
    return render(
        request,
        "retention/overview.html",
        {
            "run_at": run_at,
            "forecast": selectors.forecast(request.user, day),
            "policies": selectors.policies(),
            "runs": selectors.runs(request.user),
            "holds": selectors.holds(request.user, timezone.localdate()),
        },
    )


@requires(VIEW_FAMILIES)
def dry_run(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The next run, child by child, without doing it: keys and counts only."""
    run_at = next_run_at()
    return render(
        request,
        "retention/dry_run.html",
        {"run_at": run_at, "dry_run": selectors.dry_run(request.user, run_at.date())},
    )


def _child(request: AuthenticatedHttpRequest, key) -> Child:
    return access.get_scoped_or_404(
        request.user, Child.objects.select_related("family__factory"), key=key
    )


@requires(MANAGE_FAMILIES)
def child_anonymise(request: AuthenticatedHttpRequest, child) -> HttpResponse:
    """The guardian asked: anonymise one child now, with the reason recorded."""
    child = _child(request, child)
    family_url = child.family.get_absolute_url()
    if child.anonymised_at is not None:
        messages.info(request, _("This child's data is already anonymised."))
        return redirect(family_url)
    form = AnonymiseRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.child_anonymise_on_request(
                child=child, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValueError as refusal:
            messages.error(request, str(refusal))
            return redirect(family_url)
        if run.families:
            messages.success(
                request,
                _(
                    "The child's data is anonymised, and the family's adults too: "
                    "no other child of the family was on file."
                ),
            )
        else:
            messages.success(request, _("The child's data is anonymised."))
        return redirect(family_url)
    return render(
        request,
        "retention/anonymise_confirm.html",
        {"child": child, "form": form, "family_url": family_url},
    )


@requires(VIEW_FAMILIES)
def hold_place(request: AuthenticatedHttpRequest, child) -> HttpResponse:
    """Keep a child's data past the retention period, for an incident under review or
    another reason, until a date."""
    child = _child(request, child)
    incidents = access.scoped(request.user, Incident.objects.filter(child=child)).order_by(
        "reviewed_at", "-occurred_at"
    )
    form = HoldForm(request.POST or None, incidents=incidents)
    if request.method == "POST" and form.is_valid():
        services.hold_place(
            child=child,
            incident=form.cleaned_data["incident"],
            reason=form.cleaned_data["reason"],
            until=form.cleaned_data["until"],
            by=request.user,
        )
        messages.success(
            request,
            _("On hold until %(day)s: the nightly run leaves this child's data as it is.")
            % {"day": form.cleaned_data["until"].isoformat()},
        )
        return redirect(child.family.get_absolute_url())
    return render(
        request,
        "retention/hold_form.html",
        {"child": child, "form": form, "title": _("Keep a child's data: put on hold")},
    )


@require_POST
@requires(VIEW_FAMILIES)
def hold_lift(request: AuthenticatedHttpRequest, hold) -> HttpResponse:
    hold = access.get_scoped_or_404(
        request.user, RetentionHold.objects.select_related("child"), pk=hold
    )
    services.hold_lift(hold=hold, by=request.user)
    messages.success(request, _("Hold lifted: the next run anonymises the child if it is due."))
    return redirect("retention:overview")
