"""A withdrawn consent stops processing across the portal: no message goes to the family,
the photo is hidden, and the child cannot be enrolled again."""

import pytest
from django.urls import reverse

from ffs_portal.lib import clock
from ffs_portal.notices import services as notices
from ffs_portal.notices.models import Notice, NoticeKind, NoticeStatus
from tests.factories import ChildFactory, EnrollmentFactory, enrolled_child, tiny_jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(term_a):
    """A child whose guardian agreed to care, photos and messages, with a sibling who stays."""
    child = enrolled_child(term_a, name="王小明")
    child.consents.update(covers_messages=True)
    child.photo.save("child.jpg", tiny_jpeg())
    EnrollmentFactory(child=ChildFactory(family=child.family), term=term_a)
    return child


@pytest.fixture
def withdrawn(client, hr, child):
    client.force_login(hr)
    consent = child.consents.get()
    url = reverse("enrollment:consent_withdraw", kwargs={"consent": consent.pk})
    assert client.post(url).status_code == 302
    child.refresh_from_db()
    return child


def test_no_message_goes_out_about_a_child_whose_consent_was_withdrawn(
    withdrawn, site_a, site_lead, messages_in_tmp
):
    written = notices.notify_guardians(
        kind=NoticeKind.INCIDENT, event="incident:1", child=withdrawn, site=site_a,
        person="受伤", at=clock.now(),
    )  # fmt: skip
    assert written and {n.status for n in written} == {NoticeStatus.SUPPRESSED}
    assert all("/parents/" not in n.body for n in written), "no link to the parents' page"
    notices.announce(site=site_a, text="台风停课", by=site_lead)
    # The sibling is still enrolled: the family hears the announcement, but nothing queued
    # names the withdrawn child, and nothing is sent about them.
    assert not Notice.objects.filter(child=withdrawn, status=NoticeStatus.QUEUED).exists()
    sent = [notices.deliver(n.pk) for n in Notice.objects.filter(child=withdrawn)]
    assert sent == [False] * len(sent)
    assert not messages_in_tmp.exists() or "王小明" not in "".join(
        p.read_text() for p in messages_in_tmp.rglob("*") if p.is_file()
    )


def test_the_photo_is_hidden_once_consent_is_withdrawn(client, withdrawn, child, hr):
    assert not withdrawn.photo, "the stored photo is deleted"
    # Even a photo left behind (restored from a backup, say) is not shown without consent.
    withdrawn.photo.save("again.jpg", tiny_jpeg())
    response = client.get(reverse("enrollment:child_photo", kwargs={"child": withdrawn.key}))
    assert response["Content-Type"] == "image/svg+xml", "the silhouette, not the photo"


def test_the_child_cannot_be_enrolled_again_without_a_new_consent(client, withdrawn, term_a):
    assert not withdrawn.enrollments.filter(status="enrolled").exists()
    url = reverse("enrollment:enroll", kwargs={"child": withdrawn.key})
    page = client.post(url, {"children": [withdrawn.pk], "term": term_a.pk})
    assert page.status_code == 200 and "还没有监护人同意书" in page.content.decode()
    assert not withdrawn.enrollments.filter(status__in=["enrolled", "waitlisted"]).exists()


@pytest.fixture
def messages_in_tmp(settings, tmp_path):
    settings.NOTICE_FILE_PATH = tmp_path / "messages"
    settings.NOTICE_BACKEND = "file"
    return settings.NOTICE_FILE_PATH
