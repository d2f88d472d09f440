from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Factory
from enrollment.training import selectors, services
from enrollment.training.models import SessionAttendance, SessionFeedback
from tests.factories import (
    ChildFactory,
    EnrollmentFactory,
    FamilyFactory,
    TermFactory,
    TrainingSessionFactory,
    WorkerFactory,
)

YEAR = 2026


def at(month, day, hour=19):
    return datetime(YEAR, month, day, hour, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def hand_made(factory_a, site_a, hr):
    """Four parents and a worker without children; three sessions; known answers."""

    def parent(name, lives_with, left=None):
        family = FamilyFactory(factory=factory_a)
        worker = WorkerFactory(family=family, name=name, leave_date=left)
        child = ChildFactory(family=family, lives_with=lives_with)
        return worker, child

    village_parent, _ = parent("王一", "grandparents_village")
    city_parent, city_child = parent("王二", "parents")
    summer = TermFactory(site=site_a, starts_on=date(YEAR, 7, 6), ends_on=date(YEAR, 8, 22))
    EnrollmentFactory(child=city_child, term=summer, status="completed")
    not_enrolled_parent, _ = parent("王三", "parents")
    parent("王四", "grandparents_village", left=date(YEAR - 1, 12, 1))  # gone before the year
    WorkerFactory(family=None, factory=factory_a, name="王五")

    march = TrainingSessionFactory(factory=factory_a, starts_at=at(3, 10), ends_at=at(3, 10, 21))
    june = TrainingSessionFactory(factory=factory_a, starts_at=at(6, 10), ends_at=at(6, 10, 21))
    last_year = TrainingSessionFactory(
        factory=factory_a,
        starts_at=at(3, 10) - timedelta(days=365),
        ends_at=at(3, 10, 21) - timedelta(days=365),
    )
    TrainingSessionFactory(factory=factory_a, starts_at=at(9, 1), ends_at=at(9, 1, 21))  # nobody

    def came(session, worker, scores=None):
        attendance = SessionAttendance.objects.create(
            session=session, worker=worker, method="list", signed_in_by=hr
        )
        if scores:
            SessionFeedback.objects.create(
                attendance=attendance, usefulness=scores[0], clarity=scores[1], will_apply=scores[2]
            )

    came(march, village_parent, (5, 5, 5))
    came(june, village_parent)
    came(march, city_parent, (3, 4, 2))
    came(last_year, not_enrolled_parent, (1, 1, 1))
    return factory_a


def test_reach_figures_match_the_hand_made_data(hand_made, factory_b):
    rows = selectors.reach(Factory.objects.filter(pk__in=[hand_made.pk, factory_b.pk]), YEAR)
    ours = next(r for r in rows if r.factory == hand_made)
    assert ours.sessions_held == 2
    assert ours.attendances == 3
    assert ours.workers_trained == 2
    assert (ours.repeat_workers, ours.repeat_share) == (1, 0.5)
    # 王一 (village) and 王三 (no place this year) are parents of left-behind children;
    # 王二's child had a place in the summer; 王四 left the factory before the year.
    assert (ours.left_behind_parents, ours.left_behind_reached) == (2, 1)
    assert ours.left_behind_share == 0.5
    assert ours.feedback_responses == 2
    assert ours.feedback_average == pytest.approx(4.0)
    assert ours.response_rate == pytest.approx(2 / 3)
    theirs = next(r for r in rows if r.factory == factory_b)
    assert (theirs.sessions_held, theirs.workers_trained, theirs.left_behind_share) == (0, 0, None)
    summed = selectors.total(rows)
    assert (summed.workers_trained, summed.left_behind_parents) == (2, 2)


def test_reach_costs_a_constant_number_of_queries(hand_made, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        selectors.reach(Factory.objects.all(), YEAR)


def test_invitations_refuse_past_sessions_other_factories_and_too_many(hr, factory_a, factory_b):
    past = TrainingSessionFactory(
        factory=factory_a,
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() - timedelta(days=1) + timedelta(hours=1),
    )
    ours = WorkerFactory(family=FamilyFactory(factory=factory_a))
    with pytest.raises(ValidationError):
        services.invite(session=past, workers=[ours], by=hr)
    coming = TrainingSessionFactory(factory=factory_a, capacity=2)
    stranger = WorkerFactory(family=FamilyFactory(factory=factory_b))
    with pytest.raises(ValidationError) as refused:
        services.invite(session=coming, workers=[ours, stranger], by=hr)
    assert stranger.name in refused.value.messages[0]
    extra = [WorkerFactory(family=FamilyFactory(factory=factory_a)) for _ in range(2)]
    with pytest.raises(ValidationError):
        services.invite(session=coming, workers=[ours, *extra], by=hr)
    assert coming.invitations.count() == 0
    assert services.invite(session=coming, workers=[ours], by=hr) == 1
    assert services.invite(session=coming, workers=[ours], by=hr) == 0


def test_sign_in_once_walk_ins_welcome_until_full(hr, factory_a):
    session = TrainingSessionFactory(
        factory=factory_a,
        capacity=2,
        starts_at=timezone.now() + timedelta(minutes=30),
        ends_at=timezone.now() + timedelta(hours=2),
    )
    invited, walk_in, late = (
        WorkerFactory(family=FamilyFactory(factory=factory_a)) for _ in range(3)
    )
    services.invite(session=session, workers=[invited], by=hr)
    assert (
        services.sign_in(session=session, worker=invited, by=hr, method="tablet").walk_in is False
    )
    with pytest.raises(ValidationError) as twice:
        services.sign_in(session=session, worker=invited, by=hr, method="tablet")
    assert invited.name in twice.value.messages[0]
    assert services.sign_in(session=session, worker=walk_in, by=hr, method="tablet").walk_in is True
    with pytest.raises(ValidationError):
        services.sign_in(session=session, worker=late, by=hr, method="tablet")
    assert session.attendances.count() == 2


def test_the_tablet_sign_in_opens_two_hours_before(hr, factory_a):
    session = TrainingSessionFactory(factory=factory_a)  # next week
    worker = WorkerFactory(family=FamilyFactory(factory=factory_a))
    with pytest.raises(ValidationError):
        services.sign_in(session=session, worker=worker, by=hr, method="tablet")


def test_a_worker_of_another_factory_cannot_sign_in(hr, factory_a, factory_b):
    session = TrainingSessionFactory(factory=factory_a, starts_at=timezone.now())
    stranger = WorkerFactory(family=FamilyFactory(factory=factory_b))
    with pytest.raises(ValidationError):
        services.sign_in(session=session, worker=stranger, by=hr, method="list")


def test_feedback_once_per_attendee_and_only_from_attendees(hr, factory_a):
    session = TrainingSessionFactory(factory=factory_a, starts_at=timezone.now())
    worker = WorkerFactory(family=FamilyFactory(factory=factory_a))
    attendance = services.sign_in(session=session, worker=worker, by=hr, method="list")
    scores = {"usefulness": 5, "clarity": 4, "will_apply": 5}
    with pytest.raises(ValidationError):
        services.feedback_submit(token="not-a-token", **scores)
    with pytest.raises(ValidationError):
        services.feedback_submit(
            token=attendance.feedback_token, usefulness=6, clarity=4, will_apply=5
        )
    services.feedback_submit(token=attendance.feedback_token, comment=" 很有用 ", **scores)
    with pytest.raises(ValidationError):
        services.feedback_submit(token=attendance.feedback_token, **scores)
    assert SessionFeedback.objects.get().comment == "很有用"


class TestViews:
    def test_a_childcare_worker_sees_nothing_of_training(self, client, carer, site_lead):
        for user in (carer, site_lead):
            client.force_login(user)
            assert client.get(reverse("training:session_list")).status_code == 403

    def test_a_coordinator_reads_sessions_but_hr_manages_them(self, client, coordinator, factory_a):
        session = TrainingSessionFactory(factory=factory_a)
        client.force_login(coordinator)
        assert (
            client.get(
                reverse("training:session_detail", kwargs={"session": session.key})
            ).status_code
            == 200
        )
        assert (
            client.get(reverse("training:invite", kwargs={"session": session.key})).status_code
            == 403
        )

    def test_hr_schedules_a_session_and_bad_times_are_explained(self, client, hr):
        client.force_login(hr)
        course = TrainingSessionFactory.build().course
        course.save()
        data = {
            "course": course.pk,
            "starts_at": "2030-05-01T19:00",
            "ends_at": "2030-05-01T18:00",
            "place": "培训室",
            "trainer": "刘老师",
            "capacity": "20",
        }
        response = client.post(reverse("training:session_create"), data)
        assert "培训结束时间早于开始时间" in response.content.decode()
        data["ends_at"] = "2030-05-01T20:30"
        response = client.post(reverse("training:session_create"), data)
        assert response.status_code == 302
        assert hr.factory.training_sessions.get().capacity == 20

    def test_the_invite_page_offers_parents_of_left_behind_children_first(
        self, client, hr, factory_a
    ):
        session = TrainingSessionFactory(factory=factory_a)
        village = WorkerFactory(family=FamilyFactory(factory=factory_a), name="王留守")
        ChildFactory(family=village.family, lives_with="grandparents_village")
        WorkerFactory(family=None, factory=factory_a, name="李单身")
        client.force_login(hr)
        page = client.get(
            reverse("training:invite", kwargs={"session": session.key})
        ).content.decode()
        assert "王留守" in page and "李单身" not in page
        everyone = client.get(
            reverse("training:invite", kwargs={"session": session.key}), {"all": "1"}
        )
        assert "李单身" in everyone.content.decode()

    def test_the_kiosk_questionnaire_needs_no_login_and_takes_one_answer(
        self, client, hr, factory_a
    ):
        session = TrainingSessionFactory(factory=factory_a, starts_at=timezone.now())
        worker = WorkerFactory(family=FamilyFactory(factory=factory_a))
        attendance = services.sign_in(session=session, worker=worker, by=hr, method="list")
        url = reverse("training:feedback", kwargs={"token": attendance.feedback_token})
        assert client.get(url).status_code == 200
        answers = {"usefulness": "5", "clarity": "4", "will_apply": "5", "comment": ""}
        assert "谢谢" in client.post(url, answers).content.decode()
        client.post(url, answers)
        assert SessionFeedback.objects.count() == 1
        assert (
            client.get(
                reverse("training:feedback", kwargs={"token": "a-guess-of-22-letters"})
            ).status_code
            == 404
        )

    def test_the_family_page_lists_the_sessions_a_worker_attended(self, client, hr, factory_a):
        session = TrainingSessionFactory(factory=factory_a, starts_at=timezone.now())
        worker = WorkerFactory(family=FamilyFactory(factory=factory_a))
        services.sign_in(session=session, worker=worker, by=hr, method="list")
        client.force_login(hr)
        page = client.get(worker.family.get_absolute_url()).content.decode()
        assert session.course.name in page
