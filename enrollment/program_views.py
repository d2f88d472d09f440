"""Coordinators and administrators manage factories, sites and terms."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from enrollment import services
from enrollment.forms import FactoryForm, OpeningHoursForm, RoomFormSet, SiteForm, TermForm
from enrollment.models import Factory, Site, Term
from ffs_portal import access
from ffs_portal.access import MANAGE_PROGRAM, AuthenticatedHttpRequest, requires
from ffs_portal.forms import add_service_errors


@requires(MANAGE_PROGRAM)
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    factories = access.scoped(request.user, Factory).prefetch_related(
        Prefetch(
            "sites",
            queryset=Site.objects.order_by("name").prefetch_related(
                Prefetch("terms", queryset=Term.objects.order_by("-starts_on"))
            ),
        )
    )
    return render(request, "enrollment/program_overview.html", {"factories": factories})


@requires(MANAGE_PROGRAM)
def factory_edit(request: AuthenticatedHttpRequest, factory=None) -> HttpResponse:
    instance = access.get_scoped_or_404(request.user, Factory, pk=factory) if factory else None
    form = FactoryForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.factory_save(factory=instance, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Factory saved."))
            return redirect("program:overview")
    title = _("Edit the factory") if instance else _("Add a factory")
    return render(request, "enrollment/program_form.html", {"form": form, "title": title})


@requires(MANAGE_PROGRAM)
def site_edit(request: AuthenticatedHttpRequest, factory=None, site=None) -> HttpResponse:
    if site:
        instance = access.get_scoped_or_404(
            request.user, Site.objects.select_related("factory"), pk=site
        )
        owner = instance.factory
    else:
        instance = None
        owner = access.get_scoped_or_404(request.user, Factory, pk=factory)
    data = request.POST or None
    form = SiteForm(data, instance=instance)
    hours = OpeningHoursForm(data, site=instance)
    rooms = RoomFormSet(data, instance=instance or Site(factory=owner), prefix="rooms")
    if request.method == "POST" and form.is_valid() and hours.is_valid() and rooms.is_valid():
        room_rows = [
            (
                room_form.instance if room_form.instance.pk else None,
                room_form.cleaned_data.get("name", ""),
                room_form.cleaned_data.get("min_age"),
                room_form.cleaned_data.get("max_age"),
                room_form.cleaned_data.get("DELETE", False),
            )
            for room_form in rooms.forms
            if room_form.has_changed() or room_form.instance.pk
        ]
        try:
            with transaction.atomic():
                services.site_save(
                    factory=owner,
                    site=instance,
                    by=request.user,
                    hours=hours.hours,
                    rooms=room_rows,
                    **form.cleaned_data,
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Site saved."))
            return redirect("program:overview")
    return render(
        request,
        "enrollment/site_form.html",
        {"form": form, "hours": hours, "rooms": rooms, "factory": owner, "site": instance},
    )


@requires(MANAGE_PROGRAM)
def term_edit(request: AuthenticatedHttpRequest, site=None, term=None) -> HttpResponse:
    if term:
        instance = access.get_scoped_or_404(
            request.user, Term.objects.select_related("site"), pk=term
        )
        owner = instance.site
    else:
        instance = None
        owner = access.get_scoped_or_404(request.user, Site, pk=site)
    form = TermForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        try:
            services.term_save(
                site=owner,
                term=instance,
                by=request.user,
                closed_days=fields.pop("closed_days"),
                **fields,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Term saved."))
            return redirect("program:overview")
    title = _("Edit the term") if instance else _("Add a term to %(site)s") % {"site": owner.name}
    return render(request, "enrollment/program_form.html", {"form": form, "title": title})
