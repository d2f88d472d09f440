from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrollment.models import Site
from ffs_portal import access
from ffs_portal.access import LEAD_SITE, MANAGE_PROGRAM, USE_BOARD, AuthenticatedHttpRequest
from ffs_portal.forms import add_service_errors
from ffs_portal.lib.params import whole_number
from ffs_portal.models import User
from staff import selectors, services
from staff.forms import (
    PinForm,
    ProfileForm,
    QualificationForm,
    RatioRulesForm,
    ShiftForm,
)
from staff.models import Shift


def _may_manage_staff(user) -> bool:
    return access.can(user, LEAD_SITE) or access.can(user, MANAGE_PROGRAM)


def _site(request: AuthenticatedHttpRequest, pk) -> Site:
    if not _may_manage_staff(request.user):
        raise PermissionDenied
    return access.get_scoped_or_404(request.user, Site.objects.select_related("factory"), pk=pk)


def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Site leads go to their site's staff; coordinators choose a site."""
    if not _may_manage_staff(request.user):
        raise PermissionDenied
    sites = list(access.scoped(request.user, Site).select_related("factory"))
    if len(sites) == 1:
        return redirect("staff:site_staff", site=sites[0].pk)
    return render(request, "staff/index.html", {"sites": sites})


def site_staff(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    site = _site(request, site)
    today = timezone.localdate()
    return render(
        request,
        "staff/site_staff.html",
        {
            "ratio": selectors.live_ratio(site, with_call=True),
            "site": site,
            "staff": selectors.site_staff(site),
            "warnings": [
                q
                for q in selectors.qualification_warnings(request.user, today)
                if q.profile.user.sites.filter(pk=site.pk).exists()
            ],
            "today": today,
            "soon": today + timedelta(days=selectors.EXPIRY_WARNING_DAYS),
        },
    )


def _person(request: AuthenticatedHttpRequest, pk) -> User:
    if not _may_manage_staff(request.user):
        raise PermissionDenied
    return access.get_scoped_or_404(request.user, User, pk=pk)


def person(request: AuthenticatedHttpRequest, person) -> HttpResponse:
    person = _person(request, person)
    profile = services.profile_for(person)
    action = request.POST.get("form")
    profile_form = ProfileForm(
        request.POST if action == "profile" else None,
        request.FILES if action == "profile" else None,
        initial={
            "mobile": profile.mobile,
            "started_on": profile.started_on,
            "photo": profile.photo,
        },
    )
    pin_form = PinForm(request.POST if action == "pin" else None)
    qualification_form = QualificationForm(request.POST if action == "qualification" else None)
    forms = {"profile": profile_form, "pin": pin_form, "qualification": qualification_form}
    if request.method == "POST" and action in forms and forms[action].is_valid():
        data = forms[action].cleaned_data
        try:
            if action == "profile":
                services.profile_save(profile=profile, by=request.user, **data)
            elif action == "pin":
                services.pin_set(profile=profile, by=request.user, **data)
            else:
                services.qualification_save(profile=profile, by=request.user, **data)
        except ValidationError as error:
            add_service_errors(forms[action], error)
        else:
            messages.success(request, _("Saved."))
            return redirect("staff:person", person=person.pk)
    return render(
        request,
        "staff/person.html",
        {
            "person": person,
            "manages_account": access.managed_people(request.user).filter(pk=person.pk).exists(),
            "profile": profile,
            "qualifications": profile.qualifications.all(),
            "today": timezone.localdate(),
            "soon": timezone.localdate() + timedelta(days=selectors.EXPIRY_WARNING_DAYS),
            **{f"{name}_form": form for name, form in forms.items()},
        },
    )


def rota(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    site = _site(request, site)
    today = timezone.localdate()
    chosen = parse_date(request.GET.get("week", "") or "") or today
    monday = chosen - timedelta(days=chosen.weekday())
    staff = selectors.site_staff(site)
    form = ShiftForm(request.POST or None, staff=staff, initial={"day": max(today, monday)})
    if request.method == "POST" and form.is_valid():
        try:
            services.shift_add(site=site, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Shift added."))
            return redirect(f"{request.path}?week={monday.isoformat()}")
    return render(
        request,
        "staff/rota.html",
        {
            "site": site,
            "form": form,
            "days": selectors.week_rota(site, monday),
            "monday": monday,
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "today": today,
        },
    )


@require_POST
def shift_remove(request: AuthenticatedHttpRequest, shift) -> HttpResponse:
    if not _may_manage_staff(request.user):
        raise PermissionDenied
    shift = access.get_scoped_or_404(request.user, Shift.objects.select_related("site"), pk=shift)
    monday = shift.day - timedelta(days=shift.day.weekday())
    services.shift_remove(shift=shift, by=request.user)
    messages.info(request, _("Shift removed."))
    return redirect(f"{redirect('staff:rota', site=shift.site_id).url}?week={monday.isoformat()}")


@access.requires(MANAGE_PROGRAM)
def ratio_rules(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    site = _site(request, site)
    form = RatioRulesForm(request.POST or None, rules=selectors.ratio_rules(site))
    if request.method == "POST" and form.is_valid():
        try:
            services.ratio_rules_save(site=site, bands=form.bands, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Ratio rules saved."))
            return redirect("staff:ratio_rules", site=site.pk)
    return render(
        request,
        "staff/ratio_rules.html",
        {"site": site, "form": form, "using_defaults": not site.ratio_rules.exists()},
    )


@access.requires(USE_BOARD)
def duty(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    """The tablet's duty clock: staff tap their name and type their PIN."""
    site = access.get_scoped_or_404(request.user, Site, pk=site)
    staff = selectors.site_staff(site)
    if request.method == "POST":
        person_pk = whole_number(request.POST.get("person"))
        person = staff.filter(pk=person_pk).first() if person_pk is not None else None
        if person is None:
            messages.error(request, _("Tap your name first."))
            return redirect("staff:duty", site=site.pk)
        pin = request.POST.get("pin", "")
        try:
            if request.POST.get("action") == "out":
                services.clock_out(site=site, user=person, pin=pin, by=request.user)
                messages.success(request, _("%(name)s clocked out. Thank you!") % {"name": person})
            else:
                lead = staff.filter(pk=request.POST.get("lead") or 0).first()
                services.clock_in(
                    site=site,
                    user=person,
                    pin=pin,
                    by=request.user,
                    override_lead=lead,
                    override_pin=request.POST.get("lead_pin", ""),
                )
                messages.success(request, _("%(name)s is on duty.") % {"name": person})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("staff:duty", site=site.pk)
    lapsed = set(selectors.missing_child_protection(site).values_list("pk", flat=True))
    return render(
        request,
        "staff/duty.html",
        {
            "ratio": selectors.live_ratio(site, with_call=True),
            "site": site,
            "staff": staff,
            "lapsed": lapsed,
            "leads": [p for p in staff if p.role == "site_lead"],
        },
    )


@access.requires(USE_BOARD)
def ratio_call(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    """Who to call when the ratio is red: staff on the rota now who have not clocked in."""
    site = access.get_scoped_or_404(request.user, Site, pk=site)
    ratio = selectors.live_ratio(site, with_call=True)
    return render(request, "staff/_ratio_call.html", {"ratio": ratio, "loaded": True})
