"""Children's data after its purpose ends: anonymised once, leaving no name, mobile or
number anywhere in the database, and moving no figure of the dashboards or sponsors'
reports."""

import threading
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone, translation

from attendance import services as attendance
from attendance.health.models import HealthCheck, MedicineAuthorisation
from attendance.models import Incident, PickupDelegate, RollCall, RollCallEntry
from enrollment import services as enrollment
from enrollment.models import Child, Enrollment
from enrollment.training.models import SessionAttendance, SessionFeedback
from ffs_portal import audit
from ffs_portal.notices.models import Notice
from ffs_portal.outcomes import dashboard
from ffs_portal.outcomes import sponsor_report as report
from ffs_portal.outcomes.dashboard import Filters
from ffs_portal.retention import services
from ffs_portal.retention.models import ChildOnFile, RetentionHold, RetentionRun
from tests.factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    TermFactory,
    TrainingSessionFactory,
    WorkerFactory,
    tiny_jpeg,
    tiny_png,
)

# The retention pages' queries (the session, the user and the page's own), whatever the
# number of children, holds and runs.
DRY_RUN_QUERIES = 6
OVERVIEW_QUERIES = 18
TEXT_TYPES = {"CharField", "TextField", "JSONField", "SlugField", "EmailField"}


def text_columns() -> tuple[int, list[tuple[str, str]]]:
    """Every text, varchar and JSON column of every table, by introspection."""
    introspection = connection.introspection
    columns = []
    with connection.cursor() as cursor:
        tables = [t.name for t in introspection.get_table_list(cursor) if t.type == "t"]
        for table in tables:
            for column in introspection.get_table_description(cursor, table):
                kind = introspection.get_field_type(column.type_code, column)
                if kind in TEXT_TYPES:
                    columns.append((table, column.name))
    return len(tables), columns


def traces(secrets: list[str]) -> tuple[int, int, list]:
    """Where any secret is still found: (tables scanned, columns scanned, [(table, column,
    secret)])."""
    qn = connection.ops.quote_name
    tables, columns = text_columns()
    found = []
    with connection.cursor() as cursor:
        for table, column in columns:
            for secret in secrets:
                cursor.execute(
                    f"SELECT count(*) FROM {qn(table)} WHERE CAST({qn(column)} AS TEXT) LIKE %s",  # noqa: S608
                    [f"%{secret}%"],
                )
                if cursor.fetchone()[0]:
                    found.append((table, column, secret))
    return tables, len(columns), found


@pytest.fixture
def family_on_file(site_a, term_a, carer, hr):
    """A family of one worker, a grandmother and one child with a full summer: photo, health,
    medicine, an incident, a refused stranger, a delegate, a roll call, messages, audit."""
    site_a.pickup_signature = True
    site_a.save()
    family = enrollment.family_create(factory=site_a.factory, by=hr, hr_notes="父亲电话13912345678")
    father = enrollment.worker_save(
        family=family,
        by=hr,
        employee_no="XH77001",
        name="欧阳建华",
        mobile="13912345678",
        hukou_province="sichuan",
    )
    grandma = enrollment.adult_save(
        family=family,
        by=hr,
        name="欧阳秀英",
        relation="grandmother",
        mobile="13587654321",
        is_guardian=True,
        photo=tiny_jpeg(),
    )
    child = enrollment.child_save(
        family=family,
        by=hr,
        name="欧阳小雨",
        sex="f",
        date_of_birth=date(2019, 5, 17),
        hukou_province="sichuan",
        lives_with="grandparents_village",
        allergies="花生",
        medical_notes="哮喘，随身带喷雾",
        emergency_contact_name="欧阳大伯",
        emergency_contact_mobile="13700001111",
    )
    enrollment.consent_record(
        child=child,
        given_by="欧阳建华",
        given_by_relation="father",
        given_on=timezone.localdate() - timedelta(days=30),
        covers_photos=True,
        covers_reporting=True,
        covers_messages=True,
        text_version="2026-1",
        by=hr,
    )
    child = enrollment.child_save(family=family, by=hr, child=child, photo=tiny_jpeg())
    enrollment.pickup_set(child=child, adult=grandma, allowed=True, by=hr)
    Enrollment.objects.create(child=child, term=term_a, status="enrolled")
    now = timezone.now()
    morning = now.replace(hour=8, minute=0) if now.hour >= 9 else now - timedelta(minutes=5)
    attendance.check_in(site=site_a, child=child, by=carer, dropped_off_by=father, at=morning)
    attendance.refuse_pickup(
        site=site_a, child=child, by=carer, reason="not_listed", name="欧阳二叔", relation="叔叔"
    )
    incident = attendance.report_incident(
        site=site_a,
        child=child,
        by=carer,
        kind="injury",
        occurred_at=morning + timedelta(minutes=1),
        description="欧阳小雨在滑梯摔倒，膝盖擦伤",
        action_taken="清洗伤口，告知欧阳建华",
    )
    attendance.check_out(
        site=site_a,
        child=child,
        collector=grandma,
        by=carer,
        incidents_acknowledged=True,
        signature=tiny_png(),
        at=morning + timedelta(minutes=2),
    )
    HealthCheck.objects.create(
        site=site_a,
        child=child,
        day=morning.date(),
        kind="arrival",
        at=morning,
        temperature=Decimal("37.9"),
        signs=["cough"],
        card="yellow",
        note="欧阳小雨咳嗽",
    )
    MedicineAuthorisation.objects.create(
        site=site_a,
        child=child,
        medicine="沙丁胺醇",
        dose="两喷",
        times=["12:00"],
        valid_from=morning.date(),
        valid_to=morning.date(),
        signed_by="欧阳建华",
    )
    PickupDelegate.objects.create(
        child=child,
        day=morning.date() + timedelta(days=1),
        name="欧阳阿姨",
        relation="姑姑",
        mobile="13600002222",
        code_hash="x",
    )
    roll_call = RollCall.objects.create(site=site_a, kind="drill", started_at=now, ended_at=now)
    RollCallEntry.objects.create(roll_call=roll_call, child=child, name="欧阳小雨", group="大班")
    audit.record(actor=hr, action="family.exported", family=family, names=["欧阳建华 13912345678"])
    session = TrainingSessionFactory(factory=site_a.factory)
    signed_in = SessionAttendance.objects.create(session=session, worker=father, method="list")
    SessionFeedback.objects.create(
        attendance=signed_in, usefulness=5, clarity=5, will_apply=5, comment="欧阳小雨爸爸：很有用"
    )
    RetentionHold.objects.create(
        child=child,
        reason="欧阳建华投诉，调查已结束",
        until=timezone.localdate() - timedelta(days=1),
    )
    return {
        "family": family,
        "child": child,
        "incident": incident,
        "secrets": [
            "欧阳小雨",
            "欧阳建华",
            "欧阳秀英",
            "欧阳大伯",
            "欧阳二叔",
            "欧阳阿姨",
            "13912345678",
            "13587654321",
            "13700001111",
            "13600002222",
            "XH77001",
            child.card_code,
        ],
    }


def test_an_anonymised_child_leaves_no_name_mobile_or_number_in_any_text_column(
    family_on_file, hr, django_capture_on_commit_callbacks, record_property
):
    child, secrets = family_on_file["child"], family_on_file["secrets"]
    # The scan finds what is there before: it would find a forgotten column.
    _tables, _columns, before = traces(secrets)
    assert {(t, s) for t, _c, s in before} >= {
        ("enrollment_child", "欧阳小雨"),
        ("notices_notice", "欧阳小雨"),
        ("ffs_portal_auditentry", "13912345678"),
        ("attendance_incident", "欧阳小雨"),
        ("training_sessionfeedback", "欧阳小雨"),
        ("retention_retentionhold", "欧阳建华"),
    }
    photo = child.photo.name
    storage = child.photo.storage
    assert storage.exists(photo)

    with django_capture_on_commit_callbacks(execute=True):
        done = services.child_anonymise(child=child, by=hr, reason="欧阳建华来电要求删除")

    tables, columns, found = traces(secrets)
    print(f"\nscan after anonymising: {tables} tables, {columns} columns, {len(found)} traces")
    record_property("scan", {"tables": tables, "columns": columns, "traces": len(found)})
    assert found == []
    assert done.family_too and not storage.exists(photo)
    child.refresh_from_db()
    assert child.name.startswith("匿名儿童") and child.anonymised_at is not None
    assert child.date_of_birth == date(2019, 1, 1)
    # The day stays counted, and so do the incident and the refusal.
    assert child.attendance.filter(status="collected").count() == 1
    assert Incident.objects.filter(child=child).count() == child.refused_pickups.count() == 1
    # Done once: a second call leaves it as it is.
    assert services.child_anonymise(child=child, by=hr).already
    assert (
        Notice.objects.filter(family=family_on_file["family"]).exclude(body="已匿名").count() == 0
    )


def test_anonymising_moves_no_total_of_the_dashboard_or_the_sponsor_report(
    sponsored_summer, sponsor_user, sponsor_a, coordinator, hr, factory_a
):
    def totals():
        with translation.override("en"):
            built = report.build(sponsor_user, sponsor_a, sponsored_summer)
            scope = dashboard.scope(coordinator, Filters())
            head = dashboard.headline(dashboard.site_rows(scope), messages={})
        (unit,) = built.units
        return (
            unit.children,
            unit.families,
            unit.figures.expected,
            unit.figures.attended,
            unit.figures.incidents,
            built.spaces.rows,
            head.placed,
            head.term.expected,
            head.term.attended,
            head.listed,
        )

    before = totals()
    for child in Child.objects.filter(family__factory=factory_a)[:3]:
        services.child_anonymise_on_request(child=child, by=hr, reason="家长要求")
    assert Child.objects.filter(anonymised_at__isnull=False).count() == 3
    assert totals() == before


def due_child(factory, ended_months_ago=13):
    """A child whose only term, a summer at ``factory``, ended that many months ago."""
    today = timezone.localdate()
    ends = today - timedelta(days=31 * ended_months_ago)
    term = TermFactory(site__factory=factory, starts_on=ends - timedelta(days=45), ends_on=ends)
    family = FamilyFactory(factory=factory)
    WorkerFactory(family=family)
    child = ChildFactory(family=family)
    ConsentFactory(child=child)
    EnrollmentFactory(child=child, term=term, status="completed")
    return child


def test_a_child_is_due_12_months_after_the_last_term_unless_enrolled_again(factory_a, term_a):
    today = timezone.localdate()
    due = due_child(factory_a)
    recent = due_child(factory_a, ended_months_ago=11)
    back = due_child(factory_a)
    EnrollmentFactory(child=back, term=term_a, status="applied")
    assert list(ChildOnFile.objects.due_on(today)) == [due]
    # Next year the eleven months are past too.
    assert set(ChildOnFile.objects.due_on(today + timedelta(days=70))) == {due, recent}


def test_the_nightly_run_skips_a_held_child_and_says_so(factory_a, hr):
    today = timezone.localdate()
    due = due_child(factory_a)
    held = due_child(factory_a)
    incident = Incident.objects.create(
        site=held.enrollments.get().term.site,
        child=held,
        kind="injury",
        occurred_at=timezone.now() - timedelta(days=400),
        description="摔伤",
        action_taken="包扎",
    )
    services.hold_place(
        child=held,
        incident=incident,
        reason="事故仍在调查",
        until=today + timedelta(days=30),
        by=hr,
    )

    # Nor can it be anonymised on request while the hold lasts.
    with pytest.raises(ValueError, match="on hold|暂缓"):
        services.child_anonymise_on_request(child=held, by=hr, reason="家长要求")

    run = services.retention_run_nightly(day=today)

    assert (run.children, run.families, run.held, run.status) == (1, 1, 1, "done")
    assert run.report["held"] == [str(held.key)]
    assert run.report["factories"] == {str(factory_a.pk): {"children": 1, "families": 1, "held": 1}}
    due.refresh_from_db()
    held.refresh_from_db()
    assert due.anonymised_at is not None and held.anonymised_at is None
    # The hold ends: the next night's run takes the child.
    later = services.retention_run_nightly(day=today + timedelta(days=31))
    assert later.children == 1


@pytest.mark.django_db(transaction=True)
def test_two_beats_at_the_same_moment_run_the_night_once(factory_a):
    """Two concurrent calls of the claiming function, each on its own PostgreSQL
    connection, released together."""
    today = timezone.localdate()
    due_child(factory_a)
    barrier = threading.Barrier(2)
    results = []

    def beat():
        try:
            barrier.wait()
            results.append(services.retention_run_nightly(day=today))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    ran = [r for r in results if r is not None]
    assert len(results) == 2 and len(ran) == 1 and ran[0].children == 1
    assert RetentionRun.objects.filter(day=today, trigger="nightly").count() == 1
    # A third beat later that night finds the run done.
    assert services.retention_run_nightly(day=today) is None


def test_another_factorys_child_is_a_404_for_anonymise_now(client, hr, factory_b):
    other = due_child(factory_b)
    client.force_login(hr)
    url = reverse("retention:child_anonymise", kwargs={"child": other.key})
    assert client.post(url, {"reason": "家长要求"}).status_code == 404
    other.refresh_from_db()
    assert other.anonymised_at is None


def test_hr_anonymises_a_child_on_request_with_the_reason_recorded(client, hr, factory_a):
    child = due_child(factory_a, ended_months_ago=1)
    client.force_login(hr)
    url = reverse("retention:child_anonymise", kwargs={"child": child.key})
    assert client.get(url).status_code == 200
    refused = client.post(url, {"reason": " "})
    assert refused.status_code == 200 and "reason" in refused.context["form"].errors
    assert not RetentionRun.objects.exists()
    response = client.post(url, {"reason": "监护人2026年12月来电要求"})
    assert response.status_code == 302
    run = RetentionRun.objects.get(trigger="request")
    assert (run.children, run.families, run.by, run.reason) == (
        1,
        1,
        hr,
        "监护人2026年12月来电要求",
    )
    page = client.get(reverse("retention:overview"))
    assert "监护人2026年12月来电要求" in page.content.decode()


def test_the_dry_run_lists_keys_and_counts_and_writes_nothing(
    client, coordinator, factory_a, django_assert_max_num_queries
):
    child = due_child(factory_a)
    name = child.name
    client.force_login(coordinator)
    page = client.get(reverse("retention:dry_run"))
    text = page.content.decode()
    assert str(child.key)[:8] in text and name not in text
    child.refresh_from_db()
    assert child.anonymised_at is None and not RetentionRun.objects.exists()
    # The queries do not grow with the children due, the holds or the runs.
    services.retention_run_nightly(day=timezone.localdate() - timedelta(days=1))
    for _n in range(4):
        held = due_child(factory_a)
        services.hold_place(
            child=held, reason="调查", until=timezone.localdate() + timedelta(days=9), by=None
        )
    with django_assert_max_num_queries(DRY_RUN_QUERIES):
        assert client.get(reverse("retention:dry_run")).status_code == 200
    with django_assert_max_num_queries(OVERVIEW_QUERIES):
        overview = client.get(reverse("retention:overview"))
    assert overview.context["forecast"].held_now == 4
    assert len(overview.context["holds"]) == 4 and len(overview.context["runs"]) == 1


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_beat_task_delivered_twice_to_a_real_worker_runs_the_night_once(
    factory_a, tmp_path, monkeypatch
):
    from attendance.models import ActionKey
    from attendance.tasks import forget_action_keys
    from ffs_portal.retention.tasks import anonymise_due_children
    from tests.attendance.test_digest_delivery import (
        celery_worker,
        free_port,
        publish_to,
        redis_server,
        wait_for,
    )

    child = due_child(factory_a)
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    redis = redis_server(port)
    publish_to(monkeypatch, broker)
    worker = celery_worker(broker, tmp_path)
    try:
        # Two beats, each sending the night's task.
        anonymise_due_children.delay()
        anonymise_due_children.delay()
        log = tmp_path / "worker.log"
        assert wait_for(lambda: RetentionRun.objects.filter(status="done").exists()), (
            log.read_text()[-3000:]
        )
        # The worker takes tasks one by one: once a task sent after both is done, the
        # second delivery has been handled (and found the night's run taken).
        old_key = ActionKey.objects.create(
            key=uuid.uuid4(), action="check_in", at=timezone.now() - timedelta(days=9)
        )
        forget_action_keys.delay()
        assert wait_for(lambda: not ActionKey.objects.filter(pk=old_key.pk).exists())
    finally:
        worker.terminate()
        redis.terminate()
        worker.wait(timeout=30)
        redis.wait(timeout=30)
    (run,) = RetentionRun.objects.all()
    assert (run.trigger, run.children, run.families) == ("nightly", 1, 1)
    child.refresh_from_db()
    assert child.anonymised_at is not None
    assert child.audit_entries.filter(action="child.anonymised").count() == 1
