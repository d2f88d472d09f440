"""Invitations: a one-time link, valid 72 hours, to choose one's password; every other use
of the link gets a page saying what happened and what to do."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ffs_portal import tasks
from ffs_portal.models import AuditEntry, Invitation, User

NEW_PASSWORD = {"new_password1": "a-long-passphrase-7", "new_password2": "a-long-passphrase-7"}


@pytest.fixture
def invite(client, coordinator, factory_a, celery_eager, django_capture_on_commit_callbacks):
    """The coordinator invites an HR user of factory A; returns the link in the e-mail."""

    def send(username="wang.hr", email="wang.hr@example.com"):
        client.force_login(coordinator)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("people:add"),
                {
                    "last_name": "王",
                    "first_name": "芳",
                    "username": username,
                    "email": email,
                    "language": "zh-hans",
                    "role": "hr",
                    "factory": factory_a.pk,
                    "how": "invite",
                },
            )
        assert response.status_code == 302
        client.logout()
        message = mail.outbox[-1]
        return re.search(r"https?://[^/\s]+(/accounts/welcome/\S+/)", message.body).group(1)

    return send


def test_the_invitation_email_is_in_the_persons_language_with_the_link(invite, coordinator):
    link = invite()
    [message] = mail.outbox
    assert message.to == ["wang.hr@example.com"]
    assert "设置密码" in message.subject
    assert "wang.hr" in message.body and "72" not in message.subject
    html = message.alternatives[0][0]
    assert link in html
    invitation = Invitation.objects.get(user__username="wang.hr")
    # Only a digest of the link's secret is kept.
    assert link.rstrip("/").rsplit("/", 1)[1] not in str(invitation.token_hash)
    assert invitation.created_by == coordinator


def test_the_link_sets_the_password_once_and_signs_in(invite, factory_a):
    link = invite()
    browser = Client()
    page = browser.get(link, follow=True)
    # The secret leaves the address at once.
    assert page.redirect_chain[0][0] == reverse("invitation_accept")
    assert "wang.hr" in page.content.decode()
    done = browser.post(reverse("invitation_accept"), NEW_PASSWORD, follow=True)
    assert done.redirect_chain[-1][0] == reverse("enrollment:family_list")
    user = User.objects.get(username="wang.hr")
    assert user.check_password(NEW_PASSWORD["new_password1"])
    assert AuditEntry.objects.filter(person=user, action="account.invitation_used").exists()

    again = Client().get(link, follow=True)
    assert again.status_code == 410
    assert "只能使用一次" in again.content.decode()


def test_a_link_older_than_72_hours_says_so(invite):
    link = invite()
    Invitation.objects.update(
        created_at=timezone.now() - timedelta(hours=73),
        expires_at=timezone.now() - timedelta(hours=1),
    )
    page = Client().get(link, follow=True)
    assert page.status_code == 410
    assert "72 小时" in page.content.decode()
    assert Client().post(reverse("invitation_accept"), NEW_PASSWORD).status_code == 404
    assert not User.objects.get(username="wang.hr").has_usable_password()


def test_a_newer_invitation_replaces_the_older_link(invite, client, coordinator):
    old_link = invite()
    user = User.objects.get(username="wang.hr")
    client.force_login(coordinator)
    client.post(reverse("people:act", kwargs={"person": user.pk}), {"action": "invite"})
    # The worker sends it once the request is committed.
    tasks.send_invitation(Invitation.objects.get(user=user, withdrawn_at__isnull=True).pk)
    new_link = re.search(r"(/accounts/welcome/\S+/)", mail.outbox[-1].body).group(1)
    assert new_link != old_link
    replaced = Client().get(old_link, follow=True)
    assert replaced.status_code == 410
    assert "新的邀请" in replaced.content.decode()
    assert Client().get(new_link, follow=True).status_code == 200


def test_an_unknown_link_is_a_clear_404(db):
    page = Client().get(reverse("invitation", kwargs={"token": "x" * 43}), follow=True)
    assert page.status_code == 404
    assert "邀请" in page.content.decode()


def test_a_switched_off_persons_invitation_is_withdrawn_and_sends_nothing(
    invite, client, coordinator
):
    link = invite()
    user = User.objects.get(username="wang.hr")
    client.force_login(coordinator)
    client.post(reverse("people:act", kwargs={"person": user.pk}), {"action": "switch_off"})
    assert Client().get(link, follow=True).status_code == 410
    sent = len(mail.outbox)
    assert tasks.send_invitation(Invitation.objects.get(user=user).pk) is False
    assert len(mail.outbox) == sent


def test_an_invitation_needs_an_address(client, coordinator, factory_a):
    client.force_login(coordinator)
    response = client.post(
        reverse("people:add"),
        {
            "last_name": "王",
            "username": "wang.hr",
            "email": "",
            "language": "zh-hans",
            "role": "hr",
            "factory": factory_a.pk,
            "how": "invite",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert not User.objects.filter(username="wang.hr").exists()


def test_an_invited_coordinator_sets_up_two_factor_after_the_password(
    client, administrator, factory_a, celery_eager, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("people:add"),
            {
                "last_name": "Lee",
                "first_name": "May",
                "username": "may.lee",
                "email": "may.lee@example.com",
                "language": "en",
                "role": "coordinator",
                "factories": [factory_a.pk],
                "how": "invite",
            },
        )
    link = re.search(r"(/accounts/welcome/\S+/)", mail.outbox[-1].body).group(1)
    browser = Client()
    browser.get(link)
    response = browser.post(reverse("invitation_accept"), NEW_PASSWORD)
    assert response["Location"] == reverse("two_factor_setup")
    assert "_auth_user_id" not in browser.session
