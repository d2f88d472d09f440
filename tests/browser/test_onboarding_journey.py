"""A new factory on-boarded end to end in the browser: the coordinator signs in with two-factor,
adds the factory and its site, invites the factory's HR; HR opens the e-mail the portal wrote
(the file e-mail backend, as in the embedded default), chooses a password and registers a
family. In Chinese and in English, on a laptop and on a smaller screen."""

import email
from email import policy

import pytest
from playwright.sync_api import expect

from enrollment.models import Factory, Family, Site
from ffs_portal.models import Invitation, Role, User
from tests.conftest import SCREENSHOTS
from tests.factories import TEST_PASSWORD, UserFactory, code_for, with_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "zh-hans": {"families": "家庭", "invited": "邀请邮件正在发往", "welcome": "欢迎使用"},
    "en": {"families": "Families", "invited": "an invitation is on its way", "welcome": "Welcome"},
}


def link_in_the_mail(folder, address="wang.fang@example.com") -> str:
    """The invitation link of the one e-mail the portal wrote to ``folder``."""
    [written] = list(folder.glob("*.log"))
    message = email.message_from_bytes(written.read_bytes(), policy=policy.default)
    assert address in message["To"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    [link] = [word for word in body.split() if "/accounts/welcome/" in word]
    return link


def watch_the_policy(page, refused: list) -> None:
    page.on(
        "console",
        lambda message: (
            refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )


def submit(page) -> None:
    page.locator("main form [type=submit]").last.click()


def test_a_coordinator_onboards_a_new_factory_and_its_hr_registers_a_family(
    live_server, page, browser, request, screenshot, settings, tmp_path, celery_eager
):
    """The whole journey in Chinese, on a smaller screen; then its screens in English on a
    laptop (english_screens)."""
    language, viewport = "zh-hans", (1024, 768)
    mail_folder = tmp_path / "mail"
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = mail_folder
    settings.PORTAL_URL = live_server.url
    width, height = viewport
    shot = f"{language}-{width}x{height}"
    words = WORDS[language]
    coordinator = with_authenticator(
        UserFactory(
            username="lin.mei",
            first_name="Mei",
            last_name="Lin",
            role=Role.COORDINATOR,
            all_factories=True,
            language=language,
        )
    )
    page.set_viewport_size({"width": width, "height": height})

    # The coordinator signs in: password, then the code from the app.
    page.goto(f"{live_server.url}/accounts/login/")
    if language == "en":
        page.get_by_role("button", name="EN").click()
    page.locator("#id_username").fill("Lin.Mei")  # user names ignore case
    page.locator("#id_password").fill(TEST_PASSWORD)
    submit(page)
    expect(page).to_have_url(f"{live_server.url}/accounts/login/code/")
    page.locator("#id_code").fill(code_for(coordinator))
    screenshot(f"onboard-1-code-{shot}")
    submit(page)
    expect(page).to_have_url(f"{live_server.url}/dashboard/")

    # The factory and its site.
    page.locator("nav.portal-navbar a[href='/program/']").click()
    page.locator("main a[href='/program/factories/new/']").click()
    page.locator("#id_name").fill("惠州欢乐玩具厂")
    page.locator("#id_code").fill("hz-huanle")
    page.locator("#id_city").fill("惠州")
    page.locator("#id_province").select_option("guangdong")
    screenshot(f"onboard-2-factory-{shot}")
    submit(page)
    factory = Factory.objects.get(code="hz-huanle")
    card = page.locator("section.card", has_text="惠州欢乐玩具厂")
    card.locator(f"a[href='/program/factories/{factory.pk}/sites/new/']").click()
    page.locator("#id_name").fill("欢乐暑期家庭友好空间")
    page.locator("#id_kind").select_option("ffs")
    page.locator("#id_capacity").fill("50")
    page.locator("#id_min_age").fill("3")
    page.locator("#id_max_age").fill("14")
    page.locator("#id_address").fill("宿舍楼一楼")
    screenshot(f"onboard-3-site-{shot}")
    submit(page)
    expect(page.locator("section.card", has_text="惠州欢乐玩具厂")).to_contain_text(
        "欢乐暑期家庭友好空间"
    )
    assert Site.objects.filter(factory=factory).count() == 1

    # The factory's HR is invited by e-mail.
    page.locator("nav.portal-navbar a[href='/people/']").click()
    page.locator("main a[href='/people/new/']").click()
    page.locator("#id_last_name").fill("王")
    page.locator("#id_first_name").fill("芳")
    page.locator("#id_username").fill("wang.fang")
    page.locator("#id_email").fill("wang.fang@example.com")
    page.locator("#id_language").select_option(language)
    # The scope follows the role: sites for a childcare worker, a factory for HR.
    page.locator("#id_role").select_option("childcare")
    expect(page.locator("#id_factory")).to_be_hidden()
    expect(page.locator("#id_sites_0")).to_be_visible()
    page.locator("#id_role").select_option("hr")
    expect(page.locator("#id_factory")).to_be_visible()
    expect(page.locator("#id_sites_0")).to_be_hidden()
    page.locator("#id_factory").select_option(label="惠州欢乐玩具厂")
    expect(page.locator("#id_how_0")).to_be_checked()
    screenshot(f"onboard-4-invite-{shot}")
    submit(page)
    expect(page.locator(".alert-success")).to_contain_text(words["invited"])
    expect(page.locator("h1")).to_contain_text("王芳")
    screenshot(f"onboard-5-invited-{shot}")
    page.locator("nav.portal-navbar a[href='/people/']").click()
    expect(page.locator("main table")).to_contain_text("wang.fang")
    screenshot(f"onboard-5b-people-{shot}")
    hr = User.objects.get(username="wang.fang")
    assert (hr.role, hr.factory, hr.has_usable_password()) == (Role.HR, factory, False)

    # HR, on another computer, opens the link from the e-mail the portal wrote.
    link = link_in_the_mail(mail_folder)
    assert link.startswith(f"{live_server.url}/accounts/welcome/")
    refused = []
    hr_context = browser.new_context(viewport={"width": width, "height": height})
    # Closed at the end, so that its open connections do not keep the server's threads.
    request.addfinalizer(hr_context.close)
    hr_page = hr_context.new_page()
    watch_the_policy(hr_page, refused)
    hr_page.goto(link)
    expect(hr_page).to_have_url(f"{live_server.url}/accounts/welcome/")
    expect(hr_page.locator("h1")).to_contain_text(words["welcome"])
    expect(hr_page.locator("main")).to_contain_text("wang.fang")
    hr_page.locator("#id_new_password1").fill("huanle-renshi-2026")
    hr_page.locator("#id_new_password2").fill("huanle-renshi-2026")
    screenshot(f"onboard-6-password-{shot}", of=hr_page)
    submit(hr_page)
    expect(hr_page).to_have_url(f"{live_server.url}/families/")
    expect(hr_page.locator("h1")).to_have_text(words["families"])
    assert Invitation.objects.get(user=hr).used_at is not None

    # ... and registers a family of the new factory.
    hr_page.locator("main a[href='/families/new/']").click()
    hr_page.locator("#id_employee_no").fill("HL00001")
    hr_page.locator("#id_name").fill("李建国")
    hr_page.locator("#id_mobile").fill("13912340001")
    hr_page.locator("#id_department").fill("装配一线")
    hr_page.locator("#id_hukou_province").select_option("sichuan")
    screenshot(f"onboard-7-family-form-{shot}", of=hr_page)
    submit(hr_page)
    expect(hr_page.locator("h1")).to_contain_text("李建国")
    screenshot(f"onboard-8-family-{shot}", of=hr_page)
    family = Family.objects.get(workers__employee_no="HL00001")
    assert family.factory == factory

    # The link works once.
    hr_page.goto(link)
    expect(hr_page.locator("h1")).to_contain_text(
        "这个邀请链接已失效" if language == "zh-hans" else "no longer works"
    )
    screenshot(f"onboard-9-link-used-{shot}", of=hr_page)
    assert refused == [], "\n".join(refused)
    assert (SCREENSHOTS / f"onboard-8-family-{shot}.png").exists()

    settings.EMAIL_FILE_PATH = tmp_path / "mail-en"
    english_screens(live_server, browser, request, screenshot, page, tmp_path / "mail-en", refused)
    hr_english_screens(live_server, screenshot, hr, hr_page, family, link)
    assert refused == [], "\n".join(refused)


def english_screens(live_server, browser, request, screenshot, page, mail_folder, refused):
    """The coordinator, now reading English on a laptop, goes through the same pages and
    invites a second HR person, who opens her link."""
    words = WORDS["en"]
    shot = "en-1280x800"
    coordinator = User.objects.get(username="lin.mei")
    coordinator.language = "en"
    coordinator.save(update_fields=["language"])
    factory = Factory.objects.get(code="hz-huanle")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/program/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("section.card", has_text="惠州欢乐玩具厂")).to_contain_text(
        "欢乐暑期家庭友好空间"
    )
    page.locator("main a[href='/program/factories/new/']").click()
    expect(page.locator("#id_province")).to_be_visible()
    screenshot(f"onboard-2-factory-{shot}")
    page.goto(f"{live_server.url}/program/factories/{factory.pk}/sites/new/")
    expect(page.locator("#id_kind")).to_be_visible()
    screenshot(f"onboard-3-site-{shot}")

    page.locator("nav.portal-navbar a[href='/people/']").click()
    page.locator("main a[href='/people/new/']").click()
    page.locator("#id_last_name").fill("李")
    page.locator("#id_first_name").fill("娜")
    page.locator("#id_username").fill("li.na")
    page.locator("#id_email").fill("li.na@example.com")
    page.locator("#id_language").select_option("en")
    page.locator("#id_role").select_option("childcare")
    expect(page.locator("#id_factory")).to_be_hidden()
    page.locator("#id_role").select_option("hr")
    expect(page.locator("#id_factory")).to_be_visible()
    page.locator("#id_factory").select_option(label="惠州欢乐玩具厂")
    screenshot(f"onboard-4-invite-{shot}")
    submit(page)
    expect(page.locator(".alert-success")).to_contain_text(words["invited"])
    expect(page.locator("h1")).to_contain_text("李娜")
    screenshot(f"onboard-5-invited-{shot}")
    page.locator("nav.portal-navbar a[href='/people/']").click()
    expect(page.locator("main table")).to_contain_text("li.na")
    screenshot(f"onboard-5b-people-{shot}")

    link = link_in_the_mail(mail_folder, "li.na@example.com")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    request.addfinalizer(context.close)
    welcome = context.new_page()
    watch_the_policy(welcome, refused)
    welcome.goto(link)
    expect(welcome.locator("h1")).to_contain_text(words["welcome"])
    expect(welcome.locator("main")).to_contain_text("li.na")
    screenshot(f"onboard-6-password-{shot}", of=welcome)


def hr_english_screens(live_server, screenshot, hr, hr_page, family, used_link):
    """The first HR person's pages, now in English on a laptop."""
    shot = "en-1280x800"
    hr.language = "en"
    hr.save(update_fields=["language"])
    hr_page.set_viewport_size({"width": 1280, "height": 800})
    hr_page.goto(f"{live_server.url}/families/")
    expect(hr_page.locator("h1")).to_have_text(WORDS["en"]["families"])
    hr_page.locator("main a[href='/families/new/']").click()
    expect(hr_page.locator("#id_hukou_province")).to_be_visible()
    screenshot(f"onboard-7-family-form-{shot}", of=hr_page)
    hr_page.goto(f"{live_server.url}/families/{family.key}/")
    expect(hr_page.locator("h1")).to_contain_text("李建国")
    expect(hr_page.locator("html")).to_have_attribute("lang", "en")
    screenshot(f"onboard-8-family-{shot}", of=hr_page)
    hr_page.goto(used_link)
    expect(hr_page.locator("h1")).to_contain_text("no longer works")
    screenshot(f"onboard-9-link-used-{shot}", of=hr_page)
