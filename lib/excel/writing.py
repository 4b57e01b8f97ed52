"""Write exports and import templates: typed values, sized columns, drop-downs and filling notes."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from lib.excel.cells import Column, choice_labels, display_width, normalise_text, plain_number

TEMPLATE_ROWS = 2000
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
_HEADER_FONT = Font(bold=True)
_REQUIRED_FONT = Font(bold=True, color="C00000")
_HEADER_FILL = PatternFill("solid", fgColor="E7E6E6")
_NUMBER_LIKE_RE = re.compile(r"^[A-Za-z]{0,2}\d{6,}[0-9Xx]?$")
_SHEET_TITLE_RE = re.compile(r"[\[\]:*?/\\]")
_OPTIONS_SHEET = "选项"


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_TITLE_RE.sub("", str(title)).strip("' ")[:31] or "Sheet"
    candidate, counter = base, 2
    while candidate.casefold() in used:
        suffix = f"({counter})"
        candidate, counter = base[: 31 - len(suffix)] + suffix, counter + 1
    used.add(candidate.casefold())
    return candidate


def _clean_string(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _set_widths(sheet: Any, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _export_value(value: Any) -> tuple[Any, str | None]:
    """The value to store and the number format it needs (None: General)."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value, DATETIME_FORMAT
    if isinstance(value, dt.date):
        return value, DATE_FORMAT
    if isinstance(value, bool):
        return (_("是") if value else _("否")), None
    if isinstance(value, int) and abs(value) >= 10**15:
        return str(value), "@"  # Excel keeps only 15 significant digits of a number
    if isinstance(value, Decimal):
        places = max(0, -int(value.as_tuple().exponent)) if value.is_finite() else 0
        return value, ("0." + "0" * places if places else None)
    if value is None or isinstance(value, int | float):
        return value, None
    text = _clean_string(str(value))
    return text, ("@" if _NUMBER_LIKE_RE.match(text) else None)


def _needs_cell(stored: Any, number_format: str | None) -> bool:
    return number_format is not None or (isinstance(stored, str) and stored.startswith("="))


def _export_cell(sheet: Any, value: Any) -> Any:
    """A plain value where General will do: a styled cell per value costs a write-only export double."""
    stored, number_format = _export_value(value)
    return _styled_cell(WriteOnlyCell(sheet), value) if _needs_cell(stored, number_format) else stored


def _styled_cell(cell: Any, value: Any) -> Any:
    stored, number_format = _export_value(value)
    cell.value = stored
    if number_format:
        cell.number_format = number_format
    if isinstance(stored, str) and stored.startswith("="):
        cell.data_type = "s"  # user data is never a formula
    return cell


def _export_width(value: Any) -> int:
    stored, number_format = _export_value(value)
    if number_format in (DATE_FORMAT, DATETIME_FORMAT):
        return len(number_format)
    return display_width(normalise_text(stored))


def write_table(*, sheets: list[tuple[str, list[str], Iterable[list]]]) -> bytes:
    """Export lists: one sheet per (title, headers, rows); values keep their types."""
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for title, headers, rows in sheets or [("Sheet", [], [])]:
        sheet = workbook.create_sheet(_sheet_title(title, used))
        remaining = iter(rows)
        first = list(itertools.islice(remaining, 500))
        sample = [headers, *first]
        widths = [max(_export_width(row[i]) for row in sample if i < len(row)) for i in range(len(headers))]
        _set_widths(sheet, widths)
        sheet.freeze_panes = "A2"
        header_cells = []
        for header in headers:
            cell = _styled_cell(WriteOnlyCell(sheet), header)
            cell.font = _HEADER_FONT
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in itertools.chain(first, remaining):
            sheet.append([_export_cell(sheet, value) for value in row])
    return _save(workbook)


def _template_value(column: Column, value: Any) -> Any:
    if value is None or value == "":
        return None
    if column.kind == "choice" and value not in (column.choices or {}):
        labels = {stored: label for label, stored in reversed(list((column.choices or {}).items()))}
        return labels.get(value, value)
    if column.kind == "bool" and isinstance(value, bool):
        return _("是") if value else _("否")
    if column.kind in ("text", "id_number"):
        return str(value)
    return value


def _kind_hint(column: Column) -> str:
    if column.kind == "id_number":
        return _("文本格式，字母 X 大写")
    if column.kind == "date":
        return _("日期，如 2026-11-25")
    if column.kind == "bool":
        return _("填写“是”或“否”")
    if column.kind == "choice":
        return _("从下拉列表中选择：%(labels)s") % {"labels": "、".join(choice_labels(column))}
    if column.kind in ("decimal", "int"):
        hint = _("整数") if column.kind == "int" or column.decimals == 0 else _("数字")
        if column.min_value is not None and column.max_value is not None:
            low, high = plain_number(column.min_value), plain_number(column.max_value)
            hint += _("，%(min)s 到 %(max)s") % {"min": low, "max": high}
        if column.kind == "decimal" and column.decimals:
            hint += _("，最多 %(places)s 位小数") % {"places": column.decimals}
        return hint
    if column.max_length:
        return _("不超过 %(max)s 个字") % {"max": column.max_length}
    return ""


def _add_choice_validation(workbook: Workbook, sheet: Any, index: int, column: Column) -> None:
    labels = [_("是"), _("否")] if column.kind == "bool" else choice_labels(column)
    inline = ",".join(labels)
    if len(inline) <= 250 and not any("," in label or '"' in label for label in labels):
        formula = f'"{inline}"'
    else:  # Excel caps an inline list at 255 characters: keep long lists on a hidden sheet
        if _OPTIONS_SHEET in workbook.sheetnames:
            options = workbook[_OPTIONS_SHEET]
        else:
            options = workbook.create_sheet(_OPTIONS_SHEET)
        options.sheet_state = "hidden"
        letter = get_column_letter(index)
        for row, label in enumerate(labels, start=1):
            options.cell(row=row, column=index, value=label)
        formula = f"'{_OPTIONS_SHEET}'!${letter}$1:${letter}${len(labels)}"
    validation = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True)
    validation.errorTitle = _("填写有误")
    validation.error = _("请从下拉列表中选择")
    letter = get_column_letter(index)
    validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
    sheet.add_data_validation(validation)


def _format_template_column(workbook: Workbook, sheet: Any, index: int, column: Column) -> None:
    header = sheet.cell(row=1, column=index, value=("*" if column.required else "") + column.header)
    header.font = _REQUIRED_FONT if column.required else _HEADER_FONT
    header.fill = _HEADER_FILL
    header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    number_format = {"text": "@", "id_number": "@", "date": DATE_FORMAT}.get(column.kind)
    if number_format:
        sheet.column_dimensions[get_column_letter(index)].number_format = number_format
        for row in range(2, TEMPLATE_ROWS + 2):
            sheet.cell(row=row, column=index).number_format = number_format
    if column.kind in ("choice", "bool"):
        _add_choice_validation(workbook, sheet, index, column)


def _write_notes(sheet: Any, columns: list[Column], title: str, notes: list[str]) -> None:
    sheet.append([_("%(title)s 填写说明") % {"title": title}])
    sheet["A1"].font = Font(bold=True, size=14)
    for note in notes:
        sheet.append([note])
    sheet.append([])
    sheet.append([_("列名"), _("是否必填"), _("填写要求"), _("示例")])
    for cell in sheet[sheet.max_row]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    for column in columns:
        requirement = "；".join(part for part in (column.help, _kind_hint(column)) if part)
        sheet.append([column.header, _("必填") if column.required else _("选填"), requirement, column.example])
        sheet.cell(row=sheet.max_row, column=4).number_format = "@"
    _set_widths(sheet, [16, 8, 60, 24])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def write_template(
    *,
    columns: list[Column],
    sheet_title: str,
    example_rows: list[dict] | None = None,
    notes: list[str] | None = None,
) -> bytes:
    """An import template: formatted columns, drop-downs, and a second sheet explaining each column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(sheet_title, set())
    for index, column in enumerate(columns, start=1):
        _format_template_column(workbook, sheet, index, column)
    for row, example in enumerate(example_rows or [], start=2):
        for index, column in enumerate(columns, start=1):
            _styled_cell(sheet.cell(row=row, column=index), _template_value(column, example.get(column.key)))
    sheet.freeze_panes = "A2"
    widths = [
        max(
            display_width(column.header) + 2,
            display_width(column.example),
            {"id_number": 20, "date": 12}.get(column.kind, 0),
            *(_export_width(_template_value(column, example.get(column.key))) for example in example_rows or []),
        )
        for column in columns
    ]
    _set_widths(sheet, widths)
    default_notes = [
        _("带 * 的列为必填；请不要修改、删除或调换表头，也不要合并单元格。"),
        _("证件号码等列已设为文本格式；粘贴时请选择“只粘贴值”，以免证件号码变成数字。"),
        _("日期请填写为 2026-11-25 的形式。"),
    ]
    if example_rows:
        default_notes.append(_("第 2 行起的示例数据仅供参考，上传前请删除。"))
    notes_sheet = workbook.create_sheet(_("填写说明"), 1)
    _write_notes(notes_sheet, columns, sheet.title, [*default_notes, *(notes or [])])
    return _save(workbook)
