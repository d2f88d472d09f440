"""The database helpers of the board's hot path: prepared statements, rows read into model
instances and inserts written out, each doing what the ORM does."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from attendance.models import AttendanceRecord
from enrollment.models import Child, Family, Site
from ffs_portal.lib import db
from ffs_portal.models import AuditEntry
from tests.factories import enrolled_child

pytestmark = pytest.mark.django_db

SITE_NAME = "SELECT s.name FROM enrollment_site s WHERE s.id = %(site)s AND s.capacity >= %(least)s"


def test_a_prepared_statement_gives_what_the_statement_gives_and_is_counted_once(site_a):
    db.execute_prepared(connection.cursor(), "test_site_name", SITE_NAME, {"site": 0, "least": 0})
    with CaptureQueriesContext(connection) as captured:
        for least, expected in ((0, (site_a.name,)), (site_a.capacity + 1, None)):
            with connection.cursor() as cursor:
                db.execute_prepared(
                    cursor, "test_site_name", SITE_NAME, {"site": site_a.pk, "least": least}
                )
                assert cursor.fetchone() == expected
    assert len(captured) == 2
    if connection.vendor == "postgresql":
        assert all(q["sql"].startswith("EXECUTE test_site_name") for q in captured)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE name = %s", ["test_site_name"]
            )
            assert cursor.fetchone() == (1,)


def test_a_row_becomes_the_instances_the_orm_would_read(term_a):
    child = enrolled_child(term_a, allergies="花生")
    columns = ", ".join([db.columns(Child, "c"), db.columns(Family, "f"), db.columns(Site, "s")])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM enrollment_child c "  # noqa: S608 - names only
            "JOIN enrollment_family f ON f.id = c.family_id "
            "LEFT JOIN enrollment_site s ON s.id = -1 WHERE c.id = %s",
            [child.pk],
        )
        found_child, found_family, no_site = db.instances(cursor.fetchone(), Child, Family, Site)
    orm = Child.objects.select_related("family").get(pk=child.pk)
    assert no_site is None
    for field in Child._meta.concrete_fields:
        assert getattr(found_child, field.attname) == getattr(orm, field.attname), field.name
    for field in Family._meta.concrete_fields:
        assert getattr(found_family, field.attname) == getattr(orm.family, field.attname)
    assert not found_child._state.adding and found_child._state.db == "default"


def test_an_insert_writes_the_row_as_create_would_and_a_constraint_still_refuses(
    carer, site_a, term_a
):
    child = enrolled_child(term_a)
    entry = AuditEntry(actor=carer, action="test.inserted", child=child, details={"页": 1})
    db.insert(entry)
    assert entry.pk is not None and not entry._state.adding
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.actor, stored.child, stored.details) == (carer, child, {"页": 1})
    assert stored.at is not None
    first = AttendanceRecord(site=site_a, child=child, day=stored.at.date())
    db.insert(first)
    with pytest.raises(IntegrityError), transaction.atomic():
        db.insert(AttendanceRecord(site=site_a, child=child, day=first.day))
    assert AttendanceRecord.objects.filter(child=child).count() == 1
