"""Program years, worker retention and the parents' survey, checked against small hand-made
data with known answers."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from attendance.models import AttendanceRecord
from enrollment.models import Factory, Term
from ffs_portal.outcomes import selectors, services
from ffs_portal.outcomes.models import ParentSurvey, ProgramYear
from tests.factories import (
    ChildFactory,
    EnrollmentFactory,
    FamilyFactory,
    SiteFactory,
    TermFactory,
    WorkerFactory,
    enrolled_child,
)

SCORES = {"safe": 5, "enjoyed": 4, "informed": 4, "work": 5, "overall": 5}


# Program years -------------------------------------------------------------------------


@pytest.fixture
def two_years(factory_a, site_a, factory_b, site_b, sponsor_a):
    TermFactory(site=site_a, starts_on=date(2025, 7, 7), ends_on=date(2025, 8, 22))
    TermFactory(site=site_a, starts_on=date(2026, 7, 6), ends_on=date(2026, 8, 21))
    # A second summer space at factory A the same year: still one factory.
    TermFactory(
        site=SiteFactory(factory=factory_a),
        starts_on=date(2026, 7, 13),
        ends_on=date(2026, 8, 21),
    )
    TermFactory(site=site_b, starts_on=date(2026, 9, 1), ends_on=date(2027, 6, 30))
    ProgramYear.objects.create(factory=factory_a, program="ffs", year=2026, support="self_run")


def test_program_years_say_who_ran_what_new_or_returning(two_years, administrator, factory_a):
    rows, summaries = selectors.program_years(administrator, 2026)
    by_program = {s.program: s for s in summaries}
    assert (by_program["ffs"].factories, by_program["ffs"].new, by_program["ffs"].returning) == (
        1,
        0,
        1,
    )
    assert (by_program["ffs"].self_run, by_program["ffs"].supported) == (1, 0)
    assert (by_program["asc"].factories, by_program["asc"].new) == (1, 1)
    assert by_program["asc"].not_recorded == 1
    ffs = next(r for r in rows if r.program == "ffs")
    assert (ffs.factory, ffs.sites, ffs.first_year, ffs.returning) == (factory_a, 2, 2025, True)
    assert ffs.sponsors == ["乐高基金会 LEGO Foundation"]
    rows_2025, summaries_2025 = selectors.program_years(administrator, 2025)
    assert [(r.factory, r.returning) for r in rows_2025] == [(factory_a, False)]


def test_a_coordinator_records_support_on_the_program_years_page(
    client, two_years, coordinator, factory_a, factory_b
):
    client.force_login(coordinator)
    page = client.get(reverse("outcomes:program_years") + "?year=2026").content.decode()
    assert factory_a.name in page and factory_b.name not in page
    client.post(
        reverse("outcomes:program_year_save"),
        {"factory": factory_a.pk, "program": "ffs", "year": 2026, "support": "ietp"},
    )
    assert ProgramYear.objects.get(factory=factory_a, program="ffs", year=2026).support == "ietp"


@pytest.mark.parametrize(
    "data",
    [
        {"program": "ffs", "year": 2026, "support": "sponsored"},
        {"program": "zoo", "year": 2026, "support": "ietp"},
        {"program": "ffs", "year": "abc", "support": "ietp"},
        {"program": "ffs", "year": 2026},
    ],
)
def test_bad_program_year_input_changes_nothing(client, two_years, coordinator, factory_a, data):
    client.force_login(coordinator)
    response = client.post(reverse("outcomes:program_year_save"), {"factory": factory_a.pk, **data})
    assert response.status_code == 302
    assert ProgramYear.objects.get(factory=factory_a).support == "self_run"


def test_another_factorys_program_year_is_not_found(client, two_years, coordinator, factory_b):
    client.force_login(coordinator)
    response = client.post(
        reverse("outcomes:program_year_save"),
        {"factory": factory_b.pk, "program": "asc", "year": 2026, "support": "ietp"},
    )
    assert response.status_code == 404
    assert not ProgramYear.objects.filter(factory=factory_b).exists()


def test_a_bad_year_shows_the_current_year(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("outcomes:program_years") + "?year=twenty")
    assert response.status_code == 200
    assert str(timezone.localdate().year) in response.content.decode()


# Worker retention ----------------------------------------------------------------------

START = date(2025, 7, 7)


@pytest.fixture
def retention_data(factory_a, site_a):
    """Three parents whose children used the space, four who did not, three left out."""
    term = TermFactory(site=site_a, starts_on=START, ends_on=date(2025, 8, 22))

    def worker(hired, left=None, status=None, family=True, attended=True):
        owner = FamilyFactory(factory=factory_a) if family else None
        made = WorkerFactory(family=owner, factory=factory_a, hire_date=hired, leave_date=left)
        if status:
            child = ChildFactory(family=owner)
            EnrollmentFactory(child=child, term=term, status=status)
            if status in ("enrolled", "completed") and attended:
                came(child)
        return made

    def came(child):
        checked_in = timezone.make_aware(datetime.combine(START, time(8)))
        AttendanceRecord.objects.create(
            site=site_a,
            child=child,
            day=START,
            status="collected",
            checked_in_at=checked_in,
            checked_out_at=checked_in + timedelta(hours=8),
        )

    worker(date(2024, 1, 1), status="completed")  # stays
    worker(date(2024, 1, 1), date(2025, 9, 1), status="completed")  # leaves within 3 months
    worker(date(2025, 1, 1), date(2026, 3, 1), status="enrolled")  # leaves after 7 months
    worker(date(2024, 1, 1), status="waitlisted")  # never got a place: stays
    # A place but never came: not a user of the space (leaves after 6 months).
    worker(date(2024, 1, 1), date(2026, 1, 1), status="completed", attended=False)
    worker(date(2025, 6, 1), date(2025, 8, 1), status="withdrawn")  # leaves within a month
    worker(date(2020, 5, 1), family=False)  # no family in the portal: stays
    worker(date(2025, 8, 1))  # hired after the start day: left out
    worker(date(2024, 1, 1), date(2025, 6, 1))  # left before the start day: left out
    worker(None)  # no hire date: left out and counted
    return factory_a


def test_retention_compares_space_users_with_other_workers(retention_data):
    rows, total = selectors.retention(
        Factory.objects.filter(pk=retention_data.pk), 2025, today=date(2026, 11, 23)
    )
    (row,) = rows
    assert row.start == START
    assert (row.users.workers, row.others.workers, row.unknown_hire_date) == (3, 4, 1)
    assert [row.users.rate(m) for m in (3, 6, 12)] == [2 / 3, 2 / 3, 1 / 3]
    assert [row.others.rate(m) for m in (3, 6, 12)] == [3 / 4, 2 / 4, 2 / 4]
    assert row.difference(6) == pytest.approx(2 / 3 - 1 / 2)
    assert total.users.workers == 3


def test_retention_counts_only_months_that_have_passed(retention_data):
    rows, _total = selectors.retention(
        Factory.objects.filter(pk=retention_data.pk), 2025, today=date(2026, 3, 1)
    )
    assert rows[0].users.observable == {3: 3, 6: 3, 12: 0}
    assert rows[0].users.rate(12) is None and rows[0].difference(12) is None


def test_the_retention_page_says_it_is_not_a_proof_of_cause(client, retention_data, hr):
    client.force_login(hr)
    page = client.get(reverse("outcomes:retention") + "?year=2025").content.decode()
    assert "不能证明因果" in page
    assert "67%" in page and "33%" in page and "75%" in page


def test_hr_sees_only_their_factorys_retention(client, retention_data, factory_b, site_b):
    from ffs_portal.models import Role
    from tests.factories import UserFactory

    TermFactory(site=site_b, starts_on=date(2025, 9, 1), ends_on=date(2026, 6, 30))
    other_hr = UserFactory(role=Role.HR, factory=factory_b)
    client.force_login(other_hr)
    page = client.get(reverse("outcomes:retention") + "?year=2025").content.decode()
    assert retention_data.name not in page and factory_b.name in page


# Parents' survey -----------------------------------------------------------------------


@pytest.fixture
def ending_term(site_a):
    """A term in its last week: the survey is open."""
    today = timezone.localdate()
    return TermFactory(
        site=site_a, starts_on=today - timedelta(days=50), ends_on=today + timedelta(days=5)
    )


def test_a_family_answers_once_on_the_tablet_at_pickup(client, ending_term, carer):
    child = enrolled_child(ending_term)
    client.force_login(carer)
    response = client.post(
        reverse("outcomes:survey_start", kwargs={"site": ending_term.site_id, "child": child.key})
    )
    survey = ParentSurvey.objects.get(family=child.family, term=ending_term)
    kiosk = reverse("outcomes:survey_kiosk", kwargs={"survey": survey.token})
    assert response["Location"] == kiosk
    # The kiosk needs no login: the parent answers on the tablet.
    client.logout()
    page = client.get(kiosk).content.decode()
    assert child.name not in page and ending_term.site.name in page
    response = client.post(kiosk, {**SCORES, "comment": "孩子很开心"})
    assert "谢谢" in response.content.decode()
    survey.refresh_from_db()
    assert (survey.overall, survey.method, survey.comment) == (5, "kiosk", "孩子很开心")
    # The same family again (a second tablet, a second child): refused, nothing changed.
    client.post(kiosk, {**SCORES, "overall": 1})
    survey.refresh_from_db()
    assert survey.overall == 5
    with pytest.raises(ValidationError):
        services.survey_answer(token=survey.token, **SCORES)


def test_the_survey_is_offered_only_at_the_end_of_a_term(client, term_a, carer):
    child = enrolled_child(term_a)  # the term runs for 40 more days
    client.force_login(carer)
    response = client.post(
        reverse("outcomes:survey_start", kwargs={"site": term_a.site_id, "child": child.key}),
        follow=True,
    )
    assert "学期结束前两周" in response.content.decode()
    assert not ParentSurvey.objects.exists()


@pytest.mark.parametrize(
    "data,message",
    [
        ({**SCORES, "overall": ""}, "请选择 1 到 5 之间的答案"),
        ({**SCORES, "safe": "6"}, "选择一个有效的选项"),
        ({**SCORES, "work": "很好"}, "选择一个有效的选项"),
        ({**SCORES, "comment": "好" * 1001}, "1000"),
    ],
)
def test_bad_kiosk_answers_are_explained_and_nothing_saved(client, ending_term, data, message):
    child = enrolled_child(ending_term)
    survey = services.survey_for(family=child.family, term=ending_term)
    response = client.post(reverse("outcomes:survey_kiosk", kwargs={"survey": survey.token}), data)
    assert message in response.content.decode()
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_an_unknown_survey_link_is_not_found(client, db):
    assert (
        client.get(
            reverse("outcomes:survey_kiosk", kwargs={"survey": "not-a-family-token-22"})
        ).status_code
        == 404
    )


def test_hr_types_in_paper_answers_and_sees_who_answered(client, ending_term, hr):
    answered, waiting = enrolled_child(ending_term), enrolled_child(ending_term)
    client.force_login(hr)
    url = reverse(
        "outcomes:survey_paper", kwargs={"term": ending_term.pk, "family": answered.family.key}
    )
    response = client.post(url, {**SCORES, "overall": "3"})
    assert response.status_code == 302
    survey = ParentSurvey.objects.get(family=answered.family)
    assert (survey.method, survey.entered_by, survey.overall) == ("paper", hr, 3)
    page = client.get(reverse("outcomes:survey_list") + f"?term={ending_term.pk}").content.decode()
    assert "1 / 2" in page and "已回答" in page and "未回答" in page
    assert waiting.name in page
    # A second paper form for the same family is refused.
    response = client.post(url, SCORES)
    assert "每个家庭每学期回答一次" in response.content.decode()
    assert ParentSurvey.objects.get(family=answered.family).overall == 3


def test_another_factorys_hr_cannot_type_in_answers(client, ending_term, outsiders):
    from ffs_portal.models import Role

    child = enrolled_child(ending_term)
    client.force_login(outsiders[Role.HR])
    url = reverse(
        "outcomes:survey_paper", kwargs={"term": ending_term.pk, "family": child.family.key}
    )
    assert client.post(url, SCORES).status_code == 404
    start = reverse(
        "outcomes:survey_start", kwargs={"site": ending_term.site_id, "child": child.key}
    )
    assert client.post(start).status_code == 404
    assert not ParentSurvey.objects.exists()


def test_satisfaction_counts_families_once_per_term(ending_term, site_a):
    families = [enrolled_child(ending_term).family for _n in range(4)]
    # A second child of the first family: still one family, one answer.
    EnrollmentFactory(child=ChildFactory(family=families[0]), term=ending_term)
    # A withdrawn child's family is not asked.
    EnrollmentFactory(
        child=ChildFactory(family=FamilyFactory(factory=site_a.factory)),
        term=ending_term,
        status="withdrawn",
    )
    for family, overall in zip(families, (5, 4, 2), strict=False):
        services.survey_for(family=family, term=ending_term)
        services.survey_enter_paper(
            family=family, term=ending_term, by=None, **{**SCORES, "overall": overall}
        )
    figures = selectors.satisfaction_by(Term.objects.filter(pk=ending_term.pk))[site_a.pk]
    assert (figures.families, figures.responses, figures.satisfied) == (4, 3, 2)
    assert figures.response_rate == 0.75
    assert figures.satisfaction_rate == pytest.approx(2 / 3)
    assert figures.averages["overall"] == pytest.approx(11 / 3)


def test_scores_outside_one_to_five_never_reach_the_database(ending_term):
    child = enrolled_child(ending_term)
    survey = services.survey_for(family=child.family, term=ending_term)
    for bad in (0, 6, "5", None):
        with pytest.raises(ValidationError):
            services.survey_answer(token=survey.token, **{**SCORES, "safe": bad})
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_the_tablet_offers_the_survey_when_a_child_is_collected_at_the_end_of_a_term(
    client, ending_term, carer
):
    child = enrolled_child(ending_term)
    site = ending_term.site
    client.force_login(carer)
    client.post(reverse("attendance:check_in", kwargs={"site": site.pk, "child": child.key}))
    worker = child.family.workers.get()
    response = client.post(
        reverse("attendance:check_out", kwargs={"site": site.pk, "child": child.key}),
        {"collector": f"worker:{worker.pk}"},
    )
    start = reverse("outcomes:survey_start", kwargs={"site": site.pk, "child": child.key})
    assert start in response.content.decode()
    # Once the family has answered, it is not offered again.
    survey = services.survey_for(family=child.family, term=ending_term)
    services.survey_answer(token=survey.token, **SCORES)
    assert selectors.survey_to_offer(site, child) is None


def test_the_tablet_does_not_offer_the_survey_mid_term(term_a):
    child = enrolled_child(term_a)
    assert selectors.survey_to_offer(term_a.site, child) is None


@pytest.mark.parametrize(
    "query", ["?year=abc", "?year=1899", "?program=zoo", "?year=2025&program=%3Cb%3E"]
)
def test_bad_retention_filters_show_the_default_year(client, retention_data, hr, query):
    client.force_login(hr)
    response = client.get(reverse("outcomes:retention") + query)
    assert response.status_code == 200
    default = (timezone.localdate() - timedelta(days=92)).year
    assert f"{default}" in response.content.decode()


def test_retention_and_program_years_export_their_tables(client, retention_data, coordinator):
    client.force_login(coordinator)
    text = client.get(reverse("outcomes:retention") + "?year=2025&format=csv").content.decode(
        "utf-8-sig"
    )
    assert retention_data.name in text and "0.6667" in text
    response = client.get(reverse("outcomes:program_years") + "?year=2025&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
