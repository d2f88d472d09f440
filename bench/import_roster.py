"""Benchmark: preview and import of a realistic 2,000-row roster (.xlsx).

Runs the code the import pages run (``read_roster`` + ``build_plan`` for the preview;
``read_roster`` + ``services.roster_import`` for the confirmation) on the configured
database (DATABASE_URL, else the embedded SQLite), and prints each figure with its ratio to
two baselines measured in the same run: openpyxl merely reading the same file, and a
``bulk_create`` of as many rows. Everything it creates is deleted at the end.

    python bench/import_roster.py [--rows 2000] [--repeat 3]
"""

import argparse
import io
import os
import random
import secrets
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ffs_portal.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402

from enrollment.models import (  # noqa: E402
    Adult,
    Child,
    Factory,
    Family,
    PickupPermission,
    Worker,
)
from enrollment.roster import services  # noqa: E402
from enrollment.roster.columns import COLUMNS  # noqa: E402
from enrollment.roster.planning import build_plan  # noqa: E402
from enrollment.roster.reading import read_roster  # noqa: E402
from ffs_portal.demo import names  # noqa: E402
from ffs_portal.models import AuditEntry, Role, User  # noqa: E402

TARGET_SECONDS = 30
SURNAMES = names.FAMILY_NAMES[:20]
GIVEN = [*names.GIVEN_NAMES, *names.RARE_GIVEN_NAMES]
ADULT_GIVEN = names.ADULT_GIVEN_NAMES
PROVINCES = ["四川", "贵州", "河南", "湖南", "江西", "安徽", "广西", "湖北"]
DEPARTMENTS = ["装配一线", "装配二线", "喷油车间", "注塑车间", "包装车间", "品检部"]
RELATIONS = [("奶奶", "祖母"), ("外婆", "外祖母"), ("爷爷", "祖父"), ("外公", "外祖父"),
             ("姑姑", "姑姑"), ("舅舅", "舅舅")]  # fmt: skip
ALLERGIES = ["", "", "", "", "", "花生", "牛奶", "海鲜", "青霉素", "哮喘"]


def roster_rows(count: int, rng: random.Random) -> list[list]:
    """One row per child and adult who collects them: workers with one to three children,
    most with a grandparent who collects, some with two."""
    today = timezone.localdate()
    rows = []
    worker = 0
    while len(rows) < count:
        worker += 1
        surname = SURNAMES[worker % len(SURNAMES)]
        worker_cells = [
            f"XH{worker:05d}",
            surname + rng.choice(GIVEN[:20]) + rng.choice(["", "华", "军"]),
            rng.choice(DEPARTMENTS),
            f"13{rng.randint(0, 9)}{worker:08d}",
            rng.choice(PROVINCES),
        ]
        adults = [
            (
                rng.choice(SURNAMES) + rng.choice(ADULT_GIVEN) + str(worker * 10 + n),
                rng.choice(RELATIONS),
                f"15{rng.randint(0, 9)}{worker:08d}",
            )
            for n in range(rng.choice([0, 1, 1, 1, 2]))
        ]
        for child in range(rng.choice([1, 1, 2, 2, 3])):
            born = today - timedelta(days=rng.randint(3 * 365, 14 * 365))
            child_cells = [
                surname + GIVEN[(worker + child * 7) % len(GIVEN)] + str(child or ""),
                rng.choice(["男", "女"]),
                born,
                rng.choice(ALLERGIES),
            ]
            for name, (relation, _formal), mobile in adults or [("", ("", ""), "")]:
                rows.append([*worker_cells, *child_cells, name, relation, mobile])
    return rows[:count]


def roster_xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([column.header for column in COLUMNS])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed(action, repeat: int = 1):
    """(median seconds, queries of the last run, result of the last run)."""
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = action()
            times.append(time.perf_counter() - started)
    return statistics.median(times), len(queries.captured_queries), result


def openpyxl_read(data: bytes) -> int:
    """Only what openpyxl needs to hand over every cell, in the mode the import uses."""
    workbook = load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    count = sum(1 for _row in workbook.active.iter_rows(values_only=True))
    workbook.close()
    return count


def bulk_create_baseline(factory: Factory, count: int) -> None:
    """Insert ``count`` children in one transaction, then roll it back."""
    with transaction.atomic():
        family = Family.objects.create(factory=factory)
        Child.objects.bulk_create(
            [
                Child(family=family, name=f"基准{i}", sex="f", date_of_birth=date(2018, 1, 1))
                for i in range(count)
            ],
            batch_size=500,
        )
        transaction.set_rollback(True)


def clean_up(factory: Factory, user: User) -> None:
    with transaction.atomic():
        AuditEntry.objects.filter(factory=factory).delete()
        PickupPermission.objects.filter(child__family__factory=factory).delete()
        Adult.objects.filter(family__factory=factory).delete()
        Child.objects.filter(family__factory=factory).delete()
        Worker.objects.filter(factory=factory).delete()
        Family.objects.filter(factory=factory).delete()
        user.delete()
        factory.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each read-only figure")
    parser.add_argument("--seed", type=int, default=2026)
    options = parser.parse_args()

    call_command("migrate", verbosity=0)
    rng = random.Random(options.seed)
    rows = roster_rows(options.rows, rng)
    data = roster_xlsx(rows)
    code = f"bench-{secrets.token_hex(4)}"
    factory = Factory.objects.create(
        name="基准测试玩具厂", code=code, city="东莞", province="guangdong"
    )
    user = User.objects.create(username=code, role=Role.HR, factory=factory)
    try:
        figures = run(factory, user, data, options.repeat)
    finally:
        clean_up(factory, user)
    report(figures, options, len(data), connection.vendor)


def run(factory, user, data, repeat):
    figures = {}
    figures["openpyxl read (baseline)"] = timed(lambda: openpyxl_read(data), repeat)
    count = len(read_roster(data).rows)
    figures["bulk_create rows (baseline)"] = timed(
        lambda: bulk_create_baseline(factory, count), repeat
    )

    def preview():
        return build_plan(factory=factory, sheet=read_roster(data))

    def confirm():
        return services.roster_import(factory=factory, sheet=read_roster(data), by=user)

    figures["preview: read + check + plan"] = timed(preview, repeat)
    plan = figures["preview: read + check + plan"][2]
    assert plan.ok, plan.problems[:5]
    figures["confirm: read + check again + write"] = timed(confirm)
    counts = figures["confirm: read + check again + write"][2].counts()
    figures["preview again (all unchanged)"] = timed(preview, repeat)
    figures["confirm again (writes nothing)"] = timed(confirm)
    assert not figures["preview again (all unchanged)"][2].changes_anything
    figures["_counts"] = counts
    return figures


def report(figures, options, size, vendor) -> None:
    counts = figures.pop("_counts")
    reader = figures["openpyxl read (baseline)"][0]
    writer = figures["bulk_create rows (baseline)"][0]
    print(f"Roster import benchmark: {options.rows} rows, {size / 1024:.0f} KiB .xlsx, {vendor}")
    print(
        f"  families {counts['families']['create']}, children {counts['children']['create']}, "
        f"pickup adults {counts['adults']['create']}"
    )
    print(f"  {'step':38} {'seconds':>8} {'queries':>8} {'× read':>7} {'× bulk':>7}")
    for name, (seconds, queries, _result) in figures.items():
        print(
            f"  {name:38} {seconds:8.2f} {queries:8d} {seconds / reader:7.1f} "
            f"{seconds / writer:7.1f}"
        )
    total = figures["preview: read + check + plan"][0]
    total += figures["confirm: read + check again + write"][0]
    verdict = "within" if total < TARGET_SECONDS else "OVER"
    print(f"  preview + confirm: {total:.2f} s, {verdict} the {TARGET_SECONDS} s target")


if __name__ == "__main__":
    main()
