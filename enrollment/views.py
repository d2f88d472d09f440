from typing import cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from enrollment import selectors, services
from enrollment.forms import (
    AdultForm,
    AdultRows,
    AdultRowsBase,
    ChildForm,
    ChildRows,
    ChildRowsBase,
    ConsentForm,
    EnrollForm,
    FamilyFilterForm,
    PickupForm,
    TermEnrollForm,
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
    SiteKind,
    Term,
)
from ffs_portal import access, audit
from ffs_portal.access import MANAGE_FAMILIES, VIEW_FAMILIES, AuthenticatedHttpRequest, requires
from ffs_portal.compliance import selectors as compliance_selectors
from ffs_portal.forms import add_service_errors
from ffs_portal.lib.urls import safe_next
from ffs_portal.models import Role
from ffs_portal.notices import selectors as notice_selectors
from ffs_portal.notices import services as notice_services
from ffs_portal.photos import child_photo_response, photo_response


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


# The four steps of a family's registration, in order: (url name, label).
STEPS = [
    ("family_create", gettext_lazy("Worker and children")),
    ("family_adults", gettext_lazy("Who may collect")),
    ("family_consent", gettext_lazy("Consent")),
    ("family_enrol", gettext_lazy("Enrolment")),
]


def _steps(current: str) -> list[dict]:
    return [
        {"number": n, "label": label, "current": name == current}
        for n, (name, label) in enumerate(STEPS, start=1)
    ]


@requires(MANAGE_FAMILIES)
def family_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    factory = _factory_for_new_family(request.user)
    if factory is None:
        messages.info(request, _("Families are registered by the factory's HR staff."))
        return redirect("enrollment:family_list")
    form = WorkerForm(request.POST or None, submit=_("Register the family"))
    form.helper.form_tag = False
    form.helper.inputs = []  # one button, under the children
    # A form sent without the children's rows registers the worker alone.
    rows_sent = "children-TOTAL_FORMS" in request.POST
    children = cast(
        ChildRowsBase, ChildRows(request.POST if rows_sent else None, prefix="children")
    )
    if request.method == "POST" and form.is_valid() and (not rows_sent or children.is_valid()):
        rows = children.children() if rows_sent else []
        try:
            family = services.family_register(
                factory=factory, by=request.user, children=rows, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            count = len(rows)
            messages.success(
                request,
                ngettext(
                    "Family registered with %(count)s child. Next: who may collect.",
                    "Family registered with %(count)s children. Next: who may collect.",
                    count,
                )
                % {"count": count},
            )
            if count == 0:
                return redirect("enrollment:family_detail", family=family.key)
            return redirect("enrollment:family_adults", family=family.key)
    return render(
        request,
        "enrollment/family_form.html",
        {"form": form, "children": children, "steps": _steps("family_create")},
    )


@requires(MANAGE_FAMILIES)
def family_adults(request, family):
    """Step 2: grandparents and others, each with the children they may or must not
    collect, several at once."""
    family = _family(request, family)
    children = list(family.children.order_by("date_of_birth"))
    adults = cast(
        AdultRowsBase,
        AdultRows(
            request.POST or None,
            prefix="adults",
            form_kwargs={"family": family, "children": family.children.order_by("date_of_birth")},
        ),
    )
    if request.method == "POST" and adults.is_valid():
        try:
            saved = services.adults_register(family=family, by=request.user, adults=adults.adults())
        except ValidationError as error:
            adults.forms[0].add_error(None, error)
        else:
            if saved:
                messages.success(
                    request,
                    _("Saved: %(names)s.") % {"names": "、".join(adult.name for adult in saved)},
                )
            return redirect("enrollment:family_consent", family=family.key)
    return render(
        request,
        "enrollment/family_adults.html",
        {
            "family": family,
            "adults": adults,
            "children": children,
            "known": family.adults.prefetch_related("pickups__child").order_by("name"),
            "steps": _steps("family_adults"),
        },
    )


@requires(VIEW_FAMILIES)
def family_detail(request: AuthenticatedHttpRequest, family) -> HttpResponse:
    family = selectors.family_for_page(request.user, family)
    children = list(family.children.all())
    audit.record_views(actor=request.user, children=children, page="family")
    can_manage = access.can(request.user, MANAGE_FAMILIES)
    return render(
        request,
        "enrollment/family_detail.html",
        {
            "family": family,
            "children": children,
            "history": selectors.family_history(family),
            "viewers": selectors.family_viewers(family),
            "notices": notice_selectors.family_notices(family),
            "can_manage": can_manage,
            # Who looked at each child: for HR, not for everyone who may read the family.
            "who_looked": compliance_selectors.newest_reads(children) if can_manage else None,
        },
    )


@require_POST
@requires(MANAGE_FAMILIES)
def parent_links_revoke(request: AuthenticatedHttpRequest, family) -> HttpResponse:
    """End every link to the parents' page sent to this family (a phone lost, a number
    changed): the next message carries a new one."""
    family = _family(request, family)
    for worker in family.workers.all():
        notice_services.revoke_links(guardian=worker, by=request.user)
    messages.success(request, _("The links sent so far no longer open the parents' page."))
    return redirect("enrollment:family_detail", family=family.key)


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
    if request.method == "GET":
        audit.record(actor=request.user, action="child.viewed", child=child, page="child_form")
    return _child_form(request, child.family, child)


def _child_form(request: AuthenticatedHttpRequest, family, child):
    consent = services.active_consent(child) if child else None
    kinds = set(family.factory.sites.values_list("kind", flat=True))
    form = ChildForm(
        request.POST or None,
        request.FILES or None,
        instance=child,
        photos_allowed=bool(consent and consent.covers_photos),
        # A factory whose spaces are all after-school has no summer visit to ask about.
        summer=not kinds or kinds != {SiteKind.ASC},
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


def _names(children) -> str:
    return "、".join(child.name for child in children)


@requires(MANAGE_FAMILIES)
def family_consent(request, family):
    """Step 3: one signed consent form for the children ticked."""
    family = _family(request, family)
    children = selectors.family_children_with_consent(family)
    ticked = [child.pk for child in children if not child.active_consents]
    return _consent(request, family, children, ticked)


@requires(MANAGE_FAMILIES)
def consent_record(request: AuthenticatedHttpRequest, child) -> HttpResponse:
    """The consent form from one child's card: that child ticked, siblings offered."""
    child = _child(request, child)
    children = selectors.family_children_with_consent(child.family)
    return _consent(request, child.family, children, [child.pk])


def _consent(request, family, children, ticked):
    workers = list(family.workers.all())
    initial = {"children": ticked, **({"given_by": workers[0].name} if workers else {})}
    form = ConsentForm(
        request.POST or None,
        initial=initial,
        children=family.children.order_by("date_of_birth"),
    )
    if request.method == "POST" and form.is_valid():
        arguments = form.service_arguments()
        chosen = list(arguments.pop("children"))
        try:
            services.consent_record_many(children=chosen, by=request.user, **arguments)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Consent recorded for %(names)s.") % {"names": _names(chosen)}
            )
            return redirect("enrollment:family_enrol", family=family.key)
    return render(
        request,
        "enrollment/consent_form.html",
        {
            "form": form,
            "family": family,
            "children": children,
            "version": CONSENT_TEXT_VERSION,
            "steps": _steps("family_consent"),
        },
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
def family_enrol(request: AuthenticatedHttpRequest, family) -> HttpResponse:
    """Step 4: the children ticked into one term."""
    family = _family(request, family)
    children = selectors.family_children_with_consent(family)
    ticked = [child.pk for child in children if child.active_consents and not child.placed]
    return _enrol(request, family, ticked)


@requires(MANAGE_FAMILIES)
def enroll(request: AuthenticatedHttpRequest, child) -> HttpResponse:
    """The enrolment form from one child's card: that child ticked, siblings offered."""
    child = _child(request, child)
    return _enrol(request, child.family, [child.pk])


def _enrol(request, family, ticked):
    terms = selectors.open_terms(request.user, family)
    form = EnrollForm(
        request.POST or None,
        initial={"children": ticked},
        terms=terms,
        children=family.children.order_by("date_of_birth"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            enrollments = services.enrollment_apply_many(
                children=list(form.cleaned_data["children"]),
                term=form.cleaned_data["term"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            _say_enrolled(request, enrollments)
            return redirect("enrollment:family_detail", family=family.key)
    return render(
        request,
        "enrollment/enrol_form.html",
        {
            "form": form,
            "family": family,
            "steps": _steps("family_enrol"),
            "empty_message": None
            if terms.exists()
            else _("There is no open term at this factory yet."),
        },
    )


def _say_enrolled(request, enrollments) -> None:
    placed = [e.child for e in enrollments if e.status == EnrollmentStatus.ENROLLED]
    if placed:
        messages.success(
            request,
            _("%(names)s enrolled in %(term)s.")
            % {"names": _names(placed), "term": enrollments[0].term.name},
        )
    for enrollment in enrollments:
        if enrollment.status == EnrollmentStatus.WAITLISTED:
            messages.warning(
                request,
                _("%(site)s is full: %(name)s is on the waitlist, number %(position)s.")
                % {
                    "site": enrollment.term.site.name,
                    "name": enrollment.child.name,
                    "position": waitlist_position(enrollment),
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
    can_manage = access.can(request.user, MANAGE_FAMILIES)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied
    if request.method == "GET":
        audit.record_views(
            actor=request.user,
            children=[e.child for e in [*roster["enrolled"], *roster["waiting"]]],
            page="term_roster",
            factory_id=term.site.factory_id,
        )
    candidates = selectors.term_candidates(request.user, term)
    form = TermEnrollForm(request.POST or None, children=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            enrollments = services.enrollment_apply_many(
                children=list(form.cleaned_data["children"]), term=term, by=request.user
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            _say_enrolled(request, enrollments)
            return redirect("enrollment:term_detail", term=term.pk)
    return render(
        request,
        "enrollment/term_detail.html",
        {
            "term": term,
            **roster,
            "can_manage": can_manage,
            "candidates": list(candidates) if can_manage else [],
            "enrol_form": form,
        },
    )


def child_photo(request: AuthenticatedHttpRequest, child) -> HttpResponseBase:
    """A child's photo, to those who may see the child (HR, coordinators, the child's site;
    the tablet board shows it too)."""
    child = access.get_scoped_or_404(request.user, Child, key=child)
    return child_photo_response(child)


def adult_photo(request: AuthenticatedHttpRequest, child, adult) -> HttpResponseBase:
    """An adult's photo, reached through a child they are listed for (shown at pickup)."""
    child = access.get_scoped_or_404(request.user, Child, key=child)
    permission = get_object_or_404(
        PickupPermission.objects.select_related("adult"), child=child, adult_id=adult
    )
    return photo_response(permission.adult.photo)


@requires(MANAGE_FAMILIES)
@require_POST
def card_reissue(request: AuthenticatedHttpRequest, child) -> HttpResponse:
    child = _child(request, child)
    child = services.card_reissue(child=child, by=request.user)
    messages.success(
        request,
        _(
            "%(name)s has a new card, code %(code)s. The old card no longer works: print the "
            "new one."
        )
        % {"name": child.name, "code": child.card_code},
    )
    return redirect("enrollment:family_detail", family=child.family.key)


@requires(MANAGE_FAMILIES)
def family_cards(request: AuthenticatedHttpRequest, family) -> HttpResponse:
    family = selectors.family_for_page(request.user, family)
    return _cards(request, list(family.children.all()), family=family)


@requires(MANAGE_FAMILIES)
@require_GET
def family_pickup_cards(request: AuthenticatedHttpRequest, family) -> HttpResponse:
    """The family's pickup cards: each adult who may collect, with their photo, the children
    and the 4-digit code they give at the door."""
    family = selectors.family_for_page(request.user, family)
    audit.record(actor=request.user, action="family.pickup_cards_printed", family=family)
    return render(
        request,
        "enrollment/pickup_cards.html",
        {"family": family, "cards": selectors.pickup_cards(family)},
    )


@requires(MANAGE_FAMILIES)
@require_POST
def pickup_code_renew(request: AuthenticatedHttpRequest, family) -> HttpResponse:
    family = selectors.family_for_page(request.user, family)
    kind, _sep, pk = request.POST.get("person", "").partition(":")
    people = {"worker": family.workers, "adult": family.adults}.get(kind)
    if people is None or not pk.isdigit():
        return HttpResponseBadRequest()
    person = people.filter(pk=pk).first()
    if person is None:  # someone of another family
        raise Http404
    services.pickup_code_renew(person=person, by=request.user)
    messages.success(
        request,
        _(
            "%(name)s has a new pickup code, %(code)s. The old one is refused at the door: "
            "print the pickup cards again."
        )
        % {"name": person.name, "code": person.pickup_code},
    )
    return redirect("enrollment:family_detail", family=family.key)


@requires(MANAGE_FAMILIES)
@require_GET
def photos_missing(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The adults who may collect a child and have no photo yet, family by family."""
    return render(
        request,
        "enrollment/photos_missing.html",
        {"adults": selectors.adults_without_photo(request.user)[:500]},
    )


@requires(MANAGE_FAMILIES)
def term_cards(request: AuthenticatedHttpRequest, term) -> HttpResponse:
    term = access.get_scoped_or_404(request.user, Term.objects.select_related("site"), pk=term)
    return _cards(request, list(selectors.term_children(term)), term=term)


def _cards(request: AuthenticatedHttpRequest, children, family=None, term=None):
    cards = selectors.cards_for(children)
    audit.record_views(
        actor=request.user, children=children, action="child.card_printed", page="cards"
    )
    return render(
        request,
        "enrollment/cards.html",
        {"cards": cards, "family": family, "term": term},
    )
