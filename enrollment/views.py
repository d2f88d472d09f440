from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrollment import selectors, services
from enrollment.forms import (
    AdultForm,
    ChildForm,
    ConsentForm,
    EnrollForm,
    FamilyFilterForm,
    PickupForm,
    WorkerForm,
)
from enrollment.models import (
    CONSENT_TEXT_VERSION,
    Adult,
    Child,
    Consent,
    Enrollment,
    EnrollmentStatus,
    Family,
    PickupPermission,
    Term,
)
from ffs_portal import access, audit
from ffs_portal.access import MANAGE_FAMILIES, VIEW_FAMILIES, AuthenticatedHttpRequest, requires
from ffs_portal.forms import add_service_errors
from ffs_portal.lib.urls import safe_next
from ffs_portal.models import Role
from ffs_portal.photos import photo_response


def _redirect_back(request: AuthenticatedHttpRequest, default: str):
    """To the page the action was taken from (the family page or a term's roster)."""
    return HttpResponseRedirect(safe_next(request, request.POST.get("next"), default))


def _factory_for_new_family(user):
    if user.role == Role.HR:
        return user.factory
    return None


@requires(VIEW_FAMILIES)
def family_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    terms = access.scoped(request.user, Term).select_related("site").order_by("-starts_on")
    form = FamilyFilterForm(request.GET or None, terms=terms)
    filters = form.cleaned_data if form.is_valid() else {}
    families = selectors.family_search(
        request.user,
        query=filters.get("q", ""),
        consent_missing=filters.get("consent_missing", False),
        status=filters.get("status", ""),
        term=filters.get("term"),
    )
    page = Paginator(families, selectors.FAMILY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "families": page.object_list}
    if request.htmx and request.htmx.target == "family-results":
        return render(request, "enrollment/_family_results.html", context)
    return render(request, "enrollment/family_list.html", context)


@requires(MANAGE_FAMILIES)
def family_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    factory = _factory_for_new_family(request.user)
    if factory is None:
        messages.info(request, _("Families are registered by the factory's HR staff."))
        return redirect("enrollment:family_list")
    form = WorkerForm(request.POST or None, submit=_("Register the family"))
    if request.method == "POST" and form.is_valid():
        try:
            family = services.family_register(factory=factory, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Family registered. Now add the children."))
            return redirect("enrollment:family_detail", family=family.key)
    return render(request, "enrollment/family_form.html", {"form": form})


@requires(VIEW_FAMILIES)
def family_detail(request: AuthenticatedHttpRequest, family) -> HttpResponse:
    family = selectors.family_for_page(request.user, family)
    children = list(family.children.all())
    audit.record_views(actor=request.user, children=children)
    return render(
        request,
        "enrollment/family_detail.html",
        {
            "family": family,
            "children": children,
            "history": selectors.family_history(family),
            "viewers": selectors.family_viewers(family),
            "can_manage": access.can(request.user, MANAGE_FAMILIES),
        },
    )


def _family(request: AuthenticatedHttpRequest, key) -> Family:
    return access.get_scoped_or_404(request.user, Family.objects.select_related("factory"), key=key)


def _child(request: AuthenticatedHttpRequest, key) -> Child:
    return access.get_scoped_or_404(
        request.user, Child.objects.select_related("family__factory"), key=key
    )


@requires(MANAGE_FAMILIES)
def worker_edit(request: AuthenticatedHttpRequest, family, worker=None) -> HttpResponse:
    family = _family(request, family)
    instance = get_object_or_404(family.workers, pk=worker) if worker else None
    form = WorkerForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.worker_save(
                family=family, worker=instance, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Worker saved."))
            return redirect("enrollment:family_detail", family=family.key)
    return render(
        request,
        "enrollment/simple_form.html",
        {
            "form": form,
            "family": family,
            "title": _("Edit the worker") if instance else _("Add a worker"),
        },
    )


@requires(MANAGE_FAMILIES)
def child_create(request: AuthenticatedHttpRequest, family) -> HttpResponse:
    family = _family(request, family)
    return _child_form(request, family, None)


@requires(MANAGE_FAMILIES)
def child_edit(request: AuthenticatedHttpRequest, child) -> HttpResponse:
    child = _child(request, child)
    return _child_form(request, child.family, child)


def _child_form(request: AuthenticatedHttpRequest, family, child):
    consent = services.active_consent(child) if child else None
    form = ChildForm(
        request.POST or None,
        request.FILES or None,
        instance=child,
        photos_allowed=bool(consent and consent.covers_photos),
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.child_save(
                family=family, child=child, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if child is None:
                messages.success(
                    request,
                    _("%(name)s added. Record the guardian's consent next.") % {"name": saved.name},
                )
            else:
                messages.success(request, _("Saved."))
            return redirect("enrollment:family_detail", family=family.key)
    return render(
        request,
        "enrollment/simple_form.html",
        {
            "form": form,
            "family": family,
            "title": _("Edit the child's record") if child else _("Add a child"),
        },
    )


@requires(MANAGE_FAMILIES)
def adult_edit(request: AuthenticatedHttpRequest, family, adult=None) -> HttpResponse:
    family = _family(request, family)
    instance = get_object_or_404(family.adults, pk=adult) if adult else None
    form = AdultForm(request.POST or None, request.FILES or None, instance=instance, family=family)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        try:
            services.adult_register(
                family=family,
                adult=instance,
                by=request.user,
                may_collect=fields.pop("may_collect"),
                must_not_collect=fields.pop("must_not_collect"),
                **fields,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Adult saved."))
            return redirect("enrollment:family_detail", family=family.key)
    return render(
        request,
        "enrollment/simple_form.html",
        {
            "form": form,
            "family": family,
            "title": _("Edit the adult")
            if instance
            else _("Add an adult (grandparent, relative…)"),
        },
    )


@requires(MANAGE_FAMILIES)
def pickup_edit(request: AuthenticatedHttpRequest, child, adult) -> HttpResponse:
    child = _child(request, child)
    adult = get_object_or_404(Adult, family=child.family, pk=adult)
    permission = PickupPermission.objects.filter(child=child, adult=adult).first()
    initial = (
        {
            "allowed": "1" if permission.allowed else "0",
            "valid_from": permission.valid_from,
            "valid_to": permission.valid_to,
            "note": permission.note,
        }
        if permission
        else {"allowed": "1"}
    )
    form = PickupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.pickup_set(child=child, adult=adult, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Pickup rule saved."))
            return redirect("enrollment:family_detail", family=child.family.key)
    title = _("Who may collect %(child)s: %(adult)s") % {"child": child.name, "adult": adult.name}
    return render(
        request,
        "enrollment/simple_form.html",
        {"form": form, "family": child.family, "title": title},
    )


@requires(MANAGE_FAMILIES)
def consent_record(request: AuthenticatedHttpRequest, child) -> HttpResponse:
    child = _child(request, child)
    workers = list(child.family.workers.all())
    form = ConsentForm(
        request.POST or None, initial={"given_by": workers[0].name} if workers else {}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_record(child=child, by=request.user, **form.service_arguments())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Consent recorded for %(name)s.") % {"name": child.name})
            return redirect("enrollment:family_detail", family=child.family.key)
    return render(
        request,
        "enrollment/consent_form.html",
        {"form": form, "family": child.family, "child": child, "version": CONSENT_TEXT_VERSION},
    )


@requires(MANAGE_FAMILIES)
@require_POST
def consent_withdraw(request: AuthenticatedHttpRequest, consent) -> HttpResponse:
    consent = access.get_scoped_or_404(
        request.user, Consent.objects.select_related("child__family"), pk=consent
    )
    withdrawn = services.consent_withdraw(consent=consent, by=request.user)
    messages.warning(
        request,
        _("Consent withdrawn for %(name)s. Enrolments withdrawn: %(count)s.")
        % {"name": consent.child.name, "count": len(withdrawn)},
    )
    return redirect("enrollment:family_detail", family=consent.child.family.key)


@requires(MANAGE_FAMILIES)
def enroll(request: AuthenticatedHttpRequest, child) -> HttpResponse:
    child = _child(request, child)
    terms = selectors.open_terms(request.user, child.family)
    form = EnrollForm(request.POST or None, terms=terms)
    if request.method == "POST" and form.is_valid():
        try:
            enrollment = services.enrollment_apply(
                child=child, term=form.cleaned_data["term"], by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if enrollment.status == EnrollmentStatus.WAITLISTED:
                messages.warning(
                    request,
                    _("%(site)s is full: %(name)s is on the waitlist, number %(position)s.")
                    % {
                        "site": enrollment.term.site.name,
                        "name": child.name,
                        "position": waitlist_position(enrollment),
                    },
                )
            else:
                messages.success(
                    request,
                    _("%(name)s is enrolled in %(term)s.")
                    % {"name": child.name, "term": enrollment.term.name},
                )
            return redirect("enrollment:family_detail", family=child.family.key)
    return render(
        request,
        "enrollment/simple_form.html",
        {
            "form": form,
            "family": child.family,
            "title": _("Enrol %(name)s") % {"name": child.name},
            "empty_message": None if terms else _("There is no open term at this factory yet."),
        },
    )


def waitlist_position(enrollment: Enrollment) -> int:
    return (
        Enrollment.objects.filter(term=enrollment.term, status=EnrollmentStatus.WAITLISTED)
        .filter(
            Q(applied_at__lt=enrollment.applied_at)
            | Q(applied_at=enrollment.applied_at, pk__lte=enrollment.pk)
        )
        .count()
    )


def _enrollment(request: AuthenticatedHttpRequest, key) -> Enrollment:
    return access.get_scoped_or_404(
        request.user, Enrollment.objects.select_related("child__family", "term__site"), key=key
    )


@requires(MANAGE_FAMILIES)
@require_POST
def enrollment_withdraw(request: AuthenticatedHttpRequest, enrollment) -> HttpResponse:
    enrollment = _enrollment(request, enrollment)
    try:
        promoted = services.enrollment_withdraw(enrollment=enrollment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s is withdrawn.") % {"name": enrollment.child.name})
        if promoted:
            messages.info(
                request,
                _("The freed place went to %(name)s, first on the waitlist.")
                % {"name": promoted.child.name},
            )
    return _redirect_back(request, enrollment.child.family.get_absolute_url())


@requires(MANAGE_FAMILIES)
@require_POST
def enrollment_promote(request: AuthenticatedHttpRequest, enrollment) -> HttpResponse:
    enrollment = _enrollment(request, enrollment)
    try:
        services.enrollment_promote(enrollment=enrollment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s has a place now.") % {"name": enrollment.child.name})
    return _redirect_back(request, enrollment.child.family.get_absolute_url())


@requires(VIEW_FAMILIES)
def term_detail(request: AuthenticatedHttpRequest, term) -> HttpResponse:
    term = access.get_scoped_or_404(request.user, Term.objects.select_related("site"), pk=term)
    roster = selectors.term_roster(term)
    return render(
        request,
        "enrollment/term_detail.html",
        {"term": term, **roster, "can_manage": access.can(request.user, MANAGE_FAMILIES)},
    )


def child_photo(request: AuthenticatedHttpRequest, child) -> HttpResponseBase:
    """A child's photo, to those who may see the child (HR, coordinators, the child's site;
    the tablet board shows it too)."""
    child = access.get_scoped_or_404(request.user, Child, key=child)
    return photo_response(child.photo)


def adult_photo(request: AuthenticatedHttpRequest, child, adult) -> HttpResponseBase:
    """An adult's photo, reached through a child they are listed for (shown at pickup)."""
    child = access.get_scoped_or_404(request.user, Child, key=child)
    permission = get_object_or_404(
        PickupPermission.objects.select_related("adult"), child=child, adult_id=adult
    )
    return photo_response(permission.adult.photo)


@requires(MANAGE_FAMILIES)
def family_cards(request: AuthenticatedHttpRequest, family) -> HttpResponse:
    family = selectors.family_for_page(request.user, family)
    return _cards(request, list(family.children.all()), family=family)


@requires(MANAGE_FAMILIES)
def term_cards(request: AuthenticatedHttpRequest, term) -> HttpResponse:
    term = access.get_scoped_or_404(request.user, Term.objects.select_related("site"), pk=term)
    return _cards(request, list(selectors.term_children(term)), term=term)


def _cards(request: AuthenticatedHttpRequest, children, family=None, term=None):
    cards = selectors.cards_for(children)
    audit.record_views(actor=request.user, children=children, action="child.card_printed")
    return render(
        request,
        "enrollment/cards.html",
        {"cards": cards, "family": family, "term": term},
    )
