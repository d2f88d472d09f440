"""Reading roster files and checking their cells: real .xlsx made with openpyxl, CSV in UTF-8
and GBK, every bad input a message and never an exception of another kind."""

import io
import zipfile
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrollment.roster.columns import COLUMNS
from enrollment.roster.parsing import check_rows, parse_date, parse_row
from enrollment.roster.reading import MAX_ROWS, RawRow, RosterFileError, read_roster
from tests import rosters

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def rows_of(data: bytes):
    return check_rows(read_roster(data))


def problems_of(data: bytes):
    return [(p.row, p.column, p.message) for row in rows_of(data) for p in row.problems]


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.mark.parametrize(
    "header",
    [
        rosters.HEADER,
        rosters.HEADER_ZH,
        rosters.HEADER_EN,
        # Headers as people type them: other words, spaces, case, full-width slash, marks.
        [
            "员工编号",
            "姓名",
            "部门／产线",
            "手机号码",
            "户籍",
            "子女姓名",
            "性别*",
            "Date of Birth",
            "过敏",
            "接送人姓名",
            "与孩子关系",
            "接送人电话",
        ],
        [h.upper() for h in rosters.HEADER_EN],
    ],
    ids=["template", "chinese", "english", "aliases", "upper-case"],
)
def test_it_reads_chinese_english_and_combined_headers(header):
    sheet = read_roster(rosters.xlsx([rosters.row()], header=header))
    assert set(sheet.columns) == {column.key for column in COLUMNS}
    (row,) = check_rows(sheet)
    assert row.problems == []
    assert (row.employee_no, row.worker_name, row.child_name) == ("A001", "王芳", "李小明")
    assert (row.sex, row.province, row.pickup_relation) == ("m", "sichuan", "grandmother")


def test_it_finds_the_header_under_a_title_and_reads_past_unknown_columns():
    header = [*rosters.HEADER, "备注"]
    data = rosters.xlsx(
        [[*rosters.row(), "夜班"]],
        header=header,
        before=[["2026年暑期员工子女名单"], []],
        merge=["A1:F1"],
    )
    sheet = read_roster(data)
    assert sheet.header_row == 3
    assert sheet.ignored_headers == ["备注"]
    (row,) = check_rows(sheet)
    assert row.number == 4 and row.problems == []


def test_it_skips_empty_rows_and_the_templates_example_row():
    example = [
        "E10001", "王芳", "装配一线", "13800138000", "四川", "李小明", "男",
        date(2019, 5, 1), "花生过敏", "王秀英", "外婆", "13900139000",
    ]  # fmt: skip
    data = rosters.xlsx(
        [example, rosters.row(), [None] * 12, ["", " ", "\u3000"], rosters.row(child="李小红")]
    )
    sheet = read_roster(data)
    assert [row.number for row in sheet.rows] == [3, 6]
    assert sheet.empty_rows == 2
    assert sheet.example_row == 2


def test_merged_cells_are_a_problem_on_every_row_they_cover():
    data = rosters.xlsx([rosters.row(child="李小明"), rosters.row(child="李小红")], merge=["A2:A3"])
    problems = problems_of(data)
    assert [(row, column) for row, column, _m in problems] == [
        (2, "employee_no"),
        (3, "employee_no"),
    ]
    assert "A2:A3" in problems[0][2] and "合并" in problems[0][2]


def test_merged_header_cells_are_refused():
    with pytest.raises(RosterFileError, match="B1:C1"):
        read_roster(rosters.xlsx([rosters.row()], merge=["B1:C1"]))


@pytest.mark.parametrize(
    "data, says",
    [
        (PNG, "不是门户能读取的表格"),
        (b"PK\x03\x04" + b"\x00garbage" * 50, "已损坏"),
        (rosters.xlsx([rosters.row()])[:900], "已损坏"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".xls"),
        (b"", "文件是空的"),
        (b"hello, world\r\n1,2\r\n", "没有找到标题行"),
    ],
    ids=["renamed-png", "zip-garbage", "truncated-xlsx", "old-xls", "empty", "no-header"],
)
def test_a_file_that_is_not_a_roster_is_refused_with_a_message(data, says):
    with pytest.raises(RosterFileError) as refused:
        read_roster(data)
    assert says in refused.value.messages[0]


def test_an_xlsx_that_unpacks_into_a_huge_file_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (70 * 1024 * 1024))
    with pytest.raises(RosterFileError, match="过大"):
        read_roster(buffer.getvalue())


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.MAX_UPLOAD_BYTES = 1024
    with pytest.raises(RosterFileError, match="MB"):
        read_roster(rosters.csv_bytes(rosters.family_rows(40)))


def test_more_rows_than_any_roster_is_refused(monkeypatch):
    monkeypatch.setattr("enrollment.roster.reading.MAX_ROWS", 5)
    with pytest.raises(RosterFileError, match="5"):
        read_roster(rosters.csv_bytes(rosters.family_rows(20)))
    assert MAX_ROWS == 10_000


def test_missing_required_columns_are_named():
    header = [h for h in rosters.HEADER if not h.startswith(("手机", "性别"))]
    rows = [[v for i, v in enumerate(rosters.row()) if i not in (3, 6)]]
    with pytest.raises(RosterFileError) as refused:
        read_roster(rosters.xlsx(rows, header=header))
    message = refused.value.messages[0]
    assert "手机/Mobile" in message and "性别/Sex" in message
    assert "接送人手机" not in message


def test_two_columns_with_the_same_meaning_are_refused():
    header = [*rosters.HEADER, "Mobile"]
    with pytest.raises(RosterFileError, match="D.*M|M.*D"):
        read_roster(rosters.xlsx([[*rosters.row(), "13800000009"]], header=header))


@pytest.mark.parametrize(
    "encoding, delimiter",
    [("utf-8-sig", ","), ("utf-8", ","), ("gbk", ","), ("gb18030", ","), ("utf-8", "\t")],
)
def test_it_reads_csv_as_excel_saves_it(encoding, delimiter):
    data = rosters.csv_bytes(
        [rosters.row(born="2018/5/1", allergies="花生、牛奶")],
        encoding=encoding,
        delimiter=delimiter,
    )
    (row,) = rows_of(data)
    assert row.problems == []
    assert (row.worker_name, row.child_name, row.allergies) == ("王芳", "李小明", "花生、牛奶")
    assert row.date_of_birth == date(2018, 5, 1)


def test_utf16_text_from_excel_is_read():
    data = rosters.csv_bytes([rosters.row()], encoding="utf-16", delimiter="\t")
    (row,) = rows_of(data)
    assert row.problems == [] and row.child_name == "李小明"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_names_outside_the_basic_plane_survive_csv(encoding):
    data = rosters.csv_bytes([rosters.row(worker="𠮷野家", child="王䶮𠮷")], encoding=encoding)
    (row,) = rows_of(data)
    assert (row.worker_name, row.child_name) == ("𠮷野家", "王䶮𠮷")


def test_names_outside_the_basic_plane_survive_xlsx():
    (row,) = rows_of(rosters.xlsx([rosters.row(worker="𠮷野家", child="王䶮𠮷")]))
    assert (row.worker_name, row.child_name) == ("𠮷野家", "王䶮𠮷")


def test_a_name_with_a_question_mark_says_a_character_was_lost():
    (row,) = rows_of(rosters.csv_bytes([rosters.row(child="王?明")], encoding="gbk"))
    assert [p.column for p in row.problems] == ["child_name"]
    assert "CSV UTF-8" in row.problems[0].message


def raw(**cells):
    base = dict(zip([c.key for c in COLUMNS], rosters.row(), strict=True))
    return RawRow(number=7, cells={**base, **cells})


@pytest.mark.parametrize(
    "mobile", ["13800000001", "138 0000 0001", "138-0000-0001", "+86 13800000001", 13800000001,
               13800000001.0, "８６１３８０００００００１"],
)  # fmt: skip
def test_mainland_mobiles_are_accepted_as_people_write_them(mobile):
    row = parse_row(raw(mobile=mobile))
    assert row.problems == [] and row.mobile == "13800000001"


@pytest.mark.parametrize(
    "mobile", ["123", "23800000001", "1380000000a", "138000000012", "0755-1234567"]
)
def test_a_mobile_that_is_not_mainland_is_a_problem(mobile):
    row = parse_row(raw(mobile=mobile, pickup_mobile=mobile))
    assert [p.column for p in row.problems] == ["mobile", "pickup_mobile"]
    assert "11 位" in row.problems[0].message


@pytest.mark.parametrize(
    "value",
    [datetime(2018, 5, 1), date(2018, 5, 1), "2018-05-01", "2018-5-1", "2018/5/1", "2018.5.1",
     "2018年5月1日", "2018年05月01日", "2018-05-01 00:00:00", 20180501, "20180501", 43221],
)  # fmt: skip
def test_dates_of_birth_are_read_in_every_common_form(value):
    row = parse_row(raw(date_of_birth=value))
    assert row.problems == []
    assert row.date_of_birth == date(2018, 5, 1)


def test_future_and_implausible_dates_of_birth_are_problems():
    today = timezone.localdate()
    future = parse_row(raw(date_of_birth=today + timedelta(days=3)))
    old = parse_row(raw(date_of_birth=date(1990, 3, 1)))
    unreadable = [parse_row(raw(date_of_birth=v)) for v in ("2018-02-30", "05/01/2018", "去年")]
    assert "晚于今天" in future.problems[0].message
    assert "18" in old.problems[0].message
    for row in unreadable:
        assert [p.column for p in row.problems] == ["date_of_birth"]
        assert "2019年7月15日" in row.problems[0].message


@pytest.mark.parametrize(
    "written, province",
    [("广东", "guangdong"), ("广东省", "guangdong"), ("Guangdong", "guangdong"),
     ("guangdong province", "guangdong"), ("广西壮族自治区", "guangxi"),
     ("内蒙古", "inner_mongolia"),
     ("Shaanxi", "shaanxi"), ("山西", "shanxi"), ("重庆市", "chongqing")],
)  # fmt: skip
def test_provinces_are_read_in_chinese_or_english(written, province):
    assert parse_row(raw(province=written)).province == province


@pytest.mark.parametrize(
    "written, sex", [("男", "m"), ("女", "f"), ("M", "m"), ("f", "f"), ("boy", "m"), ("Girl", "f"),
                     ("男孩", "m"), ("女童", "f")],
)  # fmt: skip
def test_sex_is_read_in_chinese_or_english(written, sex):
    assert parse_row(raw(sex=written)).sex == sex


@pytest.mark.parametrize(
    "written, relation",
    [("外婆", "grandmother"), ("姥姥", "grandmother"), ("爷爷", "grandfather"), ("妈妈", "mother"),
     ("Father", "father"), ("舅舅", "uncle"), ("阿姨", "aunt"), ("姐姐", "sibling"),
     ("邻居", "neighbour"), ("Neighbor", "neighbour"), ("奶奶/外婆", "grandmother"),
     ("其他亲属", "relative"), ("Other relative", "relative"), ("其他", "other")],
)  # fmt: skip
def test_relations_in_chinese_or_english_map_onto_the_portals_relations(written, relation):
    assert parse_row(raw(pickup_relation=written)).pickup_relation == relation


def test_unknown_words_are_problems_that_say_what_to_write():
    row = parse_row(raw(province="火星", sex="?", pickup_relation="老板"))
    assert [p.column for p in row.problems] == ["province", "sex", "pickup_relation"]
    assert "四川" in row.problems[0].message and "男" in row.problems[1].message


def test_required_cells_left_empty_are_named():
    row = parse_row(raw(employee_no=None, child_name=" ", date_of_birth=None))
    assert [p.column for p in row.problems] == ["employee_no", "child_name", "date_of_birth"]
    assert row.problems[0].message == "请填写工号。"


def test_a_pickup_adult_needs_a_relation_and_a_child():
    no_relation = parse_row(raw(pickup_relation=""))
    no_child = parse_row(raw(child_name=None, sex=None, date_of_birth=None, allergies=None))
    assert [p.column for p in no_relation.problems] == ["pickup_relation"]
    assert [p.column for p in no_child.problems] == ["child_name"]


def test_a_worker_without_a_child_is_a_row_of_its_own():
    row = parse_row(
        raw(child_name=None, sex=None, date_of_birth=None, allergies=None, pickup_name=None,
            pickup_relation=None, pickup_mobile=None)
    )  # fmt: skip
    assert row.problems == [] and not row.has_child


def test_no_allergy_words_mean_an_empty_cell():
    assert parse_row(raw(allergies="无")).allergies == ""
    assert parse_row(raw(allergies="花生")).allergies == "花生"


def test_too_long_values_are_problems():
    row = parse_row(raw(child_name="王" * 51, allergies="花生" * 200))
    assert [p.column for p in row.problems] == ["child_name", "allergies"]


def test_numbers_typed_as_numbers_keep_their_digits():
    row = parse_row(raw(employee_no=1001.0, mobile=13800000001))
    assert (row.employee_no, row.mobile) == ("1001", "13800000001")


def test_duplicate_employee_numbers_with_different_names_are_problems():
    data = rosters.xlsx(
        [
            rosters.row(employee_no="A001", worker="王芳", child="李小明"),
            rosters.row(employee_no="A001", worker="王方", child="李小红"),
            rosters.row(employee_no="A001", worker="王芳", child="李小刚", mobile="13800000002"),
        ]
    )
    problems = problems_of(data)
    assert [(row, column) for row, column, _m in problems] == [(3, "worker_name"), (4, "mobile")]
    assert "第 2 行" in problems[0][2] and "王芳" in problems[0][2]


def test_a_child_written_twice_with_other_birthdays_or_sexes_is_a_problem():
    data = rosters.xlsx(
        [
            rosters.row(child="李小明", born=date(2018, 5, 1)),
            rosters.row(child="李小明", born=date(2018, 6, 1), pickup="李建国", relation="爷爷"),
            rosters.row(child="李小明", born=date(2018, 5, 1), sex="女", pickup="李建国",
                        relation="爷爷"),
        ]
    )  # fmt: skip
    assert [(row, column) for row, column, _m in problems_of(data)] == [
        (3, "date_of_birth"),
        (4, "sex"),
    ]


def test_a_row_repeated_word_for_word_is_noted_not_refused():
    rows = rows_of(rosters.xlsx([rosters.row(), rosters.row()]))
    assert [r.problems for r in rows] == [[], []]
    assert "第 2 行" in rows[1].notes[0]


def test_messages_follow_the_users_language():
    with translation.override("en"):
        row = parse_row(raw(mobile="123"))
    assert row.problems[0].message.startswith("“123” has 3 digits; a mainland mobile number")


CELLS = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
    st.sampled_from(["13800000001", "2018-05-01", "男", "外婆", "四川", "=cmd|' /C calc'!A0"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.fixed_dictionaries({c.key: CELLS for c in COLUMNS}))
def test_no_cell_makes_the_row_parser_fail(cells):
    row = parse_row(RawRow(number=2, cells=cells))
    for problem in row.problems:
        assert problem.row == 2 and problem.message
    if not row.problems and row.has_child:
        assert row.child_name and row.sex in ("m", "f") and row.date_of_birth


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.fixed_dictionaries({c.key: CELLS for c in COLUMNS}), min_size=1, max_size=6)
)
def test_no_rows_make_the_cross_row_checks_fail(rows):
    from enrollment.roster.reading import RawSheet

    sheet = RawSheet(
        format="xlsx",
        header_row=1,
        columns={c.key: i for i, c in enumerate(COLUMNS)},
        rows=[RawRow(number=n + 2, cells=cells) for n, cells in enumerate(rows)],
    )
    for row in check_rows(sheet):
        assert all(p.message for p in row.problems)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=400))
def test_no_bytes_make_the_reader_fail_other_than_with_a_message(data):
    try:
        read_roster(data)
    except RosterFileError as error:
        assert error.messages


@settings(max_examples=100, deadline=None)
@given(value=CELLS)
def test_parse_date_returns_a_date_or_none(value):
    assert parse_date(value) is None or isinstance(parse_date(value), date)
