"""The health check on the tablet board, a site's health page, and the medicines."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from attendance import answers
from attendance import selectors as board_selectors
from attendance.health import selectors, services, tasks
from attendance.health.forms import DoseForm, HealthCheckForm, MedicineForm
from attendance.health.models import MedicineAuthorisation
from enrollment.models import Site
from ffs_portal import access, audit
from ffs_portal.access import USE_BOARD, VIEW_DASHBOARD, AuthenticatedHttpRequest, requires
from ffs_portal.lib import clock
from ffs_portal.models import User
from ffs_portal.photos import photo_response


def _site(request: AuthenticatedHttpRequest, site_id: int) -> Site:
    return access.get_scoped_or_404(
        request.user, Site.objects.select_related("factory"), pk=site_id
    )


def _errors(form) -> str:
    return " ".join(str(message) for messages_ in form.errors.values() for message in messages_)


def _check(request: AuthenticatedHttpRequest, site_id, child_key, record, answer):
    """A health check posted from the child's sheet: ``record(site, child, **observed)`` saves
    it, ``answer(site, child, saved)`` is the board's answer; a refusal stays on the sheet."""
    site = _site(request, site_id)
    child = board_selectors.board_child(request.user, site, child_key)
    form = HealthCheckForm(request.POST)
    if not form.is_valid():
        return answers.sheet_error(request, site, child, _errors(form))
    try:
        saved = record(site, child, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        return answers.sheet_error(request, site, child, " ".join(error.messages))
    return answer(site, child, saved)


@require_POST
@requires(USE_BOARD)
def health_check(request: AuthenticatedHttpRequest, site, child) -> HttpResponse:
    """The check at the door: the card decides whether the child is checked in."""
    return _check(
        request,
        site,
        child,
        lambda site, child, **observed: services.record_arrival_check(
            site=site, child=child, on_outbreak_watch=tasks.queue_watch, **observed
        ),
        lambda site, child, saved: answers.health_checked(
            request, site, child, saved[1], saved[0].card
        ),
    )


@require_POST
@requires(USE_BOARD)
def noon_check(request: AuthenticatedHttpRequest, site, child) -> HttpResponse:
    """The noon re-check (午检) of a child who had a yellow card."""
    return _check(
        request,
        site,
        child,
        lambda site, child, **observed: services.record_noon_check(
            site=site, child=child, **observed
        ),
        lambda site, child, saved: answers.noon_checked(request, site, child, saved.card),
    )


@require_GET
def site_health(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    """Signs per day and the alerts; for the site's own staff also today's checks and
    medicines. HR and coordinators see counts; sponsors nothing."""
    if not (access.can(request.user, USE_BOARD) or access.can(request.user, VIEW_DASHBOARD)):
        raise PermissionDenied
    site = _site(request, site)
    page = selectors.health_page(user=request.user, site=site, day=clock.today())
    if page.details:
        audit.record_views(
            actor=request.user,
            children=[check.child for check in page.checks],
            action="health.viewed",
            page="health",
            factory_id=site.factory_id,
        )
    return render(request, "health/site_health.html", {"site": site, "page": page})


def _witnesses(request: AuthenticatedHttpRequest, site: Site):
    return (
        access.scoped(request.user, User)
        .filter(sites=site, is_active=True)
        .exclude(pk=request.user.pk)
        .order_by("first_name", "username")
    )


@require_http_methods(["GET", "POST"])
@requires(USE_BOARD)
def child_medicines(request: AuthenticatedHttpRequest, site, child) -> HttpResponse:
    """A child's medicines: the parents' authorisations, the doses given, a new
    authorisation."""
    site = _site(request, site)
    child = board_selectors.board_child(request.user, site, child)
    form = MedicineForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.authorise_medicine(
                site=site, child=child, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Medicine authorisation recorded."))
            return redirect("health:child_medicines", site=site.pk, child=child.key)
    audit.record(
        actor=request.user,
        action="health.medicines_viewed",
        child=child,
        site=site.pk,
        page="medicines",
    )
    return render(
        request,
        "health/child_medicines.html",
        {
            "site": site,
            "child": child,
            "form": form,
            "authorisations": selectors.child_medicines(
                user=request.user, site=site, child=child, now=clock.now()
            ),
            "witnesses": _witnesses(request, site),
            "today": clock.today(),
        },
    )


@require_POST
@requires(USE_BOARD)
def give_dose(request: AuthenticatedHttpRequest, site, authorisation) -> HttpResponse:
    site = _site(request, site)
    authorisation = access.get_scoped_or_404(
        request.user,
        MedicineAuthorisation.objects.select_related("child__family", "site"),
        key=authorisation,
        site=site,
    )
    form = DoseForm(request.POST)
    witness = (
        _witnesses(request, site).filter(pk=form.cleaned_data["witness"]).first()
        if form.is_valid()
        else None
    )
    try:
        services.give_dose(authorisation=authorisation, by=request.user, witness=witness)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Dose of %(medicine)s recorded.") % {"medicine": authorisation.medicine}
        )
    return redirect("health:child_medicines", site=site.pk, child=authorisation.child.key)


@require_GET
@requires(USE_BOARD)
def medicine_photo(request: AuthenticatedHttpRequest, site, authorisation) -> HttpResponseBase:
    """The photo of the box, to the staff of the child's site only (as the authorisation)."""
    site = _site(request, site)
    authorisation = access.get_scoped_or_404(
        request.user, MedicineAuthorisation, key=authorisation, site=site
    )
    return photo_response(authorisation.box_photo)
