"""Real roster files for the tests: .xlsx made with openpyxl, CSV in UTF-8 or GBK."""

import csv
import io
from datetime import date

from openpyxl import Workbook

HEADER = [
    "工号/Employee No.",
    "员工姓名/Worker name",
    "部门/Department",
    "手机/Mobile",
    "户籍省份/Home province",
    "孩子姓名/Child name",
    "性别/Sex",
    "出生日期/Date of birth",
    "过敏及健康/Allergies and health",
    "接送人/Pickup adult",
    "接送人关系/Pickup relation",
    "接送人手机/Pickup mobile",
]
HEADER_ZH = [h.split("/")[0] for h in HEADER]
HEADER_EN = [h.split("/")[1] for h in HEADER]


def row(
    employee_no="A001",
    worker="王芳",
    department="装配一线",
    mobile="13800000001",
    province="四川",
    child="李小明",
    sex="男",
    born=date(2018, 5, 1),
    allergies="",
    pickup="王秀英",
    relation="外婆",
    pickup_mobile="13900000001",
):
    return [
        employee_no,
        worker,
        department,
        mobile,
        province,
        child,
        sex,
        born,
        allergies,
        pickup,
        relation,
        pickup_mobile,
    ]


def family_rows(n: int, start: int = 0) -> list[list]:
    """``n`` rows: families of one or two children with a grandparent who collects them."""
    surnames = "王李张刘陈杨黄赵吴周"
    given = ["小明", "欣怡", "子涵", "浩然", "梓萱", "宇轩", "诗琪", "俊杰", "雨桐", "明轩"]
    rows = []
    for i in range(start, start + n):
        family = i // 2
        rows.append(
            row(
                employee_no=f"E{family:05d}",
                worker=surnames[family % 10] + given[(family // 10) % 10] + "父",
                mobile=f"138{family:08d}",
                child=surnames[family % 10] + given[i % 10] + str(i),
                born=date(2015 + i % 8, 1 + i % 12, 1 + i % 28),
                pickup=surnames[(family + 3) % 10] + "秀英" + str(family),
                pickup_mobile=f"139{family:08d}",
            )
        )
    return rows


def xlsx(rows, header=HEADER, *, before=(), merge=(), sheet_title="名单") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    for line in before:
        sheet.append(line)
    sheet.append(header)
    for line in rows:
        sheet.append(list(line))
    for cells in merge:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, header=HEADER, *, encoding="utf-8-sig", delimiter=",") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    for line in rows:
        writer.writerow(
            ["" if v is None else v.isoformat() if isinstance(v, date) else v for v in line]
        )
    return buffer.getvalue().encode(encoding)
