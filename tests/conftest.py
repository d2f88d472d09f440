import os
import time
from pathlib import Path

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from ffs_portal.models import Role
from tests import template_database
from tests.browser import accessibility
from tests.factories import (
    FactoryFactory,
    SiteFactory,
    TermFactory,
    UserFactory,
    with_authenticator,
)

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the
# tests themselves around it are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEBIAN_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these, Chromium keeps calling home and floods a closed network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"
SCRATCH = Path(__file__).resolve().parent.parent / "var" / "test-db"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On SQLite, test in a file rather than in shared-cache memory: concurrent requests from
    several threads then wait for each other (busy timeout) as they do in the embedded
    default, instead of failing with "table is locked"."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        SCRATCH.mkdir(parents=True, exist_ok=True)
        database.setdefault("TEST", {})["NAME"] = str(SCRATCH / f"test-{os.getpid()}.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_modify_db_settings
):
    """pytest-django's, with the test database copied from a template on PostgreSQL
    (tests/template_database.py): migrated once rather than once per process."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        cloned = template_database.clone_the_template(connection)
        # On a copy, migrate only finds every migration applied.
        config = setup_databases(
            verbosity=verbosity,
            interactive=False,
            keepdb=cloned,
            aliases=aliases,
            serialized_aliases=serialized_aliases,
        )
    yield
    with django_db_blocker.unblock():
        try:
            teardown_databases(config, verbosity=verbosity)
        except Exception as error:
            # As pytest-django does: a live server's thread still connected is no failure.
            request.node.warn(pytest.PytestWarning(f"The test database stays: {error!r}"))


@pytest.fixture(scope="session", autouse=True)
def _test_settings(django_test_environment):
    with override_settings(
        # Tests run without `collectstatic`: serve static files by name from their sources.
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        # A password hashed with Django's PBKDF2 costs half a second here, and the fixtures
        # make a dozen users per test; what is tested is who may sign in, not the hash.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        yield


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _local_cache(settings):
    """Throttle counters start from nothing in each test, in its own process's memory rather
    than in a Redis that other tests and earlier runs have counted in."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


def _busy_database_sessions() -> int:
    """Other sessions on this test database that are running a query or hold a transaction
    open: the live server's threads still answering a browser's refresh or a tablet's replay."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state <> 'idle'"
        )
        return cursor.fetchone()[0]


@pytest.fixture(autouse=True)
def _live_requests_finish(request, _django_db_marker):
    """After a browser test has closed its pages, wait for the queries its requests left
    running before the database is emptied for the next test (else the emptying can deadlock)."""
    yield
    if "live_server" not in request.fixturenames:
        return
    # Quiet three times in a row: a request the closing page sent a moment ago may not have
    # reached the database at the first look.
    deadline = time.monotonic() + 10
    quiet = 0
    while quiet < 3 and time.monotonic() < deadline:
        quiet = 0 if _busy_database_sessions() else quiet + 1
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _force_login_passes_two_factor(monkeypatch):
    """``client.force_login`` stands for a whole sign-in, the second factor included: a test
    that means to try the second step signs in through the pages instead."""
    from django.test.client import ClientMixin

    from ffs_portal import two_factor

    signed_in = ClientMixin._login

    def _login(self, user, backend=None):
        signed_in(self, user, backend)
        session = self.session
        two_factor.mark_passed(session)
        session.save()

    monkeypatch.setattr(ClientMixin, "_login", _login)


@pytest.fixture
def redis_url() -> str:
    """The real Redis the test needs: CI has it, and fails without it; elsewhere the test is
    skipped without it."""
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI runs the tests with Redis (REDIS_URL)")
        pytest.skip("needs Redis (REDIS_URL); CI has it")
    return url


@pytest.fixture
def celery_eager():
    """Tasks run in the test's process as they are queued, instead of going to a broker."""
    from ffs_portal.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, playwright):
    if Path(DEBIAN_CHROMIUM).exists():
        return {
            **browser_type_launch_args,
            "executable_path": DEBIAN_CHROMIUM,
            "args": CHROMIUM_ARGS,
        }
    if Path(playwright.chromium.executable_path).exists():
        return {**browser_type_launch_args, "args": CHROMIUM_ARGS}
    pytest.fail(
        "No Chromium for the browser tests: install Debian's package "
        "(apt-get install chromium) or Playwright's own (python -m playwright install chromium).",
        pytrace=False,
    )


ACCESSIBILITY = pytest.StashKey[accessibility.Checker]()


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # the controller, or a run without workers
        accessibility.clear_log()


def pytest_terminal_summary(terminalreporter, config):
    if not hasattr(config, "workerinput"):
        summary = accessibility.summary()
        if summary:
            terminalreporter.write_line(summary)


# Before _content_security_policy_holds, which opens the page: every context a browser test
# makes, pytest-playwright's or its own, is watched from its start.
@pytest.fixture(autouse=True)
def _accessible_pages(request, monkeypatch):
    """Every page a browser test opens is checked with axe-core and, on a tablet, for touch
    targets (tests/browser/accessibility.py); a serious or critical violation fails the
    test."""
    if "browser" not in request.fixturenames:
        yield
        return
    from playwright.sync_api import Browser

    checker = accessibility.Checker(
        test=request.node.nodeid, on_the_way=request.node.get_closest_marker("alone") is None
    )
    accessibility.install(checker, monkeypatch)
    new_context, new_page = Browser.new_context, Browser.new_page

    def watched_context(browser, *args, **kwargs):
        context = new_context(browser, *args, **kwargs)
        checker.watch(context)
        return context

    def watched_page(browser, *args, **kwargs):
        page = new_page(browser, *args, **kwargs)
        checker.watch(page.context)
        return page

    monkeypatch.setattr(Browser, "new_context", watched_context)
    monkeypatch.setattr(Browser, "new_page", watched_page)
    request.node.stash[ACCESSIBILITY] = checker
    yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After the test's own steps, the pages it left open are checked, so that a violation
    fails the test itself."""
    checker = item.stash.get(ACCESSIBILITY, None)
    try:
        result = yield
    except BaseException:
        if checker is not None:
            checker.finished = True
        raise
    if checker is not None:
        checker.finish()
    return result


@pytest.fixture(autouse=True)
def _content_security_policy_holds(request):
    """Every page a browser test opens keeps to the Content-Security-Policy: no inline
    script or style, nothing from outside the portal. A refusal fails the test."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    refused = []

    def watch(message):
        if "Content Security Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", watch)
    yield
    assert refused == [], "\n".join(refused)


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot (of ``page``, or of another page given) under
    var/screenshots/ and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str, of=None) -> Path:
        shown = of or page
        path = SCREENSHOTS / f"{name}.png"
        # From the top, so that a sticky header is drawn where the user sees it.
        shown.evaluate("window.scrollTo(0, 0)")
        shown.screenshot(path=str(path), full_page=True)
        return path

    return take


# One factory and site of ours, and another factory whose users are outsiders to it.


@pytest.fixture
def factory_a(db):
    return FactoryFactory(code="dg-xinghe", name="东莞星河玩具厂")


@pytest.fixture
def site_a(factory_a):
    return SiteFactory(factory=factory_a, name="星河暑期家庭友好空间")


@pytest.fixture
def term_a(site_a):
    return TermFactory(site=site_a, name="2026年暑期")


@pytest.fixture
def factory_b(db):
    return FactoryFactory(code="sz-tongle", name="深圳童乐玩具有限公司", city="深圳")


@pytest.fixture
def site_b(factory_b):
    return SiteFactory(factory=factory_b, name="童乐课后中心", kind="asc")


@pytest.fixture
def term_b(site_b):
    return TermFactory(site=site_b, name="2026–2027学年")


@pytest.fixture
def hr(factory_a):
    return UserFactory(username="hr", role=Role.HR, factory=factory_a)


@pytest.fixture
def carer(site_a):
    return UserFactory(username="carer", role=Role.CHILDCARE, sites=[site_a])


@pytest.fixture
def site_lead(site_a):
    return UserFactory(username="lead", role=Role.SITE_LEAD, sites=[site_a])


@pytest.fixture
def coordinator(factory_a):
    """A coordinator of factory A, with an authenticator app (``tests.factories.code_for``)."""
    return with_authenticator(
        UserFactory(username="coordinator", role=Role.COORDINATOR, factories=[factory_a])
    )


@pytest.fixture
def administrator(db):
    return with_authenticator(
        UserFactory(username="administrator", role=Role.ADMIN, is_staff=True, is_superuser=True)
    )


@pytest.fixture
def sponsor_a(factory_a):
    """A sponsor of factory A's summer space this year and last year."""
    from ffs_portal.outcomes.models import Sponsor, Sponsorship

    sponsor = Sponsor.objects.create(name="乐高基金会 LEGO Foundation")
    year = timezone.localdate().year
    for y in (year, year - 1):
        Sponsorship.objects.create(sponsor=sponsor, factory=factory_a, program="ffs", year=y)
    return sponsor


@pytest.fixture
def sponsor_b(factory_b):
    from ffs_portal.outcomes.models import Sponsor, Sponsorship

    sponsor = Sponsor.objects.create(name="Target")
    Sponsorship.objects.create(
        sponsor=sponsor, factory=factory_b, program="asc", year=timezone.localdate().year
    )
    return sponsor


@pytest.fixture
def sponsor_user(sponsor_a):
    return UserFactory(username="sponsor", role=Role.SPONSOR, sponsor=sponsor_a)


@pytest.fixture
def outsiders(factory_b, site_b, sponsor_b):
    """A user of each role who works for the other factory (or sponsors it)."""
    return {
        Role.HR: UserFactory(username="hr-other", role=Role.HR, factory=factory_b),
        Role.CHILDCARE: UserFactory(username="carer-other", role=Role.CHILDCARE, sites=[site_b]),
        Role.SITE_LEAD: UserFactory(username="lead-other", role=Role.SITE_LEAD, sites=[site_b]),
        Role.COORDINATOR: UserFactory(
            username="coordinator-other", role=Role.COORDINATOR, factories=[factory_b]
        ),
        Role.SPONSOR: UserFactory(username="sponsor-other", role=Role.SPONSOR, sponsor=sponsor_b),
    }


@pytest.fixture
def insiders(hr, carer, site_lead, coordinator, sponsor_user):
    return {
        Role.HR: hr,
        Role.CHILDCARE: carer,
        Role.SITE_LEAD: site_lead,
        Role.COORDINATOR: coordinator,
        Role.SPONSOR: sponsor_user,
    }


# The shared tablet: a childcare worker with a PIN, and a registered tablet of site A.

PIN = "2580"


@pytest.fixture
def worker(site_a):
    from staff import services as staff_services

    user = UserFactory(username="zhang", first_name="敏", last_name="张", sites=[site_a])
    staff_services.pin_set(profile=staff_services.profile_for(user), pin=PIN, by=None)
    return user


@pytest.fixture
def tablet(site_a):
    from attendance.tablet.models import Tablet

    return Tablet.objects.create(site=site_a, name="小班 平板")


@pytest.fixture(autouse=True)
def _fresh_rendered_boards():
    """Each test starts with no board rendered: sites of earlier tests may have had the same
    id and version."""
    from attendance import board_cache

    board_cache.clear()
