"""Eligibility rules as data: conditions (any one suffices), their JSON form, the national template."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

_CENT = Decimal("0.01")
_DAYS_PER_YEAR = Decimal(365)
_NUMERALS = "一二三四五六七八九"


class Diploma(models.TextChoices):
    TECHNICAL_SCHOOL = "technical_school", gettext_lazy("技工学校/中等职业学校")
    SENIOR_TECHNICAL_SCHOOL = "senior_technical_school", gettext_lazy("高级技工学校")
    TECHNICIAN_COLLEGE = "technician_college", gettext_lazy("技师学院")
    PREPARATORY_TECHNICIAN = "preparatory_technician", gettext_lazy("预备技师（技师学院）")
    COLLEGE = "college", gettext_lazy("大专")
    BACHELOR = "bachelor", gettext_lazy("本科及以上")


class CertificateKind(models.TextChoices):
    SKILL_LEVEL = "skill_level", gettext_lazy("职业技能等级证书")
    QUALIFICATION = "qualification", gettext_lazy("职业资格证书")


# --- small helpers ---------------------------------------------------------------------------
def level_name(level: int) -> str:
    """``4`` → ``四级`` (``Level 4`` on an English page); digits without a numeral (new levels)
    fall back to ``10级``."""
    if not (get_language() or "zh-hans").lower().startswith("zh"):
        return f"Level {level}"
    return f"{_NUMERALS[level - 1]}级" if 1 <= level <= len(_NUMERALS) else f"{level}级"


def format_years(value: Decimal) -> str:
    """``Decimal("4.00")`` → ``4``, ``Decimal("0.50")`` → ``0.5`` (never scientific notation)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _years_value(value: Any, *, label: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise ValueError(_("%(label)s应为数字") % {"label": label})
    try:
        # str() first: Decimal(float) would carry the binary error (0.1 → 0.1000000000000000055…).
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(_("%(label)s应为数字") % {"label": label}) from None
    if not number.is_finite() or number < 0:
        raise ValueError(_("%(label)s应为不小于 0 的数字") % {"label": label})
    return number


def _level_value(value: Any, *, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(_("%(label)s应为正整数（如 4 表示四级）") % {"label": label})
    return value


def _diploma_value(value: Any) -> str:
    try:
        return Diploma(value).value
    except ValueError:
        raise ValueError(_("未知的学历类型：%(value)s") % {"value": value}) from None


def _require_bool(value: Any, *, label: str) -> None:
    if not isinstance(value, bool):
        raise ValueError(_("%(label)s应为是或否") % {"label": label})


def _anniversary(start: dt.date, years: int) -> dt.date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        # 29 February in a common year: the month's last day (民法典 第二百零三条).
        return dt.date(start.year + years, 2, 28)


def years_between(*, start: dt.date, end: dt.date) -> Decimal:
    """Years from ``start`` to ``end``: whole years by anniversary plus remaining days / 365.

    Rounded down to 2 decimals, so exactly on the anniversary the result is a whole number and a
    day short is below it (4-year boundaries are exact). The fraction is capped at 0.99 because a
    span containing 29 February can reach 365 days without reaching the anniversary. A 29 February
    start has its anniversary on 28 February in common years. ``end`` before ``start`` gives the
    negative of the reverse span.
    """
    if end < start:
        return -years_between(start=end, end=start)
    whole = end.year - start.year
    if _anniversary(start, whole) > end:
        whole -= 1
    days = (end - _anniversary(start, whole)).days
    fraction = min((Decimal(days) / _DAYS_PER_YEAR).quantize(_CENT, rounding=ROUND_DOWN), Decimal("0.99"))
    return (Decimal(whole) + fraction).quantize(_CENT)


# --- rules -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Condition:
    """One alternative: every requirement given must hold (AND).

    ``prior_level``: a certificate of this level or a better one (smaller digit).
    ``min_years_since_prior``: years since that certificate (needs ``prior_level``).
    ``diplomas``: any one of these ``Diploma`` values, in the field (本专业或相关专业).
    ``final_year_student_counts``: a final-year student of such a school counts as a holder.
    ``note``: wording from the standard, shown beside the generated ``describe()``.
    Years are given as ``Decimal`` (ints and numeric strings are converted). A condition without
    any requirement is refused, so a blank form row cannot make everybody eligible; to admit
    everybody, require 0 years in the occupation.
    Invalid values raise ``ValueError`` with a Chinese message fit for a form.
    """

    min_years_in_occupation: Decimal | None = None
    prior_level: int | None = None
    min_years_since_prior: Decimal | None = None
    diplomas: tuple[str, ...] = ()
    final_year_student_counts: bool = False
    apprenticeship_completed: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        if self.min_years_in_occupation is not None:
            put("min_years_in_occupation", _years_value(self.min_years_in_occupation, label=_("从事本职业工作年限")))
        if self.prior_level is not None:
            put("prior_level", _level_value(self.prior_level, label=_("证书等级")))
        if self.min_years_since_prior is not None:
            put("min_years_since_prior", _years_value(self.min_years_since_prior, label=_("取得证书后的年限")))
        if isinstance(self.diplomas, str) or not isinstance(self.diplomas, Iterable):
            raise ValueError(_("学历应为学历类型的列表"))
        put("diplomas", tuple(dict.fromkeys(_diploma_value(d) for d in self.diplomas)))
        _require_bool(self.final_year_student_counts, label=_("在校应届毕业生视同"))
        _require_bool(self.apprenticeship_completed, label=_("学徒期满"))
        if not isinstance(self.note, str):
            raise ValueError(_("说明应为文字"))
        put("note", self.note.strip())
        if self.min_years_since_prior is not None and self.prior_level is None:
            raise ValueError(_("填写了取得证书后的年限，请同时选择所需证书等级"))
        if self.final_year_student_counts and not self.diplomas:
            raise ValueError(_("勾选了在校应届毕业生视同，请同时选择学历"))
        if not self.requirement_count():
            raise ValueError(_("条件至少应包含一项要求（工作年限、证书、学历或学徒期满）"))

    def requirement_count(self) -> int:
        given = (
            self.min_years_in_occupation is not None,
            self.prior_level is not None,
            self.min_years_since_prior is not None,
            bool(self.diplomas),
            self.apprenticeship_completed,
        )
        return sum(given)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: decimals as strings, the diploma tuple as a list; every key always present."""
        return {
            "min_years_in_occupation": _decimal_text(self.min_years_in_occupation),
            "prior_level": self.prior_level,
            "min_years_since_prior": _decimal_text(self.min_years_since_prior),
            "diplomas": list(self.diplomas),
            "final_year_student_counts": self.final_year_student_counts,
            "apprenticeship_completed": self.apprenticeship_completed,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Condition:
        """Inverse of ``to_dict``. Missing keys take their defaults; unknown keys are refused."""
        if not isinstance(data, Mapping):
            raise ValueError(_("条件应为键值对象"))
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(_("条件含有未知字段：%(keys)s") % {"keys": "、".join(map(str, unknown))})
        return cls(**data)

    def describe(self) -> str:
        """Chinese wording, e.g. ``取得四级证书后累计从事本职业工作满 5 年``."""
        parts = []
        if self.prior_level is not None:
            level = level_name(self.prior_level)
            if self.min_years_since_prior is not None:
                parts.append(
                    _("取得%(level)s证书后累计从事本职业工作满 %(years)s 年")
                    % {"level": level, "years": format_years(self.min_years_since_prior)}
                )
            else:
                parts.append(_("取得%(level)s证书") % {"level": level})
        if self.diplomas:
            text = _("具有本专业或相关专业%(diplomas)s毕业证书") % {"diplomas": _diploma_list(self.diplomas)}
            if self.final_year_student_counts:
                text += _("（含在校应届毕业生）")
            parts.append(text)
        if self.min_years_in_occupation is not None:
            parts.append(_("累计从事本职业工作满 %(years)s 年") % {"years": format_years(self.min_years_in_occupation)})
        if self.apprenticeship_completed:
            parts.append(_("本职业学徒期满"))
        return "，".join(parts)


RuleSet = list[Condition]


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _diploma_list(values: Sequence[str]) -> str:
    return "、".join(str(Diploma(v).label) for v in values)


def ruleset_to_data(rules: Iterable[Condition]) -> list[dict[str, Any]]:
    """The form a ``JSONField`` stores."""
    return [condition.to_dict() for condition in rules]


def ruleset_from_data(data: Any) -> RuleSet:
    """Inverse of ``ruleset_to_data``; errors name the condition (第 N 项) for the form."""
    if not isinstance(data, list):
        raise ValueError(_("申报条件应为条件的列表"))
    rules = []
    for number, item in enumerate(data, start=1):
        try:
            rules.append(Condition.from_dict(item))
        except ValueError as error:
            raise ValueError(_("第 %(number)s 项条件：%(error)s") % {"number": number, "error": error}) from None
    return rules


def ruleset_to_json(rules: Iterable[Condition]) -> str:
    return json.dumps(ruleset_to_data(rules), ensure_ascii=False, sort_keys=True)


def ruleset_from_json(text: str) -> RuleSet:
    try:
        data = json.loads(text)
    except (TypeError, json.JSONDecodeError):
        raise ValueError(_("申报条件不是有效的 JSON")) from None
    return ruleset_from_data(data)


_VOCATIONAL_DIPLOMAS = (
    Diploma.TECHNICAL_SCHOOL,
    Diploma.SENIOR_TECHNICAL_SCHOOL,
    Diploma.TECHNICIAN_COLLEGE,
    Diploma.PREPARATORY_TECHNICIAN,
    Diploma.COLLEGE,
)
_SENIOR_DIPLOMAS = (Diploma.SENIOR_TECHNICAL_SCHOOL, Diploma.TECHNICIAN_COLLEGE, Diploma.PREPARATORY_TECHNICIAN)


def national_template(level: int) -> RuleSet:
    """The usual template of national standards since 2019 (domain.md §2) for levels 5 to 1, as data.

    Interpretations: for 四级 "中等及以上职业学校" lets the higher vocational diplomas (高级技工学校,
    技师学院, 预备技师, 大专) count as well as 技工学校; a 预备技师 graduate is a 技师学院 graduate
    wherever 技师学院 is named. Occupations that differ edit the stored copy, not this function.
    """
    y = Decimal
    templates: dict[int, list[Condition]] = {
        5: [
            Condition(min_years_in_occupation=y(1), note=_("累计从事本职业或相关职业工作1年（含）以上")),
            Condition(apprenticeship_completed=True, note=_("本职业或相关职业学徒期满")),
        ],
        4: [
            Condition(
                prior_level=5,
                min_years_since_prior=y(4),
                note=_(
                    "取得本职业或相关职业五级/初级工职业资格证书（技能等级证书）后，累计从事本职业或相关职业工作4年（含）以上"
                ),
            ),
            Condition(min_years_in_occupation=y(6), note=_("累计从事本职业或相关职业工作6年（含）以上")),
            Condition(
                diplomas=_VOCATIONAL_DIPLOMAS,
                final_year_student_counts=True,
                note=_(
                    "取得技工学校本专业或相关专业毕业证书（含尚未取得毕业证书的在校应届毕业生）；或取得经评估论证、"
                    "以中级技能为培养目标的中等及以上职业学校本专业或相关专业毕业证书（含尚未取得毕业证书的在校应届毕业生）"
                ),
            ),
        ],
        3: [
            Condition(
                prior_level=4,
                min_years_since_prior=y(5),
                note=_(
                    "取得本职业或相关职业四级/中级工职业资格证书（技能等级证书）后，累计从事本职业或相关职业工作5年（含）以上"
                ),
            ),
            Condition(
                prior_level=4,
                diplomas=_SENIOR_DIPLOMAS,
                final_year_student_counts=True,
                note=_(
                    "取得本职业或相关职业四级/中级工职业资格证书（技能等级证书），"
                    "并具有高级技工学校、技师学院毕业证书（含尚未取得毕业证书的在校应届毕业生）"
                ),
            ),
            Condition(
                prior_level=4,
                min_years_since_prior=y(2),
                diplomas=(Diploma.COLLEGE, Diploma.BACHELOR),
                note=_(
                    "具有大专及以上本专业或相关专业毕业证书，并取得本职业或相关职业四级/中级工职业资格证书（技能等级证书）后，"
                    "累计从事本职业或相关职业工作2年（含）以上"
                ),
            ),
        ],
        2: [
            Condition(
                prior_level=3,
                min_years_since_prior=y(4),
                note=_(
                    "取得本职业或相关职业三级/高级工职业资格证书（技能等级证书）后，累计从事本职业或相关职业工作4年（含）以上"
                ),
            ),
            Condition(
                prior_level=3,
                diplomas=_SENIOR_DIPLOMAS,
                min_years_in_occupation=y(3),
                note=_(
                    "取得本职业或相关职业三级/高级工职业资格证书（技能等级证书）的高级技工学校、技师学院毕业生，"
                    "累计从事本职业或相关职业工作3年（含）以上"
                ),
            ),
            Condition(
                diplomas=(Diploma.PREPARATORY_TECHNICIAN,),
                min_years_in_occupation=y(2),
                note=_("取得本职业或相关职业预备技师证书的技师学院毕业生，累计从事本职业或相关职业工作2年（含）以上"),
            ),
        ],
        1: [
            Condition(
                prior_level=2,
                min_years_since_prior=y(4),
                note=_(
                    "取得本职业或相关职业二级/技师职业资格证书（技能等级证书）后，累计从事本职业或相关职业工作4年（含）以上"
                ),
            ),
        ],
    }
    if level not in templates:
        raise ValueError(
            _("国家通用模板只包含五级至一级，请为%(level)s自行设置申报条件") % {"level": level_name(level)}
        )
    return templates[level]
