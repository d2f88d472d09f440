"""Importing a roster: what the preview says, what the import writes (all or nothing, with
audit entries), and that importing the same file again changes nothing."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import translation

from enrollment.models import Adult, Child, Family, PickupPermission, Worker
from enrollment.roster import services
from enrollment.roster.planning import build_plan
from enrollment.roster.reading import read_roster
from ffs_portal.models import AuditEntry
from tests import rosters
from tests.factories import (
    AdultFactory,
    ChildFactory,
    FamilyFactory,
    PickupPermissionFactory,
    WorkerFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def plan_for(factory, data):
    return build_plan(factory=factory, sheet=read_roster(data))


def import_file(factory, data, by=None):
    return services.roster_import(factory=factory, sheet=read_roster(data), by=by)


def snapshot():
    """Everything an import may write, to compare before and after."""
    return {
        "families": sorted(Family.objects.values_list("pk", "updated_at")),
        "workers": sorted(Worker.objects.values_list("pk", "name", "mobile", "department",
                                                      "hukou_province", "family_id")),
        "children": sorted(Child.objects.values_list("pk", "name", "sex", "date_of_birth",
                                                      "allergies", "updated_at")),
        "adults": sorted(Adult.objects.values_list("pk", "name", "relation", "mobile")),
        "pickups": sorted(PickupPermission.objects.values_list("pk", "allowed")),
    }  # fmt: skip


def test_rows_of_one_employee_no_make_one_family_with_its_children_and_pickup_adults(factory_a, hr):
    data = rosters.xlsx(
        [
            rosters.row(child="李小明", born=date(2018, 5, 1), pickup="王秀英", relation="外婆"),
            rosters.row(child="李小红", born=date(2020, 3, 8), sex="女", pickup="王秀英",
                        relation="外婆", allergies="花生"),
            rosters.row(child="李小红", born=date(2020, 3, 8), sex="女", pickup="李建国",
                        relation="爷爷", pickup_mobile=""),
            rosters.row(employee_no="B002", worker="张伟", mobile="13700000002", child="张一诺",
                        pickup="", relation="", pickup_mobile=""),
        ]
    )  # fmt: skip
    plan = plan_for(factory_a, data)
    assert plan.ok
    assert plan.counts() == {
        "families": {"create": 2, "update": 0, "unchanged": 0},
        "workers": {"create": 2, "update": 0, "unchanged": 0},
        "children": {"create": 3, "update": 0, "unchanged": 0},
        "adults": {"create": 2, "update": 0, "unchanged": 0},
        "consents": {"create": 0, "update": 0, "unchanged": 0},
        "enrolments": {"create": 0, "update": 0, "unchanged": 0},
    }
    assert Family.objects.count() == 0, "a preview writes nothing"

    import_file(factory_a, data, by=hr)

    worker = Worker.objects.get(employee_no="A001")
    family = worker.family
    assert (worker.factory, worker.name, worker.mobile, worker.hukou_province) == (
        factory_a, "王芳", "13800000001", "sichuan"
    )  # fmt: skip
    assert sorted(family.children.values_list("name", "sex")) == [("李小明", "m"), ("李小红", "f")]
    xiaohong = family.children.get(name="李小红")
    assert (xiaohong.allergies, xiaohong.name_initials, xiaohong.hukou_province) == (
        "花生", "lxh", "sichuan"
    )  # fmt: skip
    assert sorted(family.adults.values_list("name", "relation", "mobile")) == [
        ("李建国", "grandfather", ""),
        ("王秀英", "grandmother", "13900000001"),
    ]
    assert sorted(
        PickupPermission.objects.filter(child__family=family).values_list(
            "child__name", "adult__name", "allowed"
        )
    ) == [("李小明", "王秀英", True), ("李小红", "李建国", True), ("李小红", "王秀英", True)]
    assert Worker.objects.get(employee_no="B002").family.children.get().name == "张一诺"


def test_the_import_writes_an_audit_entry_for_everything_it_creates(factory_a, hr):
    import_file(factory_a, rosters.xlsx([rosters.row()]), by=hr)
    child = Child.objects.get()
    actions = sorted(AuditEntry.objects.values_list("action", flat=True))
    assert actions == [
        "adult.created",
        "child.created",
        "family.created",
        "pickup.allowed",
        "roster.imported",
        "worker.created",
    ]
    assert set(AuditEntry.objects.values_list("actor", flat=True)) == {hr.pk}
    assert set(AuditEntry.objects.values_list("factory", flat=True)) == {factory_a.pk}
    assert AuditEntry.objects.get(action="child.created").child == child
    assert AuditEntry.objects.get(action="pickup.allowed").details == {"adult": "王秀英"}
    imported = AuditEntry.objects.get(action="roster.imported")
    assert imported.details["counts"]["children"]["create"] == 1


def test_importing_the_same_file_again_changes_nothing(factory_a, hr):
    data = rosters.xlsx(rosters.family_rows(12) + [rosters.row(child="王𠮷")])
    import_file(factory_a, data, by=hr)
    before = snapshot()
    entries = AuditEntry.objects.count()

    plan = plan_for(factory_a, data)
    assert not plan.changes_anything
    assert {kind: c["create"] + c["update"] for kind, c in plan.counts().items()} == {
        "families": 0, "workers": 0, "children": 0, "adults": 0, "consents": 0, "enrolments": 0
    }  # fmt: skip
    assert set(plan.row_actions.values()) == {"unchanged"}
    import_file(factory_a, data, by=hr)

    assert snapshot() == before
    # Only the record that someone imported the file again.
    assert AuditEntry.objects.count() == entries + 1


def test_a_changed_row_updates_only_what_differs_and_never_erases(factory_a, hr):
    import_file(factory_a, rosters.xlsx([rosters.row(allergies="花生")]), by=hr)
    child = Child.objects.get()
    changed = rosters.xlsx(
        [rosters.row(mobile="13800000099", department="", allergies="", relation="奶奶",
                     pickup_mobile="13900000099")]
    )  # fmt: skip
    plan = plan_for(factory_a, changed)
    assert plan.counts()["workers"] == {"create": 0, "update": 1, "unchanged": 0}
    assert plan.counts()["children"] == {"create": 0, "update": 0, "unchanged": 1}
    assert plan.counts()["adults"] == {"create": 0, "update": 1, "unchanged": 0}
    import_file(factory_a, changed, by=hr)
    worker = Worker.objects.get()
    assert (worker.mobile, worker.department) == ("13800000099", "装配一线")
    child.refresh_from_db()
    assert child.allergies == "花生", "an empty cell never erases allergies"
    adult = Adult.objects.get()
    assert (adult.relation, adult.mobile) == ("grandmother", "13900000099")
    assert AuditEntry.objects.get(action="worker.changed").details == {"fields": ["mobile"]}
    assert AuditEntry.objects.get(action="adult.changed").details == {"fields": ["mobile"]}


def test_a_known_worker_gets_new_children_in_the_existing_family(factory_a, hr):
    family = FamilyFactory(factory=factory_a)
    WorkerFactory(family=family, employee_no="A001", name="王芳", mobile="13800000001")
    ChildFactory(family=family, name="李小明", sex="m", date_of_birth=date(2018, 5, 1))
    data = rosters.xlsx(
        [rosters.row(child="李小明", born=date(2018, 5, 1)), rosters.row(child="李小刚",
                                                                        born=date(2021, 1, 2))]
    )  # fmt: skip
    plan = plan_for(factory_a, data)
    assert plan.counts()["families"] == {"create": 0, "update": 1, "unchanged": 0}
    assert plan.counts()["children"] == {"create": 1, "update": 0, "unchanged": 1}
    import_file(factory_a, data, by=hr)
    assert Family.objects.count() == 1
    assert sorted(family.children.values_list("name", flat=True)) == ["李小刚", "李小明"]


def test_a_known_worker_without_a_family_is_given_one(factory_a, hr):
    worker = WorkerFactory(family=None, factory=factory_a, employee_no="A001", name="王芳",
                           mobile="13800000001")  # fmt: skip
    import_file(factory_a, rosters.xlsx([rosters.row()]), by=hr)
    worker.refresh_from_db()
    assert worker.family is not None and worker.family.children.get().name == "李小明"


def test_an_employee_no_registered_to_another_name_is_a_problem(factory_a):
    WorkerFactory(family__factory=factory_a, employee_no="A001", name="王方")
    plan = plan_for(factory_a, rosters.xlsx([rosters.row(worker="王芳")]))
    (problem,) = plan.problems
    assert problem.column == "worker_name"
    assert "工号 A001 在系统中登记的是 王方" in problem.message


def test_the_same_employee_no_in_another_factory_is_another_worker(factory_a, factory_b, hr):
    WorkerFactory(family__factory=factory_b, employee_no="A001", name="赵强")
    import_file(factory_a, rosters.xlsx([rosters.row()]), by=hr)
    assert Worker.objects.filter(employee_no="A001").count() == 2


def test_a_pickup_adult_on_the_childs_not_allowed_list_is_a_problem(factory_a):
    family = FamilyFactory(factory=factory_a)
    WorkerFactory(family=family, employee_no="A001", name="王芳", mobile="13800000001")
    child = ChildFactory(family=family, name="李小明", date_of_birth=date(2018, 5, 1))
    adult = AdultFactory(family=family, name="王秀英", relation="grandmother")
    PickupPermissionFactory(child=child, adult=adult, allowed=False)
    plan = plan_for(factory_a, rosters.xlsx([rosters.row()]))
    (problem,) = plan.problems
    assert problem.column == "pickup_name"
    assert "王秀英 在不允许接送 李小明 的名单上" in problem.message


def test_the_worker_as_pickup_adult_is_noted_and_not_added_again(factory_a, hr):
    plan = plan_for(factory_a, rosters.xlsx([rosters.row(pickup="王芳", relation="妈妈")]))
    assert plan.ok and "员工本人随时可以接孩子" in plan.rows[0].notes[0]
    import_file(factory_a, rosters.xlsx([rosters.row(pickup="王芳", relation="妈妈")]), by=hr)
    assert Adult.objects.count() == 0


def test_a_corrected_date_of_birth_is_flagged_before_it_adds_a_second_child(factory_a, hr):
    import_file(factory_a, rosters.xlsx([rosters.row(born=date(2018, 5, 1))]), by=hr)
    plan = plan_for(factory_a, rosters.xlsx([rosters.row(born=date(2018, 6, 1))]))
    assert plan.ok
    assert "已有一个叫 李小明 的孩子" in plan.rows[0].notes[0]


def test_rare_characters_round_trip_through_import_and_export(factory_a, hr):
    from enrollment.roster import spreadsheets

    names = ["𠮷", "王䶮", "𠮷小明", "李𪚥"]
    data = rosters.xlsx(
        [rosters.row(employee_no=f"R{i}", worker=name + "父", mobile=f"1380000000{i}",
                     child=name, pickup=name + "奶奶", pickup_mobile=f"1390000000{i}")
         for i, name in enumerate(names)]
    )  # fmt: skip
    import_file(factory_a, data, by=hr)
    assert sorted(Child.objects.values_list("name", flat=True)) == sorted(names)
    assert sorted(Worker.objects.values_list("name", flat=True)) == sorted(n + "父" for n in names)
    from enrollment.roster.selectors import roster_children, roster_workers_without_children

    rows = spreadsheets.export_rows(
        roster_children(user=hr, factory=factory_a),
        roster_workers_without_children(user=hr, factory=factory_a),
    )
    header = spreadsheets.export_header()
    for exported in (spreadsheets.to_xlsx(header, rows, sheet_title="名单"),
                     spreadsheets.to_csv(header, rows)):  # fmt: skip
        sheet = read_roster(exported)
        assert sorted(r.cells["child_name"] for r in sheet.rows) == sorted(names)
        assert not plan_for(factory_a, exported).changes_anything


def test_a_problem_in_row_1500_leaves_nothing_written(factory_a, hr):
    rows = rosters.family_rows(1500)
    rows[1498][7] = "2099-01-01"  # row 1,500 of the sheet: the header is row 1
    data = rosters.xlsx(rows)
    with pytest.raises(services.RosterHasProblems) as refused:
        import_file(factory_a, data, by=hr)
    assert [(p.row, p.column) for p in refused.value.plan.problems] == [(1500, "date_of_birth")]
    assert snapshot() == {"families": [], "workers": [], "children": [], "adults": [],
                          "pickups": []}  # fmt: skip
    assert not AuditEntry.objects.exists()


def test_a_database_failure_halfway_leaves_nothing_written(factory_a, hr, monkeypatch):
    def fail(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(PickupPermission.objects, "bulk_create", fail)
    with pytest.raises(ValidationError, match="有人修改了这些家庭"):
        import_file(factory_a, rosters.xlsx(rosters.family_rows(30)), by=hr)
    assert Family.objects.count() == Worker.objects.count() == Child.objects.count() == 0
    assert not AuditEntry.objects.exists()


def test_a_worker_registered_between_preview_and_confirm_is_caught_at_confirm(factory_a, hr):
    data = rosters.xlsx([rosters.row()])
    assert plan_for(factory_a, data).ok
    WorkerFactory(family__factory=factory_a, employee_no="A001", name="王方")
    with pytest.raises(services.RosterHasProblems):
        import_file(factory_a, data, by=hr)
    assert Child.objects.count() == 0


def test_the_plan_reads_the_database_in_a_fixed_number_of_queries(
    factory_a, hr, django_assert_max_num_queries
):
    import_file(factory_a, rosters.xlsx(rosters.family_rows(90)), by=hr)
    for n in (30, 90):
        sheet = read_roster(rosters.xlsx(rosters.family_rows(n) + rosters.family_rows(n, 200)))
        with django_assert_max_num_queries(7):
            plan = build_plan(factory=factory_a, sheet=sheet)
        assert plan.ok


def test_the_import_writes_in_a_number_of_queries_that_does_not_grow_per_row(
    factory_a, hr, django_assert_max_num_queries
):
    from django.db import connection

    # SQLite takes at most 999 values a statement: its inserts come in batches of a few dozen.
    most = 20 if connection.vendor == "postgresql" else 30
    for start, n in ((0, 40), (1000, 120)):
        sheet = read_roster(rosters.xlsx(rosters.family_rows(n, start)))
        with django_assert_max_num_queries(most):
            services.roster_import(factory=factory_a, sheet=sheet, by=hr)
    assert Child.objects.count() == 160
