"""Every write to training sessions: scheduling, invitations, sign-in and feedback."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import Factory, Worker
from enrollment.training.models import (
    Course,
    Invitation,
    SessionAttendance,
    SessionFeedback,
    TrainingSession,
)
from ffs_portal import audit
from ffs_portal.notices import services as notices

# Sign-in on the tablet opens this long before a session starts.
SIGN_IN_OPENS_BEFORE = timedelta(hours=2)


@transaction.atomic
def course_save(*, by, course: Course | None = None, **fields) -> Course:
    course = course or Course()
    for field, value in fields.items():
        setattr(course, field, value)
    course.full_clean()
    course.save()
    return course


@transaction.atomic
def session_save(
    *, factory: Factory, by, session: TrainingSession | None = None, **fields
) -> TrainingSession:
    """Schedule a session at a factory, or change one."""
    creating = session is None
    session = session or TrainingSession(factory=factory)
    for field, value in fields.items():
        setattr(session, field, value)
    if session.starts_at and session.ends_at and session.ends_at <= session.starts_at:
        raise ValidationError({"ends_at": _("The session ends before it starts.")})
    if not session.capacity:
        raise ValidationError({"capacity": _("A session needs at least one place.")})
    if session.pk and session.capacity < session.invitations.count():
        raise ValidationError(
            {
                "capacity": _(
                    "%(count)s workers are invited already; the capacity cannot be lower."
                )
                % {"count": session.invitations.count()}
            }
        )
    session.full_clean()
    session.save()
    audit.record(
        actor=by,
        action="training.scheduled" if creating else "training.changed",
        factory=factory,
        course=session.course.name,
    )
    return session


def _check_same_factory(session: TrainingSession, workers) -> None:
    strangers = [w for w in workers if w.factory_id != session.factory_id]
    if strangers:
        raise ValidationError(
            _("%(name)s works at another factory and cannot join this session.")
            % {"name": strangers[0].name}
        )


@transaction.atomic
def invite(*, session: TrainingSession, workers, by) -> int:
    """Invite workers; those invited already are left as they are. Returns how many are new."""
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if session.starts_at <= timezone.now():
        raise ValidationError(_("This session has started or is over: invitations are closed."))
    workers = list(workers)
    _check_same_factory(session, workers)
    already = set(session.invitations.values_list("worker_id", flat=True))
    new = [w for w in workers if w.pk not in already]
    if len(already) + len(new) > session.capacity:
        raise ValidationError(
            _(
                "This session has %(capacity)s places and %(count)s invitations already; "
                "%(asked)s more would be too many."
            )
            % {"capacity": session.capacity, "count": len(already), "asked": len(new)}
        )
    Invitation.objects.bulk_create(
        Invitation(session=session, worker=worker, invited_by=by) for worker in new
    )
    notices.notify_invited(session=session, workers=new)
    audit.record(actor=by, action="training.invited", factory=session.factory, count=len(new))
    return len(new)


@transaction.atomic
def uninvite(*, session: TrainingSession, worker: Worker, by) -> None:
    session.invitations.filter(worker=worker).delete()


@transaction.atomic
def sign_in(*, session: TrainingSession, worker: Worker, by, method: str) -> SessionAttendance:
    """Record that a worker came. Walk-ins (not invited) are welcome while places remain."""
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    _check_same_factory(session, [worker])
    now = timezone.now()
    if method == "tablet" and session.starts_at - SIGN_IN_OPENS_BEFORE > now:
        raise ValidationError(
            _("Sign-in opens two hours before the session, at %(time)s.")
            % {
                "time": timezone.localtime(session.starts_at - SIGN_IN_OPENS_BEFORE).strftime(
                    "%H:%M"
                )
            }
        )
    existing = session.attendances.filter(worker=worker).first()
    if existing:
        raise ValidationError(
            _("%(name)s signed in already at %(time)s.")
            % {
                "name": worker.name,
                "time": timezone.localtime(existing.signed_in_at).strftime("%H:%M"),
            }
        )
    if session.attendances.count() >= session.capacity:
        raise ValidationError(
            _("The session is full (%(capacity)s places).") % {"capacity": session.capacity}
        )
    walk_in = not session.invitations.filter(worker=worker).exists()
    try:
        with transaction.atomic():
            attendance = SessionAttendance.objects.create(
                session=session, worker=worker, signed_in_by=by, method=method, walk_in=walk_in
            )
    except IntegrityError as error:  # the same worker signed in from two tablets at once
        raise ValidationError(_("%(name)s signed in already.") % {"name": worker.name}) from error
    audit.record(
        actor=by,
        action="training.signed_in",
        family=worker.family,
        factory=session.factory,
        walk_in=walk_in,
    )
    return attendance


@transaction.atomic
def sign_in_off(*, attendance: SessionAttendance, by) -> None:
    """Undo a sign-in ticked by mistake (and its feedback)."""
    audit.record(
        actor=by,
        action="training.sign_in_removed",
        family=attendance.worker.family,
        factory=attendance.session.factory,
    )
    attendance.delete()


@transaction.atomic
def feedback_submit(
    *, token: str, usefulness: int, clarity: int, will_apply: int, comment: str = ""
) -> SessionFeedback:
    """An attendee's answers, once. The token is the attendee's own (no login on the kiosk)."""
    attendance = SessionAttendance.objects.select_for_update().filter(feedback_token=token).first()
    if attendance is None:
        raise ValidationError(_("This feedback link is not valid."))
    if SessionFeedback.objects.filter(attendance=attendance).exists():
        raise ValidationError(_("Thank you — your answers for this session are in already."))
    scores = {"usefulness": usefulness, "clarity": clarity, "will_apply": will_apply}
    if any(not 1 <= score <= 5 for score in scores.values()):
        raise ValidationError(_("Choose an answer from 1 to 5 for each question."))
    return SessionFeedback.objects.create(attendance=attendance, comment=comment.strip(), **scores)
