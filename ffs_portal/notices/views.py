"""The parents' page: opened from the link in each message, no account, no password. The
signed link names one guardian; they see their own children only."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from attendance import selectors as attendance_selectors
from attendance import services as attendance_services
from attendance.models import Incident
from enrollment.models import Child, Site, Worker
from enrollment.training import selectors as training_selectors
from ffs_portal import access, audit
from ffs_portal.access import LEAD_SITE, AuthenticatedHttpRequest, requires
from ffs_portal.lib import clock, throttle
from ffs_portal.lib.client_address import client_address
from ffs_portal.notices import selectors, services
from ffs_portal.notices.forms import (
    AbsenceReportForm,
    AnnouncementForm,
    DelegateForm,
    IncidentAcknowledgementForm,
    ParentSurveyForm,
)
from ffs_portal.outcomes import selectors as outcome_selectors
from ffs_portal.outcomes import services as outcome_services

CHECK_THE_FORM = gettext_lazy("Check the form and try again.")

# Requests to parents' pages from one address in a minute: a person reads a few pages; a
# guesser of links is stopped.
PAGE_LIMIT = 60


def _guardian(request: HttpRequest, token: str) -> Worker | None:
    if not throttle.allow(
        f"parents:{client_address(request)}", limit=PAGE_LIMIT, window=timedelta(minutes=1)
    ):
        return None
    return services.guardian_for_token(token)


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "notices/link_invalid.html", status=404)


def _page(request: HttpRequest, token: str, guardian: Worker, status=200, **extra) -> HttpResponse:
    day = clock.today()
    assert guardian.family_id is not None  # guardian_for_token gives family members only
    days = attendance_selectors.family_days(access.for_guardian(guardian, Child), day)
    surveys = outcome_selectors.open_surveys(guardian.family_id, day)
    audit.record(
        actor=None, action="parent_page.viewed", family=guardian.family, guardian=guardian.pk
    )
    context = {
        "token": token,
        # After an act, a change of language shows the page again, not the act's address.
        "language_next": reverse("notices:today", kwargs={"token": token}),
        "guardian": guardian,
        "days": days,
        "today": day,
        "absence_form": AbsenceReportForm(initial={"day": day + timedelta(days=1)}),
        "delegate_form": DelegateForm(),
        # One survey at a time: the term that ends first.
        "survey_term": surveys[0] if surveys else None,
        "survey_form": ParentSurveyForm(initial={"term": surveys[0].pk} if surveys else None),
        "invitations": training_selectors.invitations(guardian),
        **extra,
    }
    return render(request, "notices/today.html", context, status=status)


@login_not_required
def today(request: HttpRequest, token: str) -> HttpResponse:
    """My children today: status, who brought and collected them, incidents, this week."""
    guardian = _guardian(request, token)
    if guardian is None:
        return _invalid(request)
    return _page(request, token, guardian)


def _own_child(guardian: Worker, key) -> Child:
    child = access.for_guardian(guardian, Child).filter(key=key).first()
    if child is None:
        raise ValidationError(CHECK_THE_FORM)
    return child


def _act(request: HttpRequest, token: str, act) -> HttpResponse:
    """A parent's act from the page: ``act(guardian, data)`` returns the page's extra
    context; a refusal shows the page with the reason."""
    guardian = _guardian(request, token)
    if guardian is None:
        return _invalid(request)
    form = FORMS[act](request.POST)
    if not form.is_valid():
        # The survey is shown again with the answers given and what is missing.
        kept = {"survey_form": form} if isinstance(form, ParentSurveyForm) else {}
        return _page(request, token, guardian, 400, error=_first_error(form), **kept)
    try:
        extra = act(guardian, form.cleaned_data)
    except ValidationError as error:
        return _page(request, token, guardian, 400, error=" ".join(error.messages))
    return _page(request, token, guardian, **extra)


def _first_error(form) -> str:
    """The form's first message, for a page that shows one line (a hidden field's error,
    which a person cannot correct, says to try again)."""
    for name, errors in form.errors.items():
        if name in form.fields and not form.fields[name].widget.is_hidden:
            return errors[0]
    return str(CHECK_THE_FORM)


def _absence(guardian: Worker, data: dict) -> dict:
    child = _own_child(guardian, data["child"])
    record = attendance_services.report_absence(
        guardian=guardian, child=child, day=data["day"], note=data["note"]
    )
    done = _("We told the space: %(child)s will not come on %(day)s.") % {
        "child": child.name,
        "day": record.day.isoformat(),
    }
    return {"done": done}


def _delegate(guardian: Worker, data: dict) -> dict:
    child = _own_child(guardian, data["child"])
    delegate, code = attendance_services.name_delegate(
        guardian=guardian,
        child=child,
        name=data["name"],
        relation=data["relation"],
        mobile=data["mobile"].strip(),
    )
    return {"delegate": delegate, "code": code, "code_child": child}


def _acknowledge(guardian: Worker, data: dict) -> dict:
    incident = (
        access.for_guardian(guardian, Incident.objects.select_related("child", "site"))
        .filter(key=data["incident"])
        .first()
    )
    if incident is None:
        raise ValidationError(CHECK_THE_FORM)
    attendance_services.acknowledge_incident_by_parent(guardian=guardian, incident=incident)
    return {"done": _("Thank you: the carers see that you read about it.")}


def _survey(guardian: Worker, data: dict) -> dict:
    assert guardian.family is not None and guardian.family_id is not None
    term = next(
        (
            term
            for term in outcome_selectors.open_surveys(guardian.family_id, clock.today())
            if term.pk == data["term"]
        ),
        None,
    )
    if term is None:
        raise ValidationError(_("This survey is closed. Thank you all the same!"))
    outcome_services.survey_answer_by_parent(
        family=guardian.family,
        term=term,
        comment=data["comment"],
        **ParentSurveyForm.scores_of(data),
    )
    return {"done": _("Thank you for your answers!")}


FORMS = {
    _absence: AbsenceReportForm,
    _delegate: DelegateForm,
    _acknowledge: IncidentAcknowledgementForm,
    _survey: ParentSurveyForm,
}


@login_not_required
@require_POST
def report_absence(request: HttpRequest, token: str) -> HttpResponse:
    """The parent says ahead that a child will not come on a day."""
    return _act(request, token, _absence)


@login_not_required
@require_POST
def name_delegate(request: HttpRequest, token: str) -> HttpResponse:
    """The parent names who collects a child today; the page shows the one-time code."""
    return _act(request, token, _delegate)


@login_not_required
@require_POST
def acknowledge_incident(request: HttpRequest, token: str) -> HttpResponse:
    """The parent read about an incident and says so."""
    return _act(request, token, _acknowledge)


@login_not_required
@require_POST
def answer_survey(request: HttpRequest, token: str) -> HttpResponse:
    """The parent answers the satisfaction survey of a term."""
    return _act(request, token, _survey)


@requires(LEAD_SITE)
@require_http_methods(["GET", "POST"])
def site_messages(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    """The site lead's list of the messages sent to its families, and how many failed; a
    form sends an announcement to all its families."""
    site = access.get_scoped_or_404(request.user, Site, pk=site)
    form = AnnouncementForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            written = services.announce(site=site, text=form.cleaned_data["text"], by=request.user)
            messages.success(
                request, _("Announcement written to %(count)d parents.") % {"count": len(written)}
            )
            return redirect("notices:site_messages", site=site.pk)
        status = 400
    notices, counts = selectors.site_notices(site)
    audit.record_views(
        actor=request.user,
        children=list({n.child_id: n.child for n in notices if n.child is not None}.values()),
        page="site_messages",
        factory_id=site.factory_id,
    )
    return render(
        request,
        "notices/site_messages.html",
        {"site": site, "notices": notices, "counts": counts, "form": form},
        status=status,
    )
