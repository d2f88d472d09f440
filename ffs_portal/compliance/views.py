from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from enrollment.models import Child, Factory
from ffs_portal import access
from ffs_portal.access import MANAGE_FAMILIES, MANAGE_PROGRAM, AuthenticatedHttpRequest, requires
from ffs_portal.compliance import pack, selectors, services
from ffs_portal.compliance.forms import DataIncidentForm, PackForm
from ffs_portal.compliance.models import DataIncident
from ffs_portal.forms import add_service_errors
from ffs_portal.lib.spreadsheets import attachment


def _pack(request: AuthenticatedHttpRequest, year: int) -> pack.Pack:
    return pack.build(
        year=year,
        factories=access.scoped(request.user, Factory),
        incidents=selectors.data_incidents(request.user),
        whole=access.sees_every_factory(request.user),
    )


@require_GET
@requires(MANAGE_PROGRAM)
def pack_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The year's compliance pack: its headline figures, and the Excel file to download."""
    form = PackForm(request.GET or {"year": timezone.localdate().year})
    year = form.cleaned_data["year"] if form.is_valid() else timezone.localdate().year
    built = _pack(request, year)
    if request.GET.get("format") == "xlsx":
        services.compliance_pack_made(by=request.user, year=year, factories=built.factories)
        return attachment(pack.to_xlsx(built), filename=f"compliance-pack-{year}.xlsx")
    return render(
        request,
        "compliance/pack.html",
        {
            "form": form,
            "pack": built,
            "year": year,
            "open_incidents": selectors.data_incidents(request.user)
            .filter(closed_on__isnull=True)
            .count(),
        },
    )


@require_GET
@requires(MANAGE_PROGRAM)
def incident_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "compliance/incident_list.html",
        {"incidents": selectors.data_incidents(request.user)[:500]},
    )


@requires(MANAGE_PROGRAM)
def incident_edit(request: AuthenticatedHttpRequest, data_incident=None) -> HttpResponse:
    instance = (
        access.get_scoped_or_404(request.user, DataIncident, key=data_incident)
        if data_incident
        else None
    )
    form = DataIncidentForm(
        request.POST or None,
        instance=instance,
        factories=access.scoped(request.user, Factory).order_by("name"),
        whole=access.sees_every_factory(request.user),
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.data_incident_save(incident=instance, by=request.user, **fields)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Data incident saved."))
            return redirect("compliance:incident_list")
    return render(
        request,
        "compliance/incident_form.html",
        {"form": form, "incident": instance},
    )


@require_POST
@requires(MANAGE_FAMILIES)
def guardian_file(request: AuthenticatedHttpRequest, child) -> HttpResponse:
    """Everything held about a child, for the guardian who asked for it."""
    found = access.get_scoped_or_404(
        request.user, Child.objects.select_related("family__factory"), key=child
    )
    content = services.guardian_file_make(child=found, by=request.user)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return attachment(content, filename=f"儿童个人信息 child-personal-data {stamp}.xlsx")
