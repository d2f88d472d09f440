"""The shared tablet's pages: the lock screen and its PIN pad, a lead's list of the site's
tablets, and what the tablet needs to work offline (its service worker, the day's roster,
the batch of acts it made offline) with the lead's list of those a person must look at."""

from pathlib import Path

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from attendance.tablet import forms, middleware, selectors, services, tasks
from attendance.tablet.forms import (
    TabletRegisterForm,
    TabletSettingsForm,
    UnlockForm,
)
from attendance.tablet.models import OfflineAct, Tablet
from enrollment.models import Site
from ffs_portal import access
from ffs_portal.access import LEAD_SITE, USE_BOARD, AuthenticatedHttpRequest, requires
from ffs_portal.forms import add_service_errors
from ffs_portal.lib import clock
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
            # For an unlock while the network is down (tablet.js): the day's salt of the PIN
            # verifiers, and what to say.
            "salt": selectors.day_salt(tablet, clock.today()),
            "offline_words": {
                "wrong": _("Wrong PIN."),
                "unknown": _(
                    "Offline, only someone who unlocked this tablet today with the network "
                    "can unlock it. Wait for the network, or sign in on another tablet."
                ),
                "paused": _("Too many wrong PINs. Wait for the network to come back."),
            },
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
    login(request, user, backend="ffs_portal.backends.PortalBackend")
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
            "health_check": site.health_check,
            "not_arrived_minutes": site.not_arrived_minutes,
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


# Working offline ---------------------------------------------------------------------------

# The most acts one batch may carry (a tablet sends what it holds in batches of this size).
BATCH_SIZE = 200


def _same_origin(request: HttpRequest) -> bool:
    origin = request.headers.get("Origin")
    return origin is None or origin == f"{request.scheme}://{request.get_host()}"


@login_not_required
@csrf_exempt
@require_POST
def sync(request: middleware.TabletRequest) -> HttpResponse:
    """The acts a registered tablet made offline, as a batch in JSON. The tablet's cookie is
    its credential (the person who unlocked it offline has no session); a JSON body with the
    tablet's own header cannot be sent by another site's page, which is what the CSRF token
    guards against elsewhere."""
    tablet = request.tablet
    if tablet is None:
        return HttpResponse(status=403)
    if (
        request.content_type != "application/json"
        or request.headers.get("X-Tablet-Outbox") != "1"
        or not _same_origin(request)
    ):
        return HttpResponseBadRequest()
    try:
        batch = forms.parse_batch(request.body, limit=BATCH_SIZE)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    results = services.replay(
        tablet=tablet, acts=batch.acts, sent_at=batch.sent_at, tell=tasks.tell_offline_act.delay
    )
    return JsonResponse(
        {
            "results": [
                {
                    "key": str(result.key),
                    "outcome": result.outcome,
                    "message": result.message,
                    "child": str(result.child) if result.child else None,
                    "status": result.status,
                }
                for result in results
            ]
        }
    )


@requires(USE_BOARD)
@require_GET
def roster(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Today's children of the tablet's site, the least the door needs when the network is
    down: names, initials, allergy flag, group, status now, who may collect (codes only as
    salted hashes). Kept on the tablet for the day."""
    tablet = middleware.tablet_of(request)
    if tablet is None:
        raise Http404
    return JsonResponse(selectors.offline_roster(request.user, tablet))


def service_worker_source() -> bytes:
    path = finders.find("js/sw.js")
    if not isinstance(path, str):
        raise Http404
    return Path(path).read_bytes()


@login_not_required
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The tablet app's service worker, from the root so that it serves the board and the
    lock screen."""
    response = HttpResponse(service_worker_source(), content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@requires(LEAD_SITE)
@require_http_methods(["GET", "POST"])
def offline_review(request: AuthenticatedHttpRequest, site) -> HttpResponse:
    """The acts made offline that need a person: conflicts, hand-overs against the lists,
    acts too old to apply, tablets with a wrong clock."""
    site = _site(request, site)
    if request.method == "POST":
        act = OfflineAct.objects.filter(site=site, key=request.POST.get("act", "")).first()
        if act is None:
            raise Http404
        services.offline_act_reviewed(act=act, by=request.user)
        return redirect("tablet:offline_review", site=site.pk)
    return render(
        request,
        "tablet/offline_review.html",
        {"site": site, "acts": selectors.offline_acts_to_review(site)[:200]},
    )
