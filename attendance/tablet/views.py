"""The shared tablet's pages: the lock screen and its PIN pad, and a lead's list of the
site's tablets."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from attendance.tablet import middleware, selectors, services
from attendance.tablet.forms import (
    TabletRegisterForm,
    TabletSettingsForm,
    UnlockForm,
)
from attendance.tablet.models import Tablet
from enrollment.models import Site
from ffs_portal import access
from ffs_portal.access import LEAD_SITE, requires
from ffs_portal.forms import add_service_errors
from ffs_portal.models import User
from ffs_portal.photos import photo_response


def _site(request, site_id: int) -> Site:
    return access.get_scoped_or_404(
        request.user, Site.objects.select_related("factory"), pk=site_id
    )


# The lock screen ---------------------------------------------------------------------------


@login_not_required
@never_cache
@require_GET
def lock_screen(request):
    """A registered tablet at rest: the site, the time, the staff as faces and a PIN pad.
    Nothing about a child."""
    tablet = request.tablet
    if tablet is None:
        return redirect("login")
    if request.user.is_authenticated:
        return redirect("attendance:site_board", site=tablet.site_id)
    return _lock_page(request, tablet)


def _lock_page(request, tablet, *, chosen=None, error="", status=200):
    return render(
        request,
        "tablet/lock.html",
        {
            "tablet": tablet,
            "site": tablet.site,
            "faces": selectors.lock_screen_faces(tablet.site),
            "chosen": chosen,
            "error": error,
        },
        status=status,
    )


@login_not_required
@never_cache
@require_POST
def unlock(request):
    tablet = request.tablet
    if tablet is None:
        return redirect("login")
    form = UnlockForm(request.POST)
    if not form.is_valid():
        return _lock_page(request, tablet, error=_("Choose your name, then type your PIN."))
    try:
        user = services.tablet_unlock(
            tablet=tablet, person=str(form.cleaned_data["person"]), pin=form.cleaned_data["pin"]
        )
    except ValidationError as error:
        return _lock_page(
            request,
            tablet,
            chosen=form.cleaned_data["person"],
            error=" ".join(error.messages),
            status=403,
        )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    middleware.open_session(request, tablet, pin=True)
    return redirect("attendance:site_board", site=tablet.site_id)


@login_not_required
@require_POST
def lock(request):
    """The Lock button (or the page's idle lock): the person is signed out, the tablet shows
    its lock screen. On a browser that is not a registered tablet, Lock signs out."""
    tablet = request.tablet
    if request.user.is_authenticated:
        if tablet is not None:
            services.tablet_locked(tablet=tablet, user=request.user, idle="idle" in request.POST)
        logout(request)
    return redirect("tablet:lock_screen" if tablet is not None else "login")


@login_not_required
@require_GET
def face(request, person):
    """A staff member's photo on the lock screen of their site's tablet, or for those who
    may see them."""
    tablet = request.tablet
    user: User | None = None
    if request.user.is_authenticated:
        user = access.get_scoped_or_404(request.user, User.objects.select_related(), pk=person)
    elif tablet is not None:
        user = selectors.unlock_candidates(tablet.site).filter(pk=person).first()
    if user is None:
        raise Http404
    profile = getattr(user, "staff_profile", None)
    if profile is None or not profile.photo:
        raise Http404
    return photo_response(profile.photo)


# A lead's tablets --------------------------------------------------------------------------


@requires(LEAD_SITE)
@require_http_methods(["GET", "POST"])
def tablets(request, site):
    site = _site(request, site)
    form = TabletSettingsForm(
        request.POST or None,
        initial={
            "tablet_lock_minutes": site.tablet_lock_minutes,
            "pickup_code_required": site.pickup_code_required,
            "pickup_signature": site.pickup_signature,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.site_tablet_settings_save(site=site, by=request.user, **form.cleaned_data)
        messages.success(request, _("Tablet settings saved."))
        return redirect("tablet:tablets", site=site.pk)
    return render(
        request,
        "tablet/tablets.html",
        {
            "site": site,
            "form": form,
            "tablets": Tablet.objects.filter(site=site).select_related(
                "registered_by", "revoked_by"
            ),
            "this_tablet": request.tablet,
        },
    )


@requires(LEAD_SITE)
@require_http_methods(["GET", "POST"])
def register(request, site):
    """Make this browser one of the site's tablets, then lock it: from now on staff unlock
    it with their PIN, and the lead's own session ends here."""
    site = _site(request, site)
    form = TabletRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tablet = services.tablet_register(
                site=site, name=form.cleaned_data["name"], by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            logout(request)
            messages.success(
                request,
                _("This browser is now the tablet “%(name)s”. Staff unlock it with their PIN.")
                % {"name": tablet.name},
            )
            response = redirect("tablet:lock_screen")
            middleware.set_cookie(response, tablet)
            return response
    return render(request, "tablet/register.html", {"site": site, "form": form})


@requires(LEAD_SITE)
@require_POST
def revoke(request, site, tablet):
    site = _site(request, site)
    try:
        chosen = Tablet.objects.get(site=site, key=tablet)
    except Tablet.DoesNotExist as error:
        raise Http404 from error
    services.tablet_revoke(tablet=chosen, by=request.user)
    messages.success(
        request,
        _("%(name)s is revoked: whoever holds it now sees the sign-in page.")
        % {"name": chosen.name},
    )
    if request.tablet is not None and request.tablet.pk == chosen.pk:
        logout(request)
        return redirect("login")
    return redirect("tablet:tablets", site=site.pk)
