"""The layout of the provincial/national upload file: an export *profile* — columns, header names,
code tables and date format — chosen by name from ``EXPORT_PROFILES``.

No current official upload template is public, the older national software matched columns by
header name, and code tables differ between systems. So the code that writes the file knows none
of the layout. A new layout is a new profile, registered with ``profile_register``, never an edit
of the writer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certify.services.payload import EMPTY_WORK_TYPE
from lib import numbering

NEW, UPDATE = "new", "update"


@dataclass(frozen=True)
class ExportRecord:
    """One certificate's facts for the upload file, as stored, before a profile's code tables."""

    plan_number: str
    holder_name: str
    id_type: str  # Person.IdType value
    id_number: str
    sex: str  # Person.Sex value (GB/T 2261.1 digits)
    birth_date: dt.date | None
    education: str  # Enrolment.Education value, "" when not given
    occupation_code: str
    occupation_name: str
    work_type_name: str
    level: int
    theory: Decimal | None
    practical: Decimal | None
    review: Decimal | None
    outcome: str  # Result.Outcome value
    exam_date: dt.date
    number: str
    issue_date: dt.date
    organization_name: str
    filing_number: str
    action: str = NEW  # NEW, or UPDATE of a number the province already holds


@dataclass(frozen=True)
class ExportColumn:
    """One column: the record field it shows, its header, and the code table applied (if any)."""

    field: str
    header: str
    codes: str = ""

    def __post_init__(self) -> None:
        if self.field not in {f.name for f in dataclasses.fields(ExportRecord)}:
            raise ValueError(f"unknown export field {self.field!r}")


class UnmappedCode(Exception):
    """A stored value the profile's code table has no code for: sending it blank would be wrong."""

    def __init__(self, header: str, value: str):
        super().__init__(f"{header}: {value!r}")
        self.header, self.value = header, value


def _frozen(tables: Mapping[str, Mapping[str, str]]) -> Mapping[str, Mapping[str, str]]:
    return MappingProxyType({name: MappingProxyType(dict(table)) for name, table in tables.items()})


@dataclass(frozen=True, eq=False)  # compared by identity: its code tables are read-only mappings
class ExportProfile:
    """An upload file layout. ``date_format`` is a strftime pattern (dates go out as text), or
    ``None`` for real Excel dates."""

    name: str
    label: Any  # shown to clerks (a lazy translation); headers and codes are never translated
    columns: tuple[ExportColumn, ...]
    code_tables: Mapping[str, Mapping[str, str]]
    date_format: str | None = "%Y-%m-%d"
    empty_work_type: str = EMPTY_WORK_TYPE
    sheet_title: str = "证书信息"
    description: Any = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "code_tables", _frozen(self.code_tables))
        missing = {c.codes for c in self.columns if c.codes} - set(self.code_tables)
        if missing:
            raise ValueError(f"profile {self.name!r} lacks code tables {sorted(missing)}")

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def row(self, record: ExportRecord) -> list[Any]:
        """The cells of one record; raises ``UnmappedCode`` for a value without a code."""
        return [self._cell(column, getattr(record, column.field)) for column in self.columns]

    def _cell(self, column: ExportColumn, value: Any) -> Any:
        if column.field == "work_type_name" and value in ("", None, EMPTY_WORK_TYPE):
            return self.empty_work_type
        if column.codes:
            return self._code(column, value)
        if isinstance(value, dt.date):
            return value.strftime(self.date_format) if self.date_format else value
        if value is None or isinstance(value, Decimal):
            return value
        return str(value)

    def _code(self, column: ExportColumn, value: Any) -> str:
        text = "" if value is None else str(value)
        table = self.code_tables[column.codes]
        if text in table:
            return table[text]
        if text == "":  # not given (e.g. 文化程度 left empty): stays empty rather than guessed
            return ""
        raise UnmappedCode(column.header, text)


# Codes seen in the national systems (domain.md §10). 性别 GB/T 2261.1 — never 0/1 for male/female.
SEX_CODES = {"1": "1", "2": "2", "0": "0", "9": "9"}
# The old national software knows 1 身份证, 5 护照, 21 其它; the other types have no published code
# there, so they go out as 其它 until the province names one (a profile can map them).
ID_TYPE_CODES = {
    "resident_id": "1",
    "passport": "5",
    "hkmotw_residence": "21",
    "hkmo_permit": "21",
    "tw_permit": "21",
    "foreign_pr": "21",
    "other": "21",
}
# GB/T 4658-2006 学历代码. Enrolment.Education stores 45 for 技工学校, which in GB/T 4658-2006 is
# 职业高中结业; 技工学校毕业 is 47, so the upload sends 47.
EDUCATION_CODES = {
    "10": "10",
    "20": "20",
    "30": "30",
    "40": "40",
    "47": "47",
    "60": "60",
    "70": "70",
    "80": "80",
    "90": "90",
}
LEVEL_CODES = {str(level): str(level) for level in numbering.LEVELS}
RESULT_CODES = {"pass": "1", "fail": "2"}
ACTION_CODES = {NEW: "新增", UPDATE: "更新"}

DEFAULT_PROFILE = ExportProfile(
    name="default",
    label=gettext_lazy("通用上报格式（按表头名称匹配）"),
    description=gettext_lazy(
        "评价计划编号、姓名、证件、成绩、证书编号等 21 列；性别按 GB/T 2261.1，证件类型按原国家鉴定软件代码，"
        "文化程度按 GB/T 4658，日期为 2026-11-25 形式的文本，更正过的证书标为“更新”。"
    ),
    columns=(
        ExportColumn("plan_number", "评价计划编号"),
        ExportColumn("holder_name", "姓名"),
        ExportColumn("id_type", "证件类型", codes="id_type"),
        ExportColumn("id_number", "证件号码"),
        ExportColumn("sex", "性别", codes="sex"),
        ExportColumn("birth_date", "出生日期"),
        ExportColumn("education", "文化程度", codes="education"),
        ExportColumn("occupation_code", "职业编码"),
        ExportColumn("occupation_name", "职业名称"),
        ExportColumn("work_type_name", "工种/职业方向"),
        ExportColumn("level", "职业技能等级", codes="level"),
        ExportColumn("theory", "理论知识成绩"),
        ExportColumn("practical", "操作技能成绩"),
        ExportColumn("review", "综合评审成绩"),
        ExportColumn("outcome", "评定结果", codes="result"),
        ExportColumn("exam_date", "考核日期"),
        ExportColumn("number", "证书编号"),
        ExportColumn("issue_date", "发证日期"),
        ExportColumn("organization_name", "评价机构名称"),
        ExportColumn("filing_number", "备案编号"),
        ExportColumn("action", "上报类型", codes="action"),
    ),
    code_tables={
        "sex": SEX_CODES,
        "id_type": ID_TYPE_CODES,
        "education": EDUCATION_CODES,
        "level": LEVEL_CODES,
        "result": RESULT_CODES,
        "action": ACTION_CODES,
    },
)

EXPORT_PROFILES: dict[str, ExportProfile] = {DEFAULT_PROFILE.name: DEFAULT_PROFILE}


def profile_register(profile: ExportProfile) -> ExportProfile:
    """Make a profile selectable by name (call from an AppConfig.ready or a settings hook)."""
    EXPORT_PROFILES[profile.name] = profile
    return profile


def profile_get(name: str) -> ExportProfile:
    try:
        return EXPORT_PROFILES[name or DEFAULT_PROFILE.name]
    except KeyError:
        raise ValidationError({"profile": _("未知的导出格式「%(name)s」，请重新选择") % {"name": name}}) from None


def profile_choices() -> list[tuple[str, str]]:
    return [(p.name, p.label) for p in EXPORT_PROFILES.values()]
