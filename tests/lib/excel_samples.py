"""The columns and rows the lib.excel tests read and write: a typical roster with one column of each
kind, a row that parses cleanly and what it parses to, and small helpers (no database)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from openpyxl import Workbook

from lib.excel import Column, read_table

NAME = Column(key="name", header="姓名", max_length=10, example="张三")
ID_NUMBER = Column(key="id_number", header="证件号码", aliases=("身份证号", "身份证号码"), kind="id_number")
SEX = Column(key="sex", header="性别", kind="choice", choices={"男": "1", "女": "2", "男性": "1", "女性": "2"})
BIRTH = Column(key="birth_date", header="出生日期", kind="date")
SCORE = Column(
    key="score",
    header="理论成绩",
    kind="decimal",
    required=False,
    min_value=Decimal(0),
    max_value=Decimal(100),
    decimals=1,
)
YEARS = Column(key="years", header="工作年限", kind="int", required=False, min_value=Decimal(0), max_value=Decimal(60))
EMPLOYED = Column(key="employed", header="是否在职", kind="bool", required=False)
ROSTER = [NAME, ID_NUMBER, SEX, BIRTH, SCORE, YEARS, EMPLOYED]
HEADERS = [column.header for column in ROSTER]
GOOD_ROW = ["张三", "44190019900101123X", "男", "1990-01-01", "85.5", "3", "是"]
GOOD_VALUES = {
    "name": "张三",
    "id_number": "44190019900101123X",
    "sex": "1",
    "birth_date": dt.date(1990, 1, 1),
    "score": Decimal("85.5"),
    "years": 3,
    "employed": True,
}


def xlsx(*rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_xlsx(*rows, columns=ROSTER, **kwargs):
    return read_table(io.BytesIO(xlsx(*rows)), columns=columns, filename="名单.xlsx", **kwargs)


def value_of(column, raw):
    table = read_xlsx([column.header], [raw], columns=[column])
    assert table.ok, [str(error) for error in table.errors]
    return table.rows[0][1][column.key]


def error_of(column, raw):
    table = read_xlsx([column.header], [raw], columns=[column])
    assert len(table.errors) == 1, table.errors
    assert table.rows == []
    return table.errors[0].message


def only_message(table):
    assert len(table.errors) == 1, [str(error) for error in table.errors]
    assert table.errors[0].row == 0
    return table.errors[0].message
