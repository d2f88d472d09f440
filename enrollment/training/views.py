from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrollment.models import Factory, Worker
from enrollment.training import selectors, services
from enrollment.training.forms import CourseForm, FeedbackForm, SessionForm
from enrollment.training.models import Course, SessionAttendance, TrainingSession
from ffs_portal import access, kiosk
from ffs_portal.access import (
    MANAGE_FAMILIES,
    MANAGE_PROGRAM,
    VIEW_FAMILIES,
    AuthenticatedHttpRequest,
    requires,
)
from ffs_portal.forms import add_service_errors
from ffs_portal.lib.params import whole_number
from ffs_portal.models import Role


def _session(request: AuthenticatedHttpRequest, key) -> TrainingSession:
    return access.get_scoped_or_404(
        request.user, TrainingSession.objects.select_related("course", "factory"), key=key
    )


@requires(VIEW_FAMILIES)
def session_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    year = timezone.localdate().year
    factories = access.scoped(request.user, Factory)
    rows = selectors.reach(factories, year)
    return render(
        request,
        "training/session_list.html",
        {
            "sessions": selectors.sessions(request.user),
            "reach": rows,
            "reach_total": selectors.total(rows),
            "year": year,
            "can_manage": access.can(request.user, MANAGE_FAMILIES)
            and request.user.role == Role.HR,
        },
    )


@requires(MANAGE_FAMILIES)
def session_edit(request: AuthenticatedHttpRequest, session=None) -> HttpResponse:
    instance = _session(request, session) if session else None
    factory = instance.factory if instance else request.user.factory
    if factory is None:
        raise Http404
    form = SessionForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.session_save(
                factory=factory, session=instance, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Session saved. Invite the parents next."))
            return redirect("training:session_detail", session=saved.key)
    title = _("Edit the session") if instance else _("Schedule a training session")
    return render(request, "training/form.html", {"form": form, "title": title})


@requires(VIEW_FAMILIES)
def session_detail(request: AuthenticatedHttpRequest, session) -> HttpResponse:
    session = _session(request, session)
    invitations = session.invitations.select_related("worker").order_by("worker__name")
    attendances = session.attendances.select_related("worker", "feedback").order_by("signed_in_at")
    return render(
        request,
        "training/session_detail.html",
        {
            "session": session,
            "invitations": invitations,
            "attendances": attendances,
            "can_manage": access.can(request.user, MANAGE_FAMILIES)
            and request.user.role == Role.HR,
        },
    )


@requires(MANAGE_FAMILIES)
def invite(request: AuthenticatedHttpRequest, session) -> HttpResponse:
    session = _session(request, session)
    left_behind_only = request.GET.get("all") != "1"
    candidates = selectors.invite_candidates(
        session, left_behind_only=left_behind_only, query=request.GET.get("q", "")
    )
    if request.method == "POST":
        chosen = access.scoped(request.user, Worker).filter(
            pk__in=[v for v in request.POST.getlist("worker") if v.isdigit()]
        )
        try:
            added = services.invite(session=session, workers=chosen, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(count)s workers invited.") % {"count": added})
            return redirect("training:session_detail", session=session.key)
    return render(
        request,
        "training/invite.html",
        {"session": session, "candidates": candidates, "left_behind_only": left_behind_only},
    )


@requires(VIEW_FAMILIES)
def invitation_print(request: AuthenticatedHttpRequest, session) -> HttpResponse:
    session = _session(request, session)
    invitations = session.invitations.select_related("worker").order_by(
        "worker__department", "worker__name"
    )
    return render(
        request, "training/invitation_print.html", {"session": session, "invitations": invitations}
    )


@requires(MANAGE_FAMILIES)
def sign_in_desk(request: AuthenticatedHttpRequest, session) -> HttpResponse:
    """The tablet at the door of the session: find yourself, tap, done."""
    session = _session(request, session)
    kiosk.enter(
        request,
        allowed=[
            reverse("training:sign_in_desk", kwargs={"session": session.key}),
            reverse("training:sign_in", kwargs={"session": session.key}),
        ],
    )
    query = request.GET.get("q", "")
    context = {
        "session": session,
        "matches": selectors.sign_in_matches(session, query),
        "query": query,
        "signed_in": session.attendances.count(),
    }
    if request.htmx:
        return render(request, "training/_sign_in_matches.html", context)
    return render(request, "training/sign_in.html", context)


@requires(MANAGE_FAMILIES)
@require_POST
def sign_in(request: AuthenticatedHttpRequest, session) -> HttpResponse:
    session = _session(request, session)
    method = "list" if request.POST.get("method") == "list" else "tablet"
    worker_pk = whole_number(request.POST.get("worker"))
    worker = (
        Worker.objects.filter(factory=session.factory, pk=worker_pk).first()
        if worker_pk is not None
        else None
    )
    if worker is None:
        messages.error(request, _("Choose who is signing in."))
        return redirect("training:sign_in_desk", session=session.key)
    try:
        attendance = services.sign_in(
            session=session, worker=worker, by=request.user, method=method
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        attendance = None
    if method == "list":
        if attendance:
            messages.success(request, _("%(name)s is signed in.") % {"name": worker.name})
        return redirect("training:session_detail", session=session.key)
    return render(
        request,
        "training/sign_in.html",
        {
            "session": session,
            "just_signed_in": attendance,
            "signed_in": session.attendances.count(),
        },
    )


@requires(MANAGE_FAMILIES)
@require_POST
def sign_in_remove(request: AuthenticatedHttpRequest, session) -> HttpResponse:
    session = _session(request, session)
    attendance = session.attendances.filter(pk=whole_number(request.POST.get("attendance"))).first()
    if attendance is not None:
        services.sign_in_off(attendance=attendance, by=request.user)
        messages.info(request, _("Sign-in removed."))
    return redirect("training:session_detail", session=session.key)


@login_not_required
def feedback(request: HttpRequest, token) -> HttpResponse:
    """The kiosk questionnaire, answered on the tablet right after the session, no login."""
    attendance = (
        SessionAttendance.objects.select_related("session__course", "worker")
        .filter(feedback_token=token)
        .first()
    )
    if attendance is None:
        raise Http404
    kiosk.enter(request, allowed=[request.path])
    answered = hasattr(attendance, "feedback")
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and not answered and form.is_valid():
        try:
            services.feedback_submit(token=token, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            answered = True
    return render(
        request,
        "training/feedback.html",
        {"attendance": attendance, "form": form, "answered": answered},
    )


@requires(MANAGE_PROGRAM)
def course_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request, "training/course_list.html", {"courses": access.scoped(request.user, Course)}
    )


@requires(MANAGE_PROGRAM)
def course_edit(request: AuthenticatedHttpRequest, course=None) -> HttpResponse:
    instance = access.get_scoped_or_404(request.user, Course, pk=course) if course else None
    form = CourseForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.course_save(course=instance, by=request.user, **form.cleaned_data)
        messages.success(request, _("Course saved."))
        return redirect("training:course_list")
    title = _("Edit the course") if instance else _("Add a course")
    return render(request, "training/form.html", {"form": form, "title": title})
