"""Every write about program outcomes: sponsors and sponsorships, how a factory runs a
program in a year, parents' survey answers, and the per-site-per-day figures."""

from datetime import date, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment.models import Factory, Family, Term
from ffs_portal import access, audit
from ffs_portal import services as accounts
from ffs_portal.models import Role, User
from ffs_portal.outcomes.models import (
    DUPLICATE_SPONSOR,
    FIRST_PROGRAM_YEAR,
    LAST_PROGRAM_YEAR,
    SURVEY_QUESTIONS,
    ParentSurvey,
    ProgramYear,
    Sponsor,
    Sponsorship,
    Support,
    SurveyMethod,
)

# The survey opens on the tablet two weeks before a term's last day and stays open a month
# after it; HR may type in paper answers from the opening on.
SURVEY_OPENS_BEFORE_END = timedelta(days=14)
SURVEY_KIOSK_CLOSES_AFTER_END = timedelta(days=30)


def _check_year(year: int) -> None:
    if not FIRST_PROGRAM_YEAR <= year <= LAST_PROGRAM_YEAR:
        raise ValidationError(
            {
                "year": _("Give a year between %(first)s and %(last)s.")
                % {"first": FIRST_PROGRAM_YEAR, "last": LAST_PROGRAM_YEAR}
            }
        )


SHARED_SPONSOR = gettext_lazy(
    "This sponsor also sponsors factories you do not oversee, so its name and logins are "
    "changed by a coordinator of all factories. Ask the program's administrator."
)


def _check_may_change(by, sponsor: Sponsor) -> None:
    if not access.may_change_sponsor(by, sponsor):
        raise PermissionDenied(SHARED_SPONSOR)


@transaction.atomic
def sponsor_save(*, by, sponsor: Sponsor | None = None, **fields) -> Sponsor:
    if sponsor is not None:
        _check_may_change(by, sponsor)
    sponsor = sponsor or Sponsor()
    creating = sponsor.pk is None
    fields["name"] = fields.get("name", sponsor.name).strip()
    for field, value in fields.items():
        setattr(sponsor, field, value)
    if Sponsor.objects.filter(name__iexact=sponsor.name).exclude(pk=sponsor.pk).exists():
        raise ValidationError({"name": DUPLICATE_SPONSOR})
    sponsor.full_clean()
    sponsor.save()
    audit.record(
        actor=by,
        action="sponsor.created" if creating else "sponsor.changed",
        sponsor=sponsor.name,
        fields=sorted(fields),
    )
    return sponsor


@transaction.atomic
def sponsor_login_add(
    *, sponsor: Sponsor, by, username: str, name: str, email: str = "", password: str
) -> User:
    """A read-only login for someone at the sponsor: it sees the sponsor's reports only."""
    _check_may_change(by, sponsor)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            {"username": _("The user name %(name)s is taken.") % {"name": username}}
        )
    user = User(
        username=username,
        first_name=name.strip(),
        email=email,
        role=Role.SPONSOR,
        sponsor=sponsor,
        language="en",
    )
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    user.set_password(password)
    user.save()
    audit.record(actor=by, action="sponsor.login_added", sponsor=sponsor.name, user=username)
    return user


@transaction.atomic
def sponsor_login_deactivate(*, user: User, by) -> None:
    if user.role != Role.SPONSOR:
        raise ValidationError(_("Only a sponsor's login can be switched off here."))
    # The sponsor_user_has_sponsor constraint: a sponsor's login always has its sponsor.
    assert user.sponsor is not None
    _check_may_change(by, user.sponsor)
    # Signed out everywhere at once, as any account switched off.
    accounts.account_switch_off(user=user, by=by)
    audit.record(actor=by, action="sponsor.login_deactivated", user=user.username)


@transaction.atomic
def sponsorship_add(
    *, sponsor: Sponsor, factory: Factory, program: str, year: int, by
) -> Sponsorship:
    _check_year(year)
    try:
        with transaction.atomic():
            sponsorship = Sponsorship.objects.create(
                sponsor=sponsor, factory=factory, program=program, year=year
            )
    except IntegrityError:
        raise ValidationError(
            _("%(sponsor)s sponsors this program at this factory in %(year)s already.")
            % {"sponsor": sponsor.name, "year": year}
        ) from None
    audit.record(
        actor=by,
        action="sponsorship.added",
        factory=factory,
        sponsor=sponsor.name,
        program=program,
        year=year,
    )
    return sponsorship


@transaction.atomic
def sponsorship_remove(*, sponsorship: Sponsorship, by) -> None:
    audit.record(
        actor=by,
        action="sponsorship.removed",
        factory=sponsorship.factory,
        sponsor=sponsorship.sponsor.name,
        program=sponsorship.program,
        year=sponsorship.year,
    )
    sponsorship.delete()


@transaction.atomic
def program_year_save(
    *, factory: Factory, program: str, year: int, support: str, note: str = "", by
) -> ProgramYear:
    """Record whether a factory runs a program itself or with IETP's support in a year."""
    _check_year(year)
    if support not in Support.values:
        raise ValidationError({"support": _("Choose IETP-supported or self-run.")})
    program_year, _created = ProgramYear.objects.update_or_create(
        factory=factory,
        program=program,
        year=year,
        defaults={"support": support, "note": note.strip(), "updated_at": timezone.now()},
    )
    audit.record(
        actor=by,
        action="program_year.saved",
        factory=factory,
        program=program,
        year=year,
        support=support,
    )
    return program_year


def survey_opens_on(term: Term) -> date:
    return max(term.ends_on - SURVEY_OPENS_BEFORE_END, term.starts_on)


def survey_kiosk_open(term: Term, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return survey_opens_on(term) <= today <= term.ends_on + SURVEY_KIOSK_CLOSES_AFTER_END


@transaction.atomic
def survey_for(*, family: Family, term: Term) -> ParentSurvey:
    """The family's survey for the term, created the first time it is offered."""
    survey, _created = ParentSurvey.objects.get_or_create(family=family, term=term)
    return survey


def _check_scores(scores: dict) -> None:
    if set(scores) != set(SURVEY_QUESTIONS) or any(
        not isinstance(value, int) or not 1 <= value <= 5 for value in scores.values()
    ):
        raise ValidationError(_("Choose an answer from 1 to 5 for each question."))


def _answer(survey_filter: dict, *, method: str, by, comment: str, scores: dict) -> ParentSurvey:
    _check_scores(scores)
    # A conditional update: of two tablets sending the same family's answers at once, one wins.
    updated = ParentSurvey.objects.filter(answered_at__isnull=True, **survey_filter).update(
        answered_at=timezone.now(),
        method=method,
        entered_by=by if by is not None and by.is_authenticated else None,
        comment=comment.strip()[:1000],
        **scores,
    )
    survey = ParentSurvey.objects.select_related("family", "term__site").get(**survey_filter)
    if not updated:
        raise ValidationError(_("Thank you — this family's answers for this term are in already."))
    audit.record(
        actor=by,
        action="survey.answered",
        family=survey.family,
        term=survey.term.name,
        method=method,
    )
    return survey


@transaction.atomic
def survey_answer(*, token: str, comment: str = "", **scores) -> ParentSurvey:
    """A parent's answers on the tablet (no login: the token is the family's own)."""
    survey = ParentSurvey.objects.select_related("term").filter(token=token).first()
    if survey is None:
        raise ValidationError(_("This survey link is not valid. Ask the staff for a new one."))
    if not survey_kiosk_open(survey.term) and survey.answered_at is None:
        raise ValidationError(_("This survey is closed. Thank you all the same!"))
    return _answer(
        {"token": token}, method=SurveyMethod.KIOSK, by=None, comment=comment, scores=scores
    )


@transaction.atomic
def survey_answer_by_parent(
    *, family: Family, term: Term, comment: str = "", **scores
) -> ParentSurvey:
    """A parent's answers on their own page (the signed link is theirs), while the survey of
    the term is open."""
    if not survey_kiosk_open(term):
        raise ValidationError(_("This survey is closed. Thank you all the same!"))
    survey_for(family=family, term=term)
    return _answer(
        {"family": family, "term": term},
        method=SurveyMethod.PARENT_PAGE,
        by=None,
        comment=comment,
        scores=scores,
    )


@transaction.atomic
def survey_enter_paper(
    *, family: Family, term: Term, by, comment: str = "", **scores
) -> ParentSurvey:
    """Answers a family gave on paper, typed in by HR."""
    if timezone.localdate() < survey_opens_on(term):
        raise ValidationError(
            _("The survey for this term opens on %(day)s.") % {"day": survey_opens_on(term)}
        )
    survey_for(family=family, term=term)
    return _answer(
        {"family": family, "term": term},
        method=SurveyMethod.PAPER,
        by=by,
        comment=comment,
        scores=scores,
    )


@transaction.atomic
def sponsor_report_exported(*, sponsor: Sponsor, year: int, by) -> None:
    """Who took a sponsor's report out of the portal, and when."""
    audit.record(actor=by, action="sponsor.report_exported", sponsor=sponsor.name, year=year)


# Per-site-per-day figures --------------------------------------------------------------

# The nightly run recomputes this many past days: late corrections (a forgotten check-out
# closed the next time the child comes, an absence entered the day after) land in them.
RECOMPUTE_DAYS = 7
# After an outage the nightly run catches up at most this far back.
CATCH_UP_DAYS = 62


@transaction.atomic
def site_days_rebuild(*, start: date, end: date, site_ids=None) -> int:
    """Recompute the day table for a range of past days."""
    from ffs_portal.outcomes import site_days

    return site_days.rebuild(start=start, end=end, site_ids=site_ids)


def close_past_days(*, today: date | None = None) -> int:
    """The nightly run, after yesterday's minutes over ratio are final (staff.tasks): the day
    table for the last week and any day missed since the last run. Returns how many
    site-days were written."""
    from ffs_portal.outcomes.models import SiteDay

    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    last = SiteDay.objects.filter(day__lt=today).order_by("-day").values_list("day", flat=True)
    start = yesterday - timedelta(days=RECOMPUTE_DAYS - 1)
    latest = last.first()
    if latest is not None and latest < start:
        start = max(latest + timedelta(days=1), yesterday - timedelta(days=CATCH_UP_DAYS))
    return site_days_rebuild(start=start, end=yesterday)
