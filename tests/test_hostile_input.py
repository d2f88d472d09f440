"""Regression tests for the findings of the penetration test: each section names the
finding it guards."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from attendance import digests, services
from staff import services as staff_services
from tests.factories import PickupPermissionFactory, UserFactory, enrolled_child

pytestmark = pytest.mark.django_db

MARKUP = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


# 1. Stored XSS through the daily e-mail's preview; no Content-Security-Policy.


@pytest.fixture
def planted(site_a, term_a, coordinator):
    """Markup in every field of factory A that reaches an e-mail."""
    site_a.name = f"星河{MARKUP}"
    site_a.save(update_fields=["name"])
    site_a.factory.name = f"东莞{MARKUP}"
    site_a.factory.save(update_fields=["name"])
    staff = UserFactory(role="childcare", sites=[site_a], last_name=MARKUP, first_name=MARKUP)
    staff_services.qualification_save(
        profile=staff_services.profile_for(staff),
        kind="first_aid",
        obtained_on=date(2025, 1, 1),
        expires_on=timezone.localdate() + timedelta(days=10),
        by=None,
    )
    child = enrolled_child(term_a, name=f"王{MARKUP}"[:50])
    PickupPermissionFactory(child=child, adult__name=f"李{MARKUP}"[:50])
    coordinator.email = "coordinator@example.com"
    coordinator.save(update_fields=["email"])
    return child


def test_markup_in_a_name_is_shown_as_text_in_the_e_mail_previews(client, coordinator, planted):
    client.force_login(coordinator)
    for name in ("attendance:digest_preview", "attendance:digest_preview_html"):
        html = client.get(reverse(name)).content.decode()
        assert MARKUP not in html, name
        assert ESCAPED in html, f"{name}: the planted names did not reach the e-mail"


def test_the_e_mail_frame_may_not_run_a_script(client, coordinator, planted):
    client.force_login(coordinator)
    page = client.get(reverse("attendance:digest_preview")).content.decode()
    assert "<iframe" in page and " sandbox" in page
    frame = client.get(reverse("attendance:digest_preview_html"))
    policy = frame["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy


def test_markup_in_names_is_text_in_the_still_checked_in_alert(site_a, carer, planted):
    services.check_in(site=site_a, child=planted, by=carer)
    closing = timezone.make_aware(datetime.combine(timezone.localdate(), time(18, 40)))
    assert digests.alert_still_checked_in(now=closing) == 1
    html = next(body for body, kind in mail.outbox[0].alternatives if kind == "text/html")
    assert MARKUP not in html and ESCAPED in html


def test_every_page_says_where_scripts_may_come_from(client, carer):
    client.force_login(carer)
    for response in (client.get(reverse("attendance:board")), client.get(reverse("login"))):
        policy = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert "camera=(self)" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]


def test_no_template_has_an_inline_script_or_handler():
    """The policy refuses them; the browser tests watch for refusals on the pages they
    open, this looks at every template, opened or not."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    found = []
    for path in root.glob("**/templates/**/*.html"):
        if ".venv" in path.parts or "node_modules" in path.parts or "emails" in path.parts:
            continue
        text = path.read_text()
        for pattern in (
            r"<script(?![^>]*\bsrc=)(?![^>]*application/json)",
            r"\son[a-z]+=\"",
            r"\sstyle=\"",
        ):
            if re.search(pattern, text):
                found.append(f"{path.relative_to(root)}: {pattern}")
    assert found == []


# 2. A 4.7 KB .xlsx declaring a million rows of 16,384 cells took the server down.


def with_dimension(data: bytes, ref: str, extra_cells: str = "") -> bytes:
    """The same workbook, its sheet declaring the size ``ref`` (and holding more cells)."""
    import io
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                content = re.sub(
                    rb'<dimension ref="[^"]+"/>', f'<dimension ref="{ref}"/>'.encode(), content
                )
                content = content.replace(b"</sheetData>", extra_cells.encode() + b"</sheetData>")
            target.writestr(info, content)
    return out.getvalue()


def peak_memory_of(function):
    import time
    import tracemalloc

    tracemalloc.start()
    started = time.monotonic()
    try:
        result = function()
    except Exception as error:  # noqa: BLE001 - the outcome is what is looked at
        result = error
    seconds = time.monotonic() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, seconds, peak


def test_a_sheet_declaring_a_million_rows_is_read_for_what_it_holds():
    from enrollment.roster import reading
    from tests import rosters

    bomb = with_dimension(rosters.xlsx([rosters.row()]), "A1:XFD1048576")
    assert len(bomb) < 10_000
    sheet, seconds, peak = peak_memory_of(lambda: reading.read_roster(bomb))
    assert not isinstance(sheet, Exception), sheet
    assert [r.cells["child_name"] for r in sheet.rows] == ["李小明"]
    assert seconds < 2 and peak < 30 * 1024 * 1024, (seconds, peak)


@pytest.mark.parametrize(
    "cell, says",
    [
        ('<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>', "10000 行"),
        ('<row r="3"><c r="XFD3"><v>1</v></c></row>', "XFD"),
    ],
    ids=["a-value-a-million-rows-down", "a-value-in-the-last-column"],
)
def test_a_value_far_outside_a_roster_is_refused_quickly(cell, says):
    from enrollment.roster import reading
    from tests import rosters

    data = with_dimension(rosters.xlsx([rosters.row()]), "A1:XFD1048576", cell)
    error, seconds, peak = peak_memory_of(lambda: reading.read_roster(data))
    assert isinstance(error, reading.RosterFileError)
    assert says in " ".join(error.messages)
    assert seconds < 2 and peak < 30 * 1024 * 1024, (seconds, peak)


# 7. Uploads: a 17.5 KB PNG unpacking into 828 MB; a 100 MB body read before it is refused.


def png_bomb(width=12_000, height=12_000) -> bytes:
    """A black 1-bit PNG of ``width`` × ``height``: a few KB that unpack into 144 million
    pixels (430 MB once turned into colour), under Pillow's own limit of 179 million."""
    import struct
    import zlib

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    packer = zlib.compressobj(9)
    line = b"\x00" * (1 + width // 8)
    body = b"".join(packer.compress(line) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_as_a_photo_without_unpacking_it():
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ffs_portal.photos import shrink_photo

    bomb = png_bomb()
    assert len(bomb) < 100_000
    upload = SimpleUploadedFile("photo.png", bomb, content_type="image/png")
    error, seconds, peak = peak_memory_of(lambda: shrink_photo(upload))
    assert isinstance(error, ValidationError)
    assert "50" in error.messages[0]
    assert seconds < 1 and peak < 10 * 1024 * 1024, (seconds, peak)


def test_a_body_larger_than_any_upload_is_refused_before_it_is_read(client, hr, settings):
    client.force_login(hr)
    response = client.generic(
        "POST",
        reverse("enrollment:roster_import"),
        b"x" * 1000,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(100 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert response["Connection"] == "close"
    assert "10 MB" in response.content.decode()


# 3. Kiosk pages ran inside a staff login: "Not now" led to the board; the sign-in desk listed
#    every worker with a surname and their employee numbers.


@pytest.fixture
def survey_on_tablet(client, carer, term_a):
    from ffs_portal.outcomes import services as outcome_services

    profile = staff_services.profile_for(carer)
    staff_services.pin_set(profile=profile, pin="4826", by=None)
    child = enrolled_child(term_a)
    survey = outcome_services.survey_for(family=child.family, term=term_a)
    client.force_login(carer)
    url = reverse("outcomes:survey_kiosk", kwargs={"survey": survey.token})
    assert client.get(url).status_code == 200
    return url, child


def test_a_survey_handed_over_keeps_the_tablet_on_the_survey(client, site_a, survey_on_tablet):
    import re

    url, child = survey_on_tablet
    for elsewhere in (
        reverse("attendance:board"),
        reverse("home"),
        reverse("attendance:child_sheet", kwargs={"site": site_a.pk, "child": child.key}),
        reverse("account_settings"),
    ):
        response = client.get(elsewhere)
        assert response.status_code == 302 and response["Location"] == url, elsewhere
    check_in = reverse("attendance:check_in", kwargs={"site": site_a.pk, "child": child.key})
    assert client.post(check_in, HTTP_HX_REQUEST="true").status_code == 403
    page = client.get(url).content.decode()
    links = re.findall(r'href="([^"]+)"', page)
    assert links and all(link.startswith("/static/") for link in links), links
    assert 'action="/kiosk/exit/"' in page


def test_the_staff_member_ends_the_kiosk_with_their_pin(client, survey_on_tablet):
    url, _child = survey_on_tablet
    wrong = client.post(reverse("kiosk_exit"), {"secret": "1111"}, follow=True)
    assert "不是" in wrong.content.decode() and "还剩 4 次" in wrong.content.decode()
    assert client.get(reverse("attendance:board"))["Location"] == url
    client.post(reverse("kiosk_exit"), {"secret": "4826"})
    assert client.get(reverse("attendance:board")).status_code == 200


def test_five_wrong_tries_sign_the_tablet_out(client, survey_on_tablet):
    for _ in range(5):
        client.post(reverse("kiosk_exit"), {"secret": "not-it"})
    response = client.get(reverse("attendance:board"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.fixture
def desk(client, hr, factory_a):
    from enrollment.training import services as training_services
    from tests.factories import FamilyFactory, TrainingSessionFactory, WorkerFactory

    session = TrainingSessionFactory(factory=factory_a)
    invited = WorkerFactory(
        family=FamilyFactory(factory=factory_a), name="王建华", employee_no="XH1001"
    )
    others = [
        WorkerFactory(family=FamilyFactory(factory=factory_a), name=name, employee_no=number)
        for name, number in (("王建国", "XH1002"), ("王芳", "XH1003"))
    ]
    training_services.invite(session=session, workers=[invited], by=hr)
    client.force_login(hr)
    url = reverse("training:sign_in_desk", kwargs={"session": session.key})
    assert client.get(url).status_code == 200
    return url, invited, others


def test_the_sign_in_desk_finds_only_invitees_by_two_characters_or_a_whole_number(client, desk):
    url, invited, others = desk

    def found(query):
        html = client.get(url, {"q": query}, HTTP_HX_REQUEST="true").content.decode()
        return {w.name for w in [invited, *others] if w.name in html}, html

    assert found("王")[0] == set()
    names, html = found("王建")
    assert names == {"王建华"}
    assert invited.employee_no not in html
    assert found("XH1002")[0] == set()  # not invited
    assert found("xh1001")[0] == {"王建华"}
    assert found("XH10")[0] == set()  # a part of a number finds nobody


def test_the_sign_in_desk_goes_nowhere_else(client, desk):
    url, _invited, _others = desk
    for elsewhere in (reverse("enrollment:family_list"), reverse("training:session_list")):
        assert client.get(elsewhere)["Location"] == url


# 4. A coordinator of one factory managed a sponsor shared with another: added a login (which
#    then read factory B's report), switched off its own login, renamed it.


@pytest.fixture
def shared_sponsor(sponsor_a, factory_b):
    """LEGO sponsors factory A's summer space and factory B's after-school centre."""
    sponsor_a.sponsorships.create(factory=factory_b, program="asc", year=timezone.localdate().year)
    return sponsor_a


def test_a_coordinator_of_one_factory_cannot_change_a_shared_sponsor(
    client, coordinator, shared_sponsor, sponsor_user
):
    from ffs_portal.models import User

    client.force_login(coordinator)
    pk = shared_sponsor.pk
    added = client.post(
        reverse("outcomes:sponsor_login_add", kwargs={"sponsor": pk}),
        {"name": "Eve", "username": "eve", "password": "a-long-pass-phrase"},
    )
    switched_off = client.post(
        reverse(
            "outcomes:sponsor_login_deactivate", kwargs={"sponsor": pk, "login": sponsor_user.pk}
        )
    )
    renamed = client.post(
        reverse("outcomes:sponsor_edit", kwargs={"sponsor": pk}), {"name": "Mine"}
    )
    assert {added.status_code, switched_off.status_code, renamed.status_code} == {403}
    assert not User.objects.filter(username="eve").exists()
    sponsor_user.refresh_from_db()
    shared_sponsor.refresh_from_db()
    assert sponsor_user.is_active and shared_sponsor.name == "乐高基金会 LEGO Foundation"
    page = client.get(reverse("outcomes:sponsor_edit", kwargs={"sponsor": pk})).content.decode()
    assert "coordinator of all factories" in page or "所有工厂" in page
    assert reverse("outcomes:sponsor_login_add", kwargs={"sponsor": pk}) not in page


def test_a_coordinator_of_every_sponsored_factory_may(client, shared_sponsor, factory_a, factory_b):
    from ffs_portal.models import User

    both = UserFactory(role="coordinator", factories=[factory_a, factory_b])
    client.force_login(both)
    client.post(
        reverse("outcomes:sponsor_login_add", kwargs={"sponsor": shared_sponsor.pk}),
        {"name": "Anna", "username": "anna", "password": "a-long-pass-phrase"},
    )
    assert User.objects.get(username="anna").sponsor == shared_sponsor


# 10. Smaller findings: confusable employee numbers; children's names in page titles.


@pytest.mark.parametrize("typed", ["ＸＨ１０００１", "xh10001", "XH\u200b10001", " XH 10001 "])
def test_an_employee_number_is_kept_as_the_factory_means_it(client, hr, factory_a, typed):
    from enrollment.models import Worker

    client.force_login(hr)
    data = {"name": "王建华", "mobile": "13812345678", "hukou_province": "sichuan"}
    client.post(reverse("enrollment:family_create"), {"employee_no": "XH10001", **data})
    again = client.post(reverse("enrollment:family_create"), {"employee_no": typed, **data})
    assert again.status_code == 200  # refused: the same worker is registered already
    assert list(Worker.objects.values_list("employee_no", flat=True)) == ["XH10001"]


def test_the_roster_import_reads_employee_numbers_the_same_way():
    from enrollment.roster.parsing import _employee_no

    class Row:
        problems = []

        def problem(self, *args, **kwargs):
            self.problems.append(args)

    assert {
        _employee_no(Row(), typed) for typed in ("ＸＨ１０００１", "xh10001", "XH\u200b10001")
    } == {"XH10001"}


def test_no_childs_or_workers_name_is_in_a_page_title(client, hr, term_a):
    import re

    child = enrolled_child(term_a, name="王小明")
    adult = PickupPermissionFactory(child=child, adult__name="李秀英").adult
    worker = child.family.workers.get()
    client.force_login(hr)
    pages = [
        reverse("enrollment:family_detail", kwargs={"family": child.family.key}),
        reverse("enrollment:child_edit", kwargs={"child": child.key}),
        reverse("enrollment:consent_record", kwargs={"child": child.key}),
        reverse("enrollment:enroll", kwargs={"child": child.key}),
        reverse("enrollment:pickup_edit", kwargs={"child": child.key, "adult": adult.pk}),
        reverse("enrollment:worker_edit", kwargs={"family": child.family.key, "worker": worker.pk}),
        reverse("enrollment:adult_edit", kwargs={"family": child.family.key, "adult": adult.pk}),
        reverse("enrollment:family_cards", kwargs={"family": child.family.key}),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        title = re.search(r"<title>(.*?)</title>", html, re.S)[1]
        for name in (child.name, adult.name, worker.name):
            assert name not in title, (url, title)
        assert child.name in html or adult.name in html or worker.name in html, url


# --- Finding 9: the seven inputs that gave a server error ----------------------------------


def test_the_inputs_that_gave_a_server_error_are_answered_plainly(client, hr, site_lead, term_a):
    from django.test import Client

    child = enrolled_child(term_a)
    enrollment = child.enrollments.get()
    client.raise_request_exception = False
    client.force_login(hr)
    answers = {
        "withdraw next=abc": client.post(
            reverse("enrollment:enrollment_withdraw", kwargs={"enrollment": enrollment.key}),
            {"next": "abc"},
        ),
        "promote next=abc": client.post(
            reverse("enrollment:enrollment_promote", kwargs={"enrollment": enrollment.key}),
            {"next": "abc"},
        ),
        "roster export NUL": client.get(reverse("enrollment:roster_export"), {"q": "王\x00"}),
    }
    client.force_login(site_lead)
    duty = reverse("staff:duty", kwargs={"site": term_a.site.pk})
    answers["duty person=abc"] = client.post(duty, {"person": "abc", "pin": "1234"})
    answers["card scan NUL"] = client.post(
        reverse("attendance:scan", kwargs={"site": term_a.site.pk}), {"token": "ab\x00c"}
    )
    anonymous = Client(raise_request_exception=False)
    answers["language next=abc"] = anonymous.post("/language/", {"language": "en", "next": "abc"})
    answers["survey NUL"] = anonymous.get("/survey/abc%00def/")
    answers["feedback NUL"] = anonymous.get("/training/feedback/abc%00def/")
    errors = {name: r.status_code for name, r in answers.items() if r.status_code >= 500}
    assert errors == {}
    # Nowhere outside the portal: "abc" is not followed as an address.
    for name in ("withdraw next=abc", "promote next=abc", "language next=abc"):
        assert answers[name].status_code == 302, name
        assert answers[name]["Location"].startswith("/") and "abc" not in answers[name]["Location"]
