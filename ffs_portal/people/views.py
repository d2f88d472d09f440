"""The people pages. Whose account a manager reaches, and which roles and scopes they may
give, is decided in ffs_portal.access: another factory's person is a 404, a role or scope
above the manager's own a 403."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from enrollment.models import Site
from ffs_portal import access
from ffs_portal.access import MANAGE_PEOPLE, requires
from ffs_portal.forms import add_service_errors
from ffs_portal.lib.params import whole_number
from ffs_portal.people import selectors, services
from ffs_portal.people.forms import (
    INVITE,
    PEOPLE_ROLES,
    PersonAddForm,
    PersonChangeForm,
)

# A one-time password is shown once, on the page the manager lands on after giving it.
SHOWN_ONCE = "people_one_time_password"


@requires(MANAGE_PEOPLE)
def person_list(request):
    q = request.GET.get("q", "").strip()[:50]
    role = request.GET.get("role", "")
    active = request.GET.get("active", "yes")
    roles = [r for r in PEOPLE_ROLES if r in access.grantable_roles(request.user)]
    return render(
        request,
        "people/list.html",
        {
            "people": selectors.people(
                request.user,
                q=q,
                role=role if role in roles else "",
                active=active,
            ),
            "q": q,
            "role": role,
            "active": active,
            "roles": roles,
        },
    )


def _site_asked(request) -> Site | None:
    """The site named in ``?site=`` when the manager may put people there (from a site's
    staff page)."""
    pk = whole_number(request.GET.get("site"))
    return access.grantable_sites(request.user).filter(pk=pk).first() if pk else None


@requires(MANAGE_PEOPLE)
def person_add(request):
    site = _site_asked(request)
    initial = {"language": request.user.language, "how": INVITE}
    if site is not None:
        initial.update(role="childcare", sites=[site.pk])
    form = PersonAddForm(request.POST or None, manager=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            person, password = services.person_add(
                by=request.user,
                username=form.cleaned_data["username"],
                invite=form.cleaned_data["how"] == INVITE,
                **form.details(),
                scope=form.scope(),
                **form.profile(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if password:
                request.session[SHOWN_ONCE] = {"person": person.pk, "password": password}
            else:
                messages.success(
                    request,
                    _("%(name)s is added and an invitation is on its way to %(email)s.")
                    % {"name": person, "email": person.email},
                )
            return redirect("people:person", person=person.pk)
    return render(
        request,
        "people/form.html",
        {"form": form, "title": _("Add a person"), "site": site},
    )


def _person(request, pk):
    return access.get_managed_or_404(request.user, pk=pk)


@requires(MANAGE_PEOPLE)
def person_detail(request, person):
    person = _person(request, person)
    shown = request.session.get(SHOWN_ONCE)
    password = None
    if shown and shown.get("person") == person.pk:
        password = shown["password"]
        del request.session[SHOWN_ONCE]
    return render(
        request,
        "people/person.html",
        {
            "person": person,
            "state": selectors.account_state(person),
            "one_time_password": password,
        },
    )


@requires(MANAGE_PEOPLE)
def person_edit(request, person):
    person = _person(request, person)
    if person.role not in PEOPLE_ROLES:
        messages.info(request, _("A sponsor's login is changed on the sponsor's page."))
        return redirect("people:person", person=person.pk)
    form = PersonChangeForm(request.POST or None, manager=request.user, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_change(
                person=person, by=request.user, scope=form.scope(), **form.details()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("people:person", person=person.pk)
    return render(
        request,
        "people/form.html",
        {"form": form, "title": _("Change %(name)s") % {"name": person}, "person": person},
    )


# Each act on a person's account: the service that does it and what the manager is told.
ACTS = {
    "switch_off": (
        services.person_switch_off,
        gettext_lazy("%(name)s is switched off: signed out everywhere, and the PIN opens nothing."),
    ),
    "switch_on": (services.person_switch_on, gettext_lazy("%(name)s can sign in again.")),
    "invite": (
        services.person_invite,
        gettext_lazy("A new invitation is on its way to %(email)s; earlier links stop working."),
    ),
    "reset_password": (
        services.person_password_reset,
        gettext_lazy("A link to choose a new password is on its way to %(email)s."),
    ),
    # The one-time password itself is shown on the person's page, once.
    "one_time_password": (services.person_one_time_password, None),
    "clear_lock": (
        services.person_lock_clear,
        gettext_lazy("%(name)s may sign in again now (and type their PIN)."),
    ),
    "reset_two_factor": (
        services.person_two_factor_reset,
        gettext_lazy(
            "The authenticator app of %(name)s is reset: they set up a new one at sign-in."
        ),
    ),
}


@require_POST
@requires(MANAGE_PEOPLE)
def person_act(request, person):
    """One act on a person's account, named by the button pressed."""
    person = _person(request, person)
    act, done = ACTS.get(request.POST.get("action", ""), (None, None))
    if act is None:
        messages.error(request, _("Choose one of the buttons on this page."))
        return redirect("people:person", person=person.pk)
    try:
        password = act(person=person, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if password:
            request.session[SHOWN_ONCE] = {"person": person.pk, "password": password}
        if done:
            messages.success(request, done % {"name": person, "email": person.email})
    return redirect("people:person", person=person.pk)
