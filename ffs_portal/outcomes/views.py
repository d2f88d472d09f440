"""Sponsors, program years, worker retention and the parents' survey."""

from datetime import timedelta
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrollment.models import Child, EnrollmentStatus, Factory, Family, Site, SiteKind, Term
from ffs_portal import access, kiosk
from ffs_portal.access import (
    MANAGE_FAMILIES,
    MANAGE_PROGRAM,
    USE_BOARD,
    VIEW_DASHBOARD,
    VIEW_SPONSOR_REPORTS,
    AuthenticatedHttpRequest,
    requires,
)
from ffs_portal.forms import add_service_errors
from ffs_portal.lib.forms import field_of
from ffs_portal.lib.spreadsheets import attachment
from ffs_portal.outcomes import dashboard_tables, selectors, services
from ffs_portal.outcomes import sponsor_report as sponsor_reports
from ffs_portal.outcomes.forms import (
    ProgramYearForm,
    SponsorForm,
    SponsorLoginForm,
    SponsorshipForm,
    SurveyForm,
    YearForm,
)
from ffs_portal.outcomes.models import (
    FIRST_PROGRAM_YEAR,
    LAST_PROGRAM_YEAR,
    ParentSurvey,
    Sponsor,
    Sponsorship,
)
from ffs_portal.outcomes.tables import to_csv, to_xlsx


def requires_any(*capabilities: str):
    """View decorator: the user's role must grant one of ``capabilities`` (else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: AuthenticatedHttpRequest, *args, **kwargs):
            if not any(access.can(request.user, c) for c in capabilities):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# Sponsors ------------------------------------------------------------------------------


@requires(MANAGE_PROGRAM)
def sponsor_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request, "outcomes/sponsor_list.html", {"sponsors": selectors.sponsors(request.user)}
    )


def _sponsor(request: AuthenticatedHttpRequest, pk) -> Sponsor:
    return access.get_scoped_or_404(request.user, Sponsor, pk=pk)


def _sponsor_page(
    request: AuthenticatedHttpRequest, sponsor, *, form=None, sponsorship_form=None, login_form=None
):
    factories = access.scoped(request.user, Factory)
    sponsorship_form = sponsorship_form or SponsorshipForm(factories=factories)
    sponsorship_form.helper.form_action = reverse(
        "outcomes:sponsorship_add", kwargs={"sponsor": sponsor.pk}
    )
    login_form = login_form or SponsorLoginForm()
    login_form.helper.form_action = reverse(
        "outcomes:sponsor_login_add", kwargs={"sponsor": sponsor.pk}
    )
    form = form or SponsorForm(instance=sponsor)
    form.helper.form_action = reverse("outcomes:sponsor_edit", kwargs={"sponsor": sponsor.pk})
    return render(
        request,
        "outcomes/sponsor_detail.html",
        {
            "sponsor": sponsor,
            "form": form,
            "sponsorships": selectors.sponsorships(request.user, sponsor),
            "sponsorship_form": sponsorship_form,
            "logins": sponsor.users.order_by("-is_active", "username"),
            "login_form": login_form,
            "years": selectors.sponsor_years(request.user, sponsor),
            "may_change": access.may_change_sponsor(request.user, sponsor),
        },
    )


@requires(MANAGE_PROGRAM)
def sponsor_edit(request: AuthenticatedHttpRequest, sponsor=None) -> HttpResponse:
    instance = _sponsor(request, sponsor) if sponsor else None
    form = SponsorForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.sponsor_save(sponsor=instance, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Sponsor saved."))
            return redirect("outcomes:sponsor_edit", sponsor=saved.pk)
    if instance is None:
        return render(request, "outcomes/form.html", {"form": form, "title": _("Add a sponsor")})
    return _sponsor_page(request, instance, form=form)


@require_POST
@requires(MANAGE_PROGRAM)
def sponsorship_add(request: AuthenticatedHttpRequest, sponsor) -> HttpResponse:
    sponsor = _sponsor(request, sponsor)
    form = SponsorshipForm(request.POST, factories=access.scoped(request.user, Factory))
    if form.is_valid():
        try:
            services.sponsorship_add(sponsor=sponsor, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Sponsorship added."))
            return redirect("outcomes:sponsor_edit", sponsor=sponsor.pk)
    return _sponsor_page(request, sponsor, sponsorship_form=form)


@require_POST
@requires(MANAGE_PROGRAM)
def sponsorship_remove(request: AuthenticatedHttpRequest, sponsorship) -> HttpResponse:
    sponsorship = access.get_scoped_or_404(
        request.user, Sponsorship.objects.select_related("sponsor", "factory"), pk=sponsorship
    )
    services.sponsorship_remove(sponsorship=sponsorship, by=request.user)
    messages.success(request, _("Sponsorship removed."))
    return redirect("outcomes:sponsor_edit", sponsor=sponsorship.sponsor_id)


@require_POST
@requires(MANAGE_PROGRAM)
def sponsor_login_add(request: AuthenticatedHttpRequest, sponsor) -> HttpResponse:
    sponsor = _sponsor(request, sponsor)
    form = SponsorLoginForm(request.POST)
    if form.is_valid():
        try:
            services.sponsor_login_add(sponsor=sponsor, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Login added. Give the user name and password to the sponsor.")
            )
            return redirect("outcomes:sponsor_edit", sponsor=sponsor.pk)
    return _sponsor_page(request, sponsor, login_form=form)


@require_POST
@requires(MANAGE_PROGRAM)
def sponsor_login_deactivate(request: AuthenticatedHttpRequest, sponsor, login) -> HttpResponse:
    sponsor = _sponsor(request, sponsor)
    user = get_object_or_404(sponsor.users.filter(is_active=True), pk=login)
    services.sponsor_login_deactivate(user=user, by=request.user)
    messages.success(
        request, _("The login %(name)s can no longer sign in.") % {"name": user.username}
    )
    return redirect("outcomes:sponsor_edit", sponsor=sponsor.pk)


@requires(VIEW_SPONSOR_REPORTS)
def reports(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A sponsor's landing page: its reports by year. Coordinators see every sponsor's."""
    sponsors = [
        (sponsor, selectors.sponsor_years(request.user, sponsor))
        for sponsor in access.scoped(request.user, Sponsor).prefetch_related("sponsorships")
    ]
    return render(request, "outcomes/reports.html", {"sponsors": sponsors})


def _export(request: AuthenticatedHttpRequest, table) -> HttpResponse | None:
    """The page's table as Excel or CSV when ``?format=`` asks for it."""
    file_format = request.GET.get("format")
    if file_format not in ("xlsx", "csv"):
        return None
    filename = f"ffs-{table.key}-{timezone.localdate():%Y%m%d}.{file_format}"
    if file_format == "xlsx":
        return attachment(to_xlsx(table), filename=filename)
    return attachment(to_csv(table), filename=filename, content_type="text/csv; charset=utf-8")


# Program years -------------------------------------------------------------------------


def _year(request: AuthenticatedHttpRequest, default=None) -> int:
    form = YearForm(request.GET or None)
    if form.is_valid() and form.cleaned_data["year"]:
        return form.cleaned_data["year"]
    return default or timezone.localdate().year


@requires(MANAGE_PROGRAM)
def program_years(request: AuthenticatedHttpRequest) -> HttpResponse:
    year = _year(request)
    rows, summaries = selectors.program_years(request.user, year)
    exported = _export(request, dashboard_tables.program_years_table(rows, year))
    if exported:
        return exported
    return render(
        request,
        "outcomes/program_years.html",
        {
            "year": year,
            "years": selectors.program_years_available(request.user),
            "rows": rows,
            "summaries": summaries,
            "support_choices": field_of(
                ProgramYearForm.base_fields, "support", forms.ChoiceField
            ).choices,
        },
    )


@require_POST
@requires(MANAGE_PROGRAM)
def program_year_save(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProgramYearForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose IETP-supported or self-run for the factory."))
        return redirect("outcomes:program_years")
    data = form.cleaned_data
    factory = access.get_scoped_or_404(request.user, Factory, pk=data["factory"])
    services.program_year_save(
        factory=factory,
        program=data["program"],
        year=data["year"],
        support=data["support"],
        note=data["note"],
        by=request.user,
    )
    messages.success(request, _("Saved for %(factory)s.") % {"factory": factory.name})
    return redirect(f"{reverse('outcomes:program_years')}?year={data['year']}")


# Worker retention ----------------------------------------------------------------------


@requires(VIEW_DASHBOARD)
def retention(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = YearForm(request.GET or None)
    valid = form.is_valid()
    # By default the latest year whose first three months can already be counted.
    default = (timezone.localdate() - timedelta(days=92)).year
    year = (valid and form.cleaned_data["year"]) or default
    program = (valid and form.cleaned_data["program"]) or ""
    rows, total = selectors.retention(access.scoped(request.user, Factory), year, program=program)
    exported = _export(request, dashboard_tables.retention_table(rows, total, year))
    if exported:
        return exported
    return render(
        request,
        "outcomes/retention.html",
        {
            "form": form,
            "year": year,
            "program": program,
            "programs": SiteKind.choices,
            "years": selectors.program_years_available(request.user),
            "rows": rows,
            "total": total,
            "months": selectors.RETENTION_MONTHS,
        },
    )


# Parents' survey -----------------------------------------------------------------------


@login_not_required
def survey_kiosk(request: HttpRequest, survey) -> HttpResponse:
    """The survey on the tablet at pickup: no login, the token in the link is the family's."""
    instance = ParentSurvey.objects.select_related("term__site").filter(token=survey).first()
    if instance is None:
        raise Http404
    # Handed over on a staff member's tablet: the parent goes nowhere else.
    kiosk.enter(request, allowed=[request.path])
    answered = instance.is_answered
    is_open = services.survey_kiosk_open(instance.term)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and not answered and form.is_valid():
        try:
            services.survey_answer(
                token=survey, comment=form.cleaned_data["comment"], **form.scores
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            answered = True
    return render(
        request,
        "outcomes/survey_kiosk.html",
        {"survey": instance, "form": form, "answered": answered, "is_open": is_open},
    )


@require_POST
@requires_any(USE_BOARD, MANAGE_FAMILIES)
def survey_start(request: AuthenticatedHttpRequest, site, child) -> HttpResponse:
    """Open a family's survey on this tablet: from the board at pickup, or by HR."""
    site = access.get_scoped_or_404(request.user, Site, pk=site)
    child = access.get_scoped_or_404(
        request.user, Child.objects.select_related("family"), key=child
    )
    terms = Term.objects.filter(
        site=site,
        enrollments__child=child,
        enrollments__status__in=[EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED],
    ).order_by("-ends_on")
    term = next((t for t in terms if services.survey_kiosk_open(t)), None)
    if term is None:
        messages.info(request, _("The parents' survey opens two weeks before the end of the term."))
        return redirect("home")
    survey = services.survey_for(family=child.family, term=term)
    return redirect("outcomes:survey_kiosk", survey=survey.token)


def _hr_terms(request: AuthenticatedHttpRequest):
    return (
        access.scoped(request.user, Term).select_related("site").order_by("-ends_on", "site__name")
    )


@requires(MANAGE_FAMILIES)
def survey_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    terms = list(_hr_terms(request))
    chosen = request.GET.get("term", "")
    term = next((t for t in terms if str(t.pk) == chosen), None)
    if term is None:
        today = timezone.localdate()
        term = next((t for t in terms if services.survey_opens_on(t) <= today), None) or (
            terms[0] if terms else None
        )
    families = selectors.survey_families(request.user, term) if term else []
    figures = None
    if term:
        figures = selectors.satisfaction_by(Term.objects.filter(pk=term.pk)).get(term.site_id)
    return render(
        request,
        "outcomes/survey_list.html",
        {
            "terms": terms,
            "term": term,
            "families": families,
            "figures": figures or selectors.Satisfaction(),
            "opens_on": services.survey_opens_on(term) if term else None,
            "kiosk_open": services.survey_kiosk_open(term) if term else False,
        },
    )


@requires(MANAGE_FAMILIES)
def survey_paper(request: AuthenticatedHttpRequest, term, family) -> HttpResponse:
    term = access.get_scoped_or_404(request.user, Term.objects.select_related("site"), pk=term)
    family = access.get_scoped_or_404(request.user, Family, key=family)
    placed = family.children.filter(
        enrollments__term=term,
        enrollments__status__in=[EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED],
    )
    if not placed.exists():
        raise Http404
    existing = ParentSurvey.objects.filter(family=family, term=term, answered_at__isnull=False)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_enter_paper(
                family=family,
                term=term,
                by=request.user,
                comment=form.cleaned_data["comment"],
                **form.scores,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The family's answers are saved."))
            return redirect(f"{reverse('outcomes:survey_list')}?term={term.pk}")
    return render(
        request,
        "outcomes/survey_paper.html",
        {
            "term": term,
            "family": family,
            "children": placed.distinct(),
            "form": form,
            "answered": existing.first(),
        },
    )


@requires(VIEW_SPONSOR_REPORTS)
def sponsor_report(request: AuthenticatedHttpRequest, sponsor, year) -> HttpResponse:
    """A sponsor's yearly report: a printable page, or Excel with ``?format=xlsx``."""
    sponsor = _sponsor_for_report(request, sponsor)
    if not FIRST_PROGRAM_YEAR <= year <= LAST_PROGRAM_YEAR:
        raise Http404
    report = sponsor_reports.build(request.user, sponsor, year)
    if request.GET.get("format") == "xlsx":
        services.sponsor_report_exported(sponsor=sponsor, year=year, by=request.user)
        return attachment(
            to_xlsx(report.spaces, report.satisfaction, report.retention, report.reach),
            filename=f"sponsor-report-{year}.xlsx",
        )
    return render(
        request,
        "outcomes/sponsor_report.html",
        {"report": report, "years": selectors.sponsor_years(request.user, sponsor)},
    )


def _sponsor_for_report(request: AuthenticatedHttpRequest, pk) -> Sponsor:
    return access.get_scoped_or_404(request.user, Sponsor, pk=pk)
