"""The parents' page: a signed link for one guardian; tampered, expired or revoked links show
nothing; the parent reports an absence and names a delegate."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse

from attendance import services
from attendance.models import AbsenceReason, AttendanceStatus, PickupDelegate
from enrollment.training import services as training
from ffs_portal.lib import clock
from ffs_portal.notices import services as notices
from ffs_portal.notices.models import Notice, NoticeKind
from ffs_portal.outcomes.models import ParentSurvey, SurveyMethod
from tests.factories import TermFactory, TrainingSessionFactory, enrolled_child

pytestmark = pytest.mark.django_db


def token_of(url: str) -> str:
    return re.search(r"/parents/([^/]+)/", url).group(1)


@pytest.fixture
def link(parent):
    return notices.parent_link(parent)


def test_the_page_shows_my_children_today(client, link, checked_in, site_a, carer, grandma):
    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    response = client.get(link)
    assert response.status_code == 200
    page = response.content.decode()
    assert "王小明" in page and "李秀英" in page and "已接走" in page


def test_another_familys_child_is_not_shown(client, link, term_a, checked_in):
    other = enrolled_child(term_a, name="赵小红")
    assert "赵小红" not in client.get(link).content.decode()
    response = client.post(
        reverse("notices:absence", kwargs={"token": token_of(link)}),
        {"child": other.key, "day": clock.today().isoformat()},
    )
    assert response.status_code == 400
    assert not other.attendance.exists()


def test_a_tampered_link_shows_nothing(client, link, checked_in):
    token = token_of(link)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(reverse("notices:today", kwargs={"token": tampered}))
    assert response.status_code == 404
    assert "王小明" not in response.content.decode()
    assert "此链接无法使用" in response.content.decode()


def test_an_expired_link_shows_nothing(client, link, checked_in, monkeypatch):
    later = __import__("time").time() + timedelta(days=31).total_seconds()
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = client.get(link)
    assert response.status_code == 404 and "王小明" not in response.content.decode()


def test_a_revoked_link_shows_nothing(client, link, parent, checked_in):
    notices.revoke_links(guardian=parent, by=None)
    response = client.get(link)
    assert response.status_code == 404 and "王小明" not in response.content.decode()
    # A new message carries a new link that works.
    assert client.get(notices.parent_link(parent)).status_code == 200


def test_the_parent_reports_tomorrows_absence(client, link, child, term_a):
    tomorrow = clock.today() + timedelta(days=1)
    term_a.site.opening_hours.update_or_create(
        weekday=tomorrow.weekday(), defaults={"opens": "07:30", "closes": "18:00"}
    )
    response = client.post(
        reverse("notices:absence", kwargs={"token": token_of(link)}),
        {"child": child.key, "day": tomorrow.isoformat(), "note": "回老家"},
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    record = child.attendance.get(day=tomorrow)
    assert record.status == AttendanceStatus.ABSENT
    assert record.absence_reason == AbsenceReason.PARENT


def test_a_past_day_cannot_be_reported(client, link, child):
    response = client.post(
        reverse("notices:absence", kwargs={"token": token_of(link)}),
        {"child": child.key, "day": (clock.today() - timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 400 and not child.attendance.exists()


def test_a_delegate_collects_with_the_one_time_code_once(
    client, link, checked_in, site_a, carer, settings
):
    response = client.post(
        reverse("notices:delegate", kwargs={"token": token_of(link)}),
        {"child": checked_in.key, "name": "陈阿姨", "relation": "邻居", "mobile": "13912345678"},
    )
    assert response.status_code == 200
    code = re.search(r"data-delegate-code>(\d{6})<", response.content.decode()).group(1)
    delegate = PickupDelegate.objects.get()
    assert code not in delegate.code_hash
    sent = Notice.objects.get(kind=NoticeKind.DELEGATE_CODE)
    assert sent.mobile == "13912345678" and code in sent.body
    # Delivered, the code is in the delegate's message and no longer in the outbox.
    assert notices.deliver(sent.pk)
    sent.refresh_from_db()
    assert code not in sent.body and code not in sent.params and sent.status == "sent"
    (message,) = settings.NOTICE_FILE_PATH.iterdir()
    assert code in message.read_text()
    wrong = "000000" if code != "000000" else "111111"
    refused = services.check_out_to_delegate(
        site=site_a, child=checked_in, delegate_key=delegate.key, code=wrong, by=carer
    )
    assert refused.refusal is not None and not refused.changed
    result = services.check_out_to_delegate(
        site=site_a, child=checked_in, delegate_key=delegate.key, code=code, by=carer
    )
    assert result.changed and result.record.collected_by_name == "陈阿姨"
    assert result.record.pickup_code_checked
    assert Notice.objects.filter(kind=NoticeKind.COLLECTED).exists()


def test_a_delegate_needs_a_mainland_mobile(client, link, checked_in):
    response = client.post(
        reverse("notices:delegate", kwargs={"token": token_of(link)}),
        {"child": checked_in.key, "name": "陈阿姨", "relation": "邻居", "mobile": "12345"},
    )
    assert response.status_code == 400 and not PickupDelegate.objects.exists()


def test_the_tablet_asks_the_delegate_for_the_code(client, link, checked_in, site_a, carer):
    from django.test import Client

    response = client.post(
        reverse("notices:delegate", kwargs={"token": token_of(link)}),
        {"child": checked_in.key, "name": "陈阿姨", "relation": "邻居", "mobile": "13912345678"},
    )
    code = re.search(r"data-delegate-code>(\d{6})<", response.content.decode()).group(1)
    delegate = PickupDelegate.objects.get()
    board = Client()
    board.force_login(carer)
    url = reverse("attendance:check_out", kwargs={"site": site_a.pk, "child": checked_in.key})
    answer = board.post(url, {"collector": f"delegate:{delegate.key}", "delegate_code": code})
    assert answer.status_code == 200
    assert checked_in.attendance.get().status == AttendanceStatus.COLLECTED
    assert checked_in.attendance.get().collected_by_name == "陈阿姨"


def test_hr_sees_the_messages_and_withdraws_the_links(
    client, hr, link, checked_in, site_a, carer, grandma
):
    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    client.force_login(hr)
    family = checked_in.family
    page = client.get(reverse("enrollment:family_detail", kwargs={"family": family.key}))
    assert "孩子已接走" in page.content.decode()
    response = client.post(reverse("enrollment:parent_links_revoke", kwargs={"family": family.key}))
    assert response.status_code == 302
    client.logout()
    assert client.get(link).status_code == 404


def test_another_factorys_hr_cannot_withdraw_the_links(client, link, checked_in, outsiders):
    from ffs_portal.models import Role

    client.force_login(outsiders[Role.HR])
    url = reverse("enrollment:parent_links_revoke", kwargs={"family": checked_in.family.key})
    assert client.post(url).status_code == 404
    client.logout()
    assert client.get(link).status_code == 200


def test_the_site_lead_sees_the_sites_messages_and_what_failed(
    client, site_lead, carer, checked_in, site_a, grandma, django_assert_max_num_queries
):
    services.check_out(site=site_a, child=checked_in, collector=grandma, by=carer)
    Notice.objects.update(status="failed", last_error="LimitExceeded")
    client.force_login(site_lead)
    url = reverse("notices:site_messages", kwargs={"site": site_a.pk})
    with django_assert_max_num_queries(20):
        page = client.get(url).content.decode()
    assert "王小明" in page and "LimitExceeded" in page and "失败 1" in page
    client.force_login(carer)
    assert client.get(url).status_code == 403


def test_the_parent_reads_an_incident_and_says_so(client, link, checked_in, site_a, carer):
    incident = services.report_incident(
        site=site_a,
        child=checked_in,
        by=carer,
        kind="injury",
        occurred_at=clock.now(),
        description="滑梯上擦伤膝盖",
        action_taken="清洗并贴了创可贴",
    )
    page = client.get(link).content.decode()
    assert "滑梯上擦伤膝盖" in page and "清洗并贴了创可贴" in page
    seq = site_a.board_seq
    url = reverse("notices:acknowledge", kwargs={"token": token_of(link)})
    assert client.post(url, {"incident": incident.key}).status_code == 200
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    assert incident.acknowledged_by_name == checked_in.family.workers.get().name
    site_a.refresh_from_db()
    assert site_a.board_seq > seq  # the tablets redraw the tile
    # The hand-over no longer asks the collecting adult to acknowledge it.
    parent = checked_in.family.workers.get()
    assert services.check_out(site=site_a, child=checked_in, collector=parent, by=carer).changed


def test_another_familys_incident_cannot_be_acknowledged(client, link, site_a, carer, term_a):
    other = enrolled_child(term_a, name="赵小红")
    services.check_in(site=site_a, child=other, by=carer)
    incident = services.report_incident(
        site=site_a,
        child=other,
        by=carer,
        kind="injury",
        occurred_at=clock.now(),
        description="摔倒",
        action_taken="冰敷",
    )
    url = reverse("notices:acknowledge", kwargs={"token": token_of(link)})
    assert client.post(url, {"incident": incident.key}).status_code == 400
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


@pytest.fixture
def ending_term(site_a):
    """A term in its last week: the parents' survey is open."""
    today = clock.today()
    return TermFactory(
        site=site_a, starts_on=today - timedelta(days=50), ends_on=today + timedelta(days=5)
    )


def test_the_parent_answers_the_survey_once_from_the_page(client, ending_term):
    child = enrolled_child(ending_term)
    link = notices.parent_link(child.family.workers.get())
    url = reverse("notices:survey", kwargs={"token": token_of(link)})
    assert "score-choices" in client.get(link).content.decode()
    answers = {"term": ending_term.pk, "safe": 5, "enjoyed": 4, "informed": 4, "work": 5}
    missing = client.post(url, answers)
    assert missing.status_code == 400 and "请选择 1 到 5 之间的答案。" in missing.content.decode()
    assert not ParentSurvey.objects.filter(answered_at__isnull=False).exists()
    assert client.post(url, {**answers, "overall": 5, "comment": "谢谢老师"}).status_code == 200
    survey = ParentSurvey.objects.get(family=child.family, term=ending_term)
    assert survey.method == SurveyMethod.PARENT_PAGE and survey.overall == 5
    # Answered: the page stops asking, and a second answer is refused.
    assert "score-choices" not in client.get(link).content.decode()
    assert client.post(url, {**answers, "overall": 1}).status_code == 400
    survey.refresh_from_db()
    assert survey.overall == 5


def test_a_survey_not_open_cannot_be_answered(client, link, term_a):
    url = reverse("notices:survey", kwargs={"token": token_of(link)})
    scores = dict.fromkeys(["safe", "enjoyed", "informed", "work", "overall"], 3)
    assert client.post(url, {"term": term_a.pk, **scores}).status_code == 400
    assert not ParentSurvey.objects.exists()


def test_an_invitation_to_training_is_a_message_and_on_the_page(client, link, parent, hr):
    session = TrainingSessionFactory(factory=parent.factory, place="工会活动室")
    training.invite(session=session, workers=[parent], by=hr)
    notice = Notice.objects.get(kind=NoticeKind.TRAINING)
    assert notice.guardian == parent and notice.status == "queued"
    assert session.course.name in notice.body and "工会活动室" in notice.body
    assert "/parents/" in notice.body
    page = client.get(link).content.decode()
    assert session.course.name in page and "工会活动室" in page
