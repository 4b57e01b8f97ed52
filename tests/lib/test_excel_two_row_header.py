"""Issue 12: a header written on two rows with merged cells (a group title over its sub-headers,
other headers merged down both rows) is read, not refused as 缺少必填列."""

import io

from openpyxl import Workbook

from lib.excel import Column, read_table

COLUMNS = [
    Column(key="name", header="姓名"),
    Column(key="id_number", header="证件号码", kind="id_number"),
    Column(key="years", header="从事本职业年限", kind="decimal"),
    Column(key="prior_level", header="原证书等级", kind="int", required=False),
]


def two_row_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["考生名单"])  # a title row, merged across
    sheet.merge_cells("A1:E1")
    sheet.append(["基本信息", None, "从事本职业年限", "原证书", None])
    sheet.append(["姓名", "证件号码", None, "等级", "取得日期"])
    sheet.merge_cells("A2:B2")
    sheet.merge_cells("C2:C3")
    sheet.merge_cells("D2:E2")
    sheet.append(["张伟", "441900198501031234", 7, 4, "2019-06-30"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_two_row_header_with_merged_cells_is_read():
    table = read_table(io.BytesIO(two_row_workbook()), columns=COLUMNS, filename="名单.xlsx")

    assert table.errors == []
    (row_number, row), *_ = table.rows
    assert row_number == 4
    assert (row["name"], row["id_number"], str(row["years"]), row["prior_level"]) == (
        "张伟",
        "441900198501031234",
        "7",
        4,
    )
