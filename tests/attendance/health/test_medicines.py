"""The board's medicine reminders read in one written-out statement for the people at a
site's door: the same rows as the ORM's rule, for every role and at the edges of the day."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from attendance.health import selectors
from attendance.health.models import MedicineAuthorisation, MedicineDose
from attendance.models import AttendanceRecord
from ffs_portal import access
from ffs_portal.models import Role
from tests.factories import UserFactory, enrolled_child


def test_the_door_statement_reads_what_the_orm_rule_reads(
    hr, carer, site_lead, coordinator, administrator, site_a, term_a, term_b
):
    from django.db import connection

    today = timezone.localdate()
    midnight = timezone.make_aware(datetime.combine(today, time()))
    here, gone, elsewhere = (enrolled_child(term_a) for _ in range(3))
    other_site = enrolled_child(term_b)

    def authorise(child, site, times, valid_from=today, valid_to=today):
        return MedicineAuthorisation.objects.create(
            site=site,
            child=child,
            medicine="布洛芬",
            dose="5 ml",
            times=times,
            valid_from=valid_from,
            valid_to=valid_to,
            signed_by="王建国",
            recorded_by=carer,
        )

    running = authorise(here, site_a, ["00:00", "08:10", "23:50"], today - timedelta(days=2))
    authorise(gone, site_a, ["09:00"])
    authorise(elsewhere, site_a, ["09:00"], today - timedelta(days=9), today - timedelta(days=1))
    authorise(other_site, term_b.site, ["09:00"])
    for at, due in (
        (midnight - timedelta(microseconds=1), "23:50"),  # yesterday's
        (midnight, "00:00"),
        (midnight + timedelta(hours=8, minutes=5), "08:10"),
    ):
        MedicineDose.objects.create(
            authorisation=running, site=site_a, given_at=at, due=due, given_by=carer, witness=hr
        )
    AttendanceRecord.objects.create(
        site=site_a, child=here, day=today, status="present", checked_in_at=midnight
    )
    AttendanceRecord.objects.create(
        site=site_a,
        child=gone,
        day=today,
        status="collected",
        checked_in_at=midnight + timedelta(hours=7),
        checked_out_at=midnight + timedelta(hours=9),
    )
    other_carer = UserFactory(role=Role.CHILDCARE, sites=[term_b.site])
    inactive = UserFactory(role=Role.CHILDCARE, sites=[site_a], is_active=False)

    def orm(user):
        rows = selectors._running(
            access.scoped(user, MedicineAuthorisation).filter(site=site_a), today
        )
        return sorted((row[0], row[1], row[2], sorted(row[3]), *row[4:]) for row in rows)

    def door(user):
        rows = selectors.running_reminder_rows(user=user, site=site_a, day=today)
        return sorted((row[0], row[1], row[2], sorted(row[3]), *row[4:]) for row in rows)

    for user in (hr, carer, site_lead, coordinator, administrator, other_carer, inactive):
        assert door(user) == orm(user), user.role
    assert access.at_the_door(carer) == (connection.vendor == "postgresql")
    seen = door(carer)
    assert [row[0] for row in seen] == sorted([here.pk, gone.pk])
    assert seen[0][3] == ["00:00", "08:10"] and seen[0][4] == midnight
