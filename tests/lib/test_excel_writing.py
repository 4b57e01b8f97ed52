"""lib.excel writing: import templates (example rows, drop-downs, explanations) and exports that keep
IDs and numbers as text and read back through the importer."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook

from lib.excel import Column, read_table, write_table, write_template
from tests.lib.excel_samples import (
    GOOD_VALUES,
    HEADERS,
    NAME,
    ROSTER,
)

# --- templates -----------------------------------------------------------------------------
EXAMPLE = {
    "name": "张三",
    "id_number": "44190019900101123X",
    "sex": "1",
    "birth_date": dt.date(1990, 1, 1),
    "score": Decimal("85.5"),
    "years": 3,
    "employed": True,
}


def template_workbook(**kwargs):
    data = write_template(columns=ROSTER, sheet_title="考生名单", **kwargs)
    return data, load_workbook(io.BytesIO(data))


def test_a_template_with_example_rows_reads_back_cleanly():
    second = {**EXAMPLE, "name": "李四", "sex": "女", "id_number": "441900199202021234", "employed": False}
    data, _workbook = template_workbook(example_rows=[EXAMPLE, second])
    table = read_table(io.BytesIO(data), columns=ROSTER, filename="考生名单.xlsx")
    assert table.ok, [str(error) for error in table.errors]
    assert table.rows == [
        (2, {**EXAMPLE, "score": Decimal("85.5")}),
        (3, {**second, "sex": "2"}),
    ]


def test_an_empty_template_reads_back_as_no_rows_not_two_thousand_empty_ones():
    data, _workbook = template_workbook()
    table = read_table(io.BytesIO(data), columns=ROSTER, filename="考生名单.xlsx")
    assert table.ok
    assert table.rows == []


def test_a_template_keeps_id_numbers_as_text_and_dates_as_dates():
    _data, workbook = template_workbook(example_rows=[EXAMPLE])
    sheet = workbook["考生名单"]
    assert sheet.cell(row=2, column=2).value == "44190019900101123X"
    assert all(sheet.cell(row=row, column=2).number_format == "@" for row in (2, 3, 1000, 2001))
    assert sheet.cell(row=2, column=1).number_format == "@"
    assert sheet.cell(row=500, column=4).number_format == "yyyy-mm-dd"
    assert sheet.cell(row=2, column=4).value == dt.datetime(1990, 1, 1)


def test_a_template_marks_required_columns_and_freezes_the_header():
    _data, workbook = template_workbook()
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers == ["*姓名", "*证件号码", "*性别", "*出生日期", "理论成绩", "工作年限", "是否在职"]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= 20


def test_a_template_offers_drop_downs_for_choices_and_yes_or_no():
    _data, workbook = template_workbook()
    validations = {str(v.sqref): v.formula1 for v in workbook.worksheets[0].data_validations.dataValidation}
    assert validations == {"C2:C2001": '"男,女"', "G2:G2001": '"是,否"'}


def test_a_long_choice_list_goes_to_a_hidden_sheet():
    labels = {f"职业名称{i:03d}": str(i) for i in range(60)}
    occupation = Column(key="occupation", header="职业", kind="choice", choices=labels)
    workbook = load_workbook(io.BytesIO(write_template(columns=[NAME, occupation], sheet_title="名单")))
    (validation,) = workbook.worksheets[0].data_validations.dataValidation
    assert validation.formula1 == "'选项'!$B$1:$B$60"
    assert workbook["选项"].sheet_state == "hidden"
    assert workbook["选项"]["B60"].value == "职业名称059"


def test_a_template_explains_every_column_on_a_second_sheet():
    _data, workbook = template_workbook(notes=["考生须为本单位在职职工。"])
    assert workbook.sheetnames[:2] == ["考生名单", "填写说明"]
    rows = [row for row in workbook["填写说明"].iter_rows(values_only=True) if any(row)]
    assert ("考生须为本单位在职职工。", None, None, None) in rows
    by_header = {row[0]: row for row in rows}
    assert by_header["姓名"][1:] == ("必填", "不超过 10 个字", "张三")
    assert by_header["理论成绩"][1:3] == ("选填", "数字，0 到 100，最多 1 位小数")
    assert "男、女" in by_header["性别"][2]


# --- exports -------------------------------------------------------------------------------
def exported(*sheets):
    return load_workbook(io.BytesIO(write_table(sheets=list(sheets))))


def test_an_export_keeps_ids_and_certificate_numbers_as_text_and_dates_as_real_dates():
    issued_at = dt.datetime(2026, 11, 25, 2, 30, tzinfo=dt.UTC)
    workbook = exported(
        (
            "证书清单",
            ["姓名", "证件号码", "证书编号", "发证日期", "打印时间", "成绩", "是否补发"],
            [
                [
                    "张三",
                    "44190019900101123X",
                    "Y000044001234263000017",
                    dt.date(2026, 11, 25),
                    issued_at,
                    Decimal("85.5"),
                    False,
                ]
            ],
        )
    )
    sheet = workbook["证书清单"]
    id_cell, number_cell, date_cell, time_cell, score_cell = (sheet[f"{c}2"] for c in "BCDEF")
    assert (id_cell.data_type, id_cell.value, id_cell.number_format) == ("s", "44190019900101123X", "@")
    assert (number_cell.data_type, number_cell.number_format) == ("s", "@")
    assert date_cell.is_date and date_cell.value == dt.datetime(2026, 11, 25)
    assert date_cell.number_format == "yyyy-mm-dd"
    assert time_cell.value == dt.datetime(2026, 11, 25, 10, 30)  # shown in Asia/Shanghai
    assert time_cell.number_format == "yyyy-mm-dd hh:mm"
    assert score_cell.value == 85.5
    assert score_cell.number_format == "0.0"
    assert sheet["G2"].value == "否"


def test_an_export_has_a_bold_frozen_header_and_sized_columns():
    sheet = exported(("名单", ["姓名", "职业名称"], [["张三", "数控车工（数控车床操作）"]])).worksheets[0]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width


def test_an_export_never_turns_user_text_into_a_formula():
    sheet = exported(("名单", ["姓名"], [['=HYPERLINK("http://x")']])).worksheets[0]
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value == '=HYPERLINK("http://x")'


def test_an_export_writes_a_number_too_long_for_excel_as_text():
    sheet = exported(("名单", ["编号"], [[441900199001011234]])).worksheets[0]
    assert sheet["A2"].value == "441900199001011234"


def test_an_export_gives_each_sheet_a_valid_unique_title():
    workbook = exported(("名单/2026", ["a"], []), ("名单2026", ["a"], []), ("x" * 40, ["a"], []))
    assert workbook.sheetnames == ["名单2026", "名单2026(2)", "x" * 31]


def test_an_export_reads_back_through_the_importer():
    data = write_table(
        sheets=[("名单", HEADERS, [["张三", "44190019900101123X", "男", dt.date(1990, 1, 1), 85.5, 3, True]])]
    )
    table = read_table(io.BytesIO(data), columns=ROSTER, filename="名单.xlsx")
    assert table.rows == [(2, GOOD_VALUES)]
