"""Shared Excel/CSV reading and writing (lib.excel): the messy files HR clerks really upload."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lib.excel import Column, ParsedTable, RowError, normalise_text, read_table
from tests.lib.excel_samples import (
    BIRTH,
    EMPLOYED,
    GOOD_ROW,
    GOOD_VALUES,
    HEADERS,
    ID_NUMBER,
    NAME,
    ROSTER,
    SCORE,
    SEX,
    YEARS,
    error_of,
    only_message,
    read_xlsx,
    value_of,
    xlsx,
)


# --- normalise_text ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("　张　三　", "张 三"),
        ("ＡＢＣ１２３", "ABC123"),
        ("数控  车工\t\n", "数控 车工"),
        ("\u200b张三\ufeff", "张三"),
        (None, ""),
        (85.0, "85"),
        (85.5, "85.5"),
        (dt.date(2026, 11, 25), "2026-11-25"),
    ],
)
def test_normalise_text_turns_full_width_and_stray_whitespace_into_plain_text(raw, expected):
    assert normalise_text(raw) == expected


# --- headers -------------------------------------------------------------------------------
def test_it_finds_a_decorated_header_below_a_title_row():
    table = read_xlsx(
        ["2026 年第一批 考生名单"],
        [],
        ["*姓名", "身份证号（必填）", " 性　别 ", "出生日期\n(必填)", "理论成绩　", "序号"],
        ["张三", "44190019900101123X", "女", "1990-01-01", "90", "1"],
    )
    assert table.ok, [str(error) for error in table.errors]
    assert table.rows == [
        (4, {**GOOD_VALUES, "sex": "2", "score": Decimal("90.0"), "years": None, "employed": None}),
    ]


def test_it_reports_each_missing_required_column_once_by_name():
    table = read_xlsx(["姓名", "证件号码", "出生日期"], ["张三", "44190019900101123X", "1990-01-01"])
    assert [str(error) for error in table.errors] == ["缺少必填列「性别」，请使用系统提供的模板，不要修改或删除表头"]
    assert table.rows == []


def test_it_ignores_unknown_columns_and_fills_missing_optional_ones_with_empty_values():
    table = read_xlsx(
        ["备注", "姓名", "证件号码", "性别", "出生日期"], ["老员工", "张三", "44190019900101123X", "男", "1990-01-01"]
    )
    assert table.ok
    assert table.rows == [(2, {**GOOD_VALUES, "score": None, "years": None, "employed": None})]


def test_it_refuses_a_column_that_appears_twice():
    table = read_xlsx([*HEADERS, "身份证号码"], [*GOOD_ROW, "44190019900101123X"])
    assert only_message(table) == "「证件号码」列出现了不止一次，请删除多余的列"


def test_it_looks_for_the_header_only_in_the_first_ten_rows():
    table = read_xlsx(*([["说明"]] * 10), HEADERS, GOOD_ROW)
    assert "找不到表头" in only_message(table)


def test_it_keeps_two_bracketed_headers_apart_when_only_the_brackets_differ():
    theory = Column(key="theory", header="成绩(理论)", kind="int")
    practice = Column(key="practice", header="成绩(操作)", kind="int")
    table = read_xlsx(["成绩（操作）", "*成绩（理论）（必填）"], [70, 80], columns=[theory, practice])
    assert table.rows == [(2, {"theory": 80, "practice": 70})]


# --- rows and errors -----------------------------------------------------------------------
def test_it_skips_empty_rows_but_keeps_the_row_numbers_the_clerk_sees():
    table = read_xlsx(HEADERS, GOOD_ROW, [], [None, "  ", "　", None], GOOD_ROW)
    assert table.ok
    assert [number for number, _values in table.rows] == [2, 5]


def test_it_collects_every_error_instead_of_stopping_at_the_first():
    table = read_xlsx(
        HEADERS,
        ["", "44190019900101123X", "未知", "1990-01-01", "85.5", "3", "是"],
        GOOD_ROW,
        ["李四", 4.41900199001011e17, "女", "2026-02-30", "120", "2.5", "也许"],
    )
    assert [(error.row, error.column) for error in table.errors] == [
        (2, "姓名"),
        (2, "性别"),
        (4, "证件号码"),
        (4, "出生日期"),
        (4, "理论成绩"),
        (4, "工作年限"),
        (4, "是否在职"),
    ]
    assert [number for number, _values in table.rows] == [3]
    assert not table.ok


def test_an_error_reads_row_then_column_then_what_to_do():
    rows = [["评价考生名单"], HEADERS] + [GOOD_ROW] * 9 + [["张三", 44190019900101123, "男", "1990-01-01"]]
    table = read_xlsx(*rows)
    assert [str(error) for error in table.errors] == [
        "第 12 行「证件号码」：证件号码被 Excel 存成了数字，末位或 X 可能已丢失，请把该列设为“文本”后重新填写"
    ]


def test_row_errors_format_as_the_clerk_reads_them():
    assert (
        str(RowError(12, "证件号码", "校验位错误，请核对后重新上传"))
        == "第 12 行「证件号码」：校验位错误，请核对后重新上传"
    )
    assert str(RowError(7, "", "与第 3 行重复")) == "第 7 行：与第 3 行重复"
    assert str(RowError(0, "", "文件是空的")) == "文件是空的"


def test_callers_add_their_own_errors_to_a_parsed_table():
    table = ParsedTable()
    assert table.ok
    table.add_error(5, "证件号码", "与第 3 行重复")
    assert not table.ok
    assert table.errors == [RowError(row=5, column="证件号码", message="与第 3 行重复")]


def test_it_refuses_more_rows_than_allowed_with_one_file_level_error():
    assert read_xlsx(HEADERS, GOOD_ROW, [], GOOD_ROW, GOOD_ROW, max_rows=3).ok
    table = read_xlsx(HEADERS, *([GOOD_ROW] * 4), max_rows=3)
    assert only_message(table) == "数据超过 3 行，请拆分成多个文件分批上传"
    assert table.rows == []


# --- cells by kind -------------------------------------------------------------------------
def test_a_required_empty_cell_is_reported_as_required():
    table = read_xlsx(["姓名", "出生日期"], ["  ", "1990-01-01"], ["张三", None], columns=[NAME, BIRTH])
    assert [str(error) for error in table.errors] == [
        "第 2 行「姓名」：必填项，不能为空",
        "第 3 行「出生日期」：必填项，不能为空",
    ]


def test_text_longer_than_allowed_is_refused():
    assert value_of(NAME, " 欧阳  娜娜 ") == "欧阳 娜娜"
    assert error_of(NAME, "一二三四五六七八九十一") == "不能超过 10 个字（现有 11 个），请删减"


@pytest.mark.parametrize(
    "raw",
    [
        "44190019900101123x",
        "４４１９００１９９００１０１１２３Ｘ",
        " 441900 19900101 123X ",
        "'44190019900101123X",
    ],
)
def test_an_id_number_typed_as_text_is_upper_cased_and_stripped_of_spaces(raw):
    assert value_of(ID_NUMBER, raw) == "44190019900101123X"


@pytest.mark.parametrize("raw", [4.41900199001011e17, 441900199001011234, 441900900101123, "4.41900E+17"])
def test_an_id_number_stored_as_a_number_is_refused(raw):
    assert error_of(ID_NUMBER, raw) == "证件号码被 Excel 存成了数字，末位或 X 可能已丢失，请把该列设为“文本”后重新填写"


def test_a_short_whole_number_in_an_id_column_is_kept_as_text():
    assert value_of(ID_NUMBER, 12345678) == "12345678"


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-25",
        "2026/11/25",
        "2026.11.25",
        "2026年11月25日",
        "２０２６年１１月２５日",
        "20261125",
        " 2026-11-25 00:00:00 ",
        "2026/11/25 8:30",
        dt.datetime(2026, 11, 25),
        dt.datetime(2026, 11, 25, 14, 30),
        46351,
        46351.5,
        "46351",
        20261125,
    ],
)
def test_a_date_is_read_from_text_real_dates_and_serial_numbers(raw):
    assert value_of(BIRTH, raw) == dt.date(2026, 11, 25)


def test_a_date_with_single_digit_month_and_day_is_read():
    assert value_of(BIRTH, "2026-1-5") == dt.date(2026, 1, 5)


@pytest.mark.parametrize("raw", ["2026-02-30", "2026年13月1日", "20260230"])
def test_an_impossible_date_is_reported_as_not_existing(raw):
    assert error_of(BIRTH, raw).startswith("日期不存在")


@pytest.mark.parametrize("raw", ["明年春天", "11/25/2026", "2026-11", "2026", 2026.5e10, True])
def test_an_unreadable_date_asks_for_the_standard_form(raw):
    assert error_of(BIRTH, raw) == "日期格式无法识别，请填写为 2026-11-25 的形式"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("85.5", Decimal("85.5")),
        ("８５．５", Decimal("85.5")),
        (" 85 ", Decimal("85.0")),
        (0.1 + 0.2, Decimal("0.3")),
        (100, Decimal("100.0")),
        ("85.50", Decimal("85.5")),
    ],
)
def test_a_decimal_is_read_from_numbers_and_full_width_text(raw, expected):
    assert value_of(SCORE, raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("85.55", "最多保留 1 位小数"),
        ("100.5", "应在 0 到 100 之间"),
        (-1, "应在 0 到 100 之间"),
        ("八十五", "应填写数字，如 85 或 85.5"),
        ("85分", "应填写数字，如 85 或 85.5"),
        ("nan", "应填写数字，如 85 或 85.5"),
    ],
)
def test_a_decimal_out_of_range_or_too_precise_is_refused(raw, message):
    assert error_of(SCORE, raw) == message


def test_a_large_amount_may_use_thousands_separators():
    amount = Column(key="amount", header="金额", kind="decimal", decimals=2)
    assert value_of(amount, "1,234,567.5") == Decimal("1234567.50")


@pytest.mark.parametrize(("raw", "expected"), [("3", 3), ("３", 3), (3.0, 3), ("3.0", 3), (0, 0)])
def test_an_integer_is_read_from_numbers_and_text(raw, expected):
    assert value_of(YEARS, raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"), [(2.5, "应为整数，不能带小数"), ("三年", "应填写整数，如 3"), ("61", "应在 0 到 60 之间")]
)
def test_an_integer_with_a_fraction_or_out_of_range_is_refused(raw, message):
    assert error_of(YEARS, raw) == message


@pytest.mark.parametrize("raw", ["是", "Y", "y", "yes", "TRUE", "true", "1", 1, "√", True])
def test_a_yes_is_read_as_true(raw):
    assert value_of(EMPLOYED, raw) is True


@pytest.mark.parametrize("raw", ["否", "N", "no", "false", "0", 0, "×", False])
def test_a_no_is_read_as_false(raw):
    assert value_of(EMPLOYED, raw) is False


def test_an_unknown_yes_or_no_is_refused():
    assert error_of(EMPLOYED, "也许") == "应填写“是”或“否”"


def test_an_empty_optional_cell_reads_as_empty():
    table = read_xlsx(["姓名", "理论成绩", "是否在职"], ["张三", None, " "], columns=[NAME, SCORE, EMPLOYED])
    assert table.rows == [(2, {"name": "张三", "score": None, "employed": None})]


@pytest.mark.parametrize(("raw", "expected"), [("男", "1"), (" 女性 ", "2"), ("男性", "1")])
def test_a_choice_accepts_its_labels_and_aliases(raw, expected):
    assert value_of(SEX, raw) == expected


def test_a_choice_outside_the_list_names_the_allowed_labels():
    assert error_of(SEX, "1") == "只能填写以下之一：男、女"


def test_a_choice_of_numbers_matches_numeric_cells():
    level = Column(key="level", header="等级", kind="choice", choices={"3": "3", "三级": "3", "三级/高级工": "3"})
    assert value_of(level, 3) == "3"
    assert value_of(level, "三级/高级工") == "3"


def test_a_column_of_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="kind"):
        Column(key="x", header="某列", kind="money")
    with pytest.raises(ValueError, match="choices"):
        Column(key="x", header="某列", kind="choice")


# --- CSV -----------------------------------------------------------------------------------
def csv_bytes(text, encoding):
    return text.replace("\n", "\r\n").encode(encoding)


def test_a_csv_saved_by_excel_in_gbk_is_read():
    text = "姓名,证件号码,性别,出生日期,理论成绩\n张三,44190019900101123x,女,2026/11/25,８５．５\n,,,,\n"
    table = read_table(io.BytesIO(csv_bytes(text, "gbk")), columns=ROSTER, filename="名单.csv")
    assert table.ok, [str(error) for error in table.errors]
    assert table.rows == [
        (2, {**GOOD_VALUES, "sex": "2", "birth_date": dt.date(2026, 11, 25), "years": None, "employed": None})
    ]


def test_a_csv_in_utf8_with_a_byte_order_mark_is_read():
    text = "姓名,证件号码,性别,出生日期\n张三,44190019900101123X,男,1990-01-01\n"
    table = read_table(io.BytesIO(csv_bytes(text, "utf-8-sig")), columns=ROSTER, filename="名单.csv")
    assert table.rows == [(2, {**GOOD_VALUES, "score": None, "years": None, "employed": None})]


def test_an_id_number_kept_as_text_by_a_csv_formula_is_read():
    text = '姓名,证件号码,性别,出生日期\n张三,"=""44190019900101123X""",男,1990-01-01\n'
    table = read_table(io.BytesIO(csv_bytes(text, "gbk")), columns=ROSTER, filename="名单.csv")
    assert table.rows[0][1]["id_number"] == "44190019900101123X"


def test_an_id_number_that_excel_turned_into_scientific_notation_in_a_csv_is_refused():
    text = "姓名,证件号码,性别,出生日期\n张三,4.41900E+17,男,1990-01-01\n"
    table = read_table(io.BytesIO(csv_bytes(text, "gbk")), columns=ROSTER, filename="名单.csv")
    assert [(error.row, error.column) for error in table.errors] == [(2, "证件号码")]


def test_an_uploaded_file_is_read_by_its_own_name():
    upload = SimpleUploadedFile("名单.csv", csv_bytes("姓名\n张三\n", "gbk"))
    upload.read()  # a view may have read it already
    assert read_table(upload, columns=[NAME]).rows == [(2, {"name": "张三"})]


def test_a_file_on_disk_is_read_by_its_path(tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(xlsx(["姓名"], ["张三"]))
    assert read_table(path, columns=[NAME]).rows == [(2, {"name": "张三"})]
    assert read_table(str(path), columns=[NAME]).rows == [(2, {"name": "张三"})]


# --- unreadable files ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "filename", "fragment"),
    [
        (b"PK\x03\x04 definitely not a workbook", "名单.xlsx", "无法读取"),
        (b"\x00\x01\x02 random bytes", "名单.xlsx", "无法读取"),
        (xlsx(["姓名"], ["张三"])[:1500], "名单.xlsx", "无法读取"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "名单.xls", ".xls"),
        (b"%PDF-1.7", "名单.pdf", "只支持 .xlsx 或 .csv"),
        (b"", "名单.xlsx", "空的"),
        (b"\xff\xfe\x00\xd8\x00\xdc", "名单.csv", "编码"),
    ],
)
def test_an_unreadable_file_gives_one_chinese_error_and_no_exception(data, filename, fragment):
    table = read_table(io.BytesIO(data), columns=ROSTER, filename=filename)
    assert fragment in only_message(table)
    assert table.rows == []


def test_a_missing_file_on_disk_gives_an_error_not_an_exception(tmp_path):
    assert "无法读取" in only_message(read_table(tmp_path / "无.xlsx", columns=ROSTER))


def test_a_workbook_that_unpacks_to_too_much_data_is_refused(settings):
    settings.SKILLCERT_UPLOAD_XLSX_UNPACKED_MAX_BYTES = 1000
    assert "解压后超过" in only_message(read_xlsx(HEADERS, GOOD_ROW))


def test_a_csv_with_no_header_says_where_it_looked():
    table = read_table(io.BytesIO("甲,乙\n1,2\n".encode()), columns=ROSTER, filename="名单.csv")
    assert only_message(table) == "前 10 行中找不到表头（如「姓名」「证件号码」「性别」），请使用系统提供的模板"


def test_a_column_with_its_own_example_says_it_instead_of_a_score():
    """Issue 12: the years column answered a wrong cell with "如 85 或 85.5", which reads like a score."""
    years = Column(key="years", header="本职业工作年限", kind="decimal", decimals=1, example="7")
    assert error_of(years, "七年") == "应填写数字，如 7"
