"""manage.py import_roster PATH --factory CODE [--dry-run]"""

import pytest
from django.core.management import CommandError, call_command

from enrollment.models import Adult, Child, Family, Worker
from ffs_portal.models import AuditEntry
from tests import rosters

pytestmark = pytest.mark.django_db


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("import_roster", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def roster_file(tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(rosters.xlsx(rosters.family_rows(6)))
    return path


def test_it_imports_a_roster_into_a_factory(roster_file, factory_a):
    out, _err = run(str(roster_file), "--factory", factory_a.code)
    assert Family.objects.filter(factory=factory_a).count() == 3
    assert Child.objects.count() == 6 and Adult.objects.count() == 3
    assert "家庭：新增 3，更改 0，不变 0" in out
    assert "名单已导入东莞星河玩具厂。" in out
    assert AuditEntry.objects.get(action="roster.imported").actor is None


def test_a_dry_run_writes_nothing(roster_file, factory_a):
    out, _err = run(str(roster_file), "--factory", factory_a.code, "--dry-run")
    assert "孩子：新增 6，更改 0，不变 0" in out and "试运行：未写入任何内容。" in out
    assert not Family.objects.exists() and not Worker.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_second_run_changes_nothing(roster_file, factory_a):
    run(str(roster_file), "--factory", factory_a.code)
    out, _err = run(str(roster_file), "--factory", factory_a.code, "--language", "en")
    assert "Children: 0 new, 0 changed, 6 unchanged" in out
    assert Child.objects.count() == 6


def test_problems_are_listed_by_row_and_column_and_nothing_is_written(tmp_path, factory_a):
    path = tmp_path / "bad.csv"
    path.write_bytes(rosters.csv_bytes([rosters.row(), rosters.row(child="李小红", mobile="12")],
                                      encoding="gbk"))  # fmt: skip
    with pytest.raises(CommandError, match="1 个问题"):
        run(str(path), "--factory", factory_a.code)
    assert not Family.objects.exists()


def test_the_problem_report_names_the_row_and_cell(tmp_path, factory_a, capsys):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(rosters.xlsx([rosters.row(mobile="12")]))
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_roster", str(path), "--factory", factory_a.code, stderr=err,
                     stdout=StringIO())  # fmt: skip
    assert "第 2 行，手机/Mobile (D)：“12”有 2 位数字" in err.getvalue()


def test_an_unknown_factory_or_an_unreadable_file_is_an_error(tmp_path, roster_file, factory_a):
    with pytest.raises(CommandError, match="没有代码为 nowhere 的工厂"):
        run(str(roster_file), "--factory", "nowhere")
    with pytest.raises(CommandError, match="无法读取文件"):
        run(str(tmp_path / "missing.xlsx"), "--factory", factory_a.code)
    picture = tmp_path / "roster.xlsx"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(CommandError, match="不是门户能读取的表格"):
        run(str(picture), "--factory", factory_a.code)
