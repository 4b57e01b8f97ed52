"""申报条件 (eligibility) for 晋级 applications. Pure value objects and functions, no Django models.

Rules are data: each evaluation-standard version stores, per level, a ``RuleSet`` — a list of
``Condition`` alternatives (any one suffices, OR), each a conjunction of requirements (AND).
``Condition.to_dict``/``from_dict`` and the ``ruleset_*`` helpers give the JSON form kept in the
database and edited by HR; ``national_template`` returns the usual national template as such data
so a new standard version can start from it.

Decisions (domain.md §2 leaves them open):

- An empty rule set means nobody is eligible via 晋级; the result says so and points to 定级.
- A prior certificate of a better level (smaller digit) satisfies a lower ``prior_level``. Old
  职业资格证书 (``kind="qualification"``) count exactly like 职业技能等级证书. Certificates obtained
  after the exam date are not held on that date and are ignored. HR enters only certificates of the
  occupation or a related one (本职业或相关职业); this module does not judge relatedness.
- Among several qualifying certificates the one held longest is used, because that one satisfies
  a ``min_years_since_prior`` best.
- "Years since the certificate" stands for 取得证书后累计从事本职业工作 and is counted in calendar
  years from the date on the certificate to the exam date (``years_between``); gaps in employment
  are for HR to check.
- ``years_in_occupation`` is given by HR as a decimal; it is compared as given.
- The first condition that holds, in stored order, is the matched one. When none holds, the
  nearest is the one with the fewest unmet requirements, ties broken by the smallest shortfall in
  years, then by order. A requirement that time alone cannot meet (a certificate, a diploma, an
  apprenticeship) counts as a larger shortfall than any number of years, so a candidate 0.5 years
  short is pointed at that condition rather than at one asking for a diploma. A missing prior
  certificate counts as two unmet requirements when the condition also asks for years since it
  (both are missing).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    """``4`` → ``四级``; digits without a numeral (new levels) fall back to ``10级``."""
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


# --- candidate facts -------------------------------------------------------------------------
@dataclass(frozen=True)
class PriorCertificate:
    """A certificate the candidate holds; ``kind`` is a ``CertificateKind`` value (both count the same)."""

    level: int
    obtained_on: dt.date
    kind: str = CertificateKind.SKILL_LEVEL.value
    number: str = ""

    def __post_init__(self) -> None:
        _level_value(self.level, label=_("证书等级"))
        if not isinstance(self.obtained_on, dt.date) or isinstance(self.obtained_on, dt.datetime):
            raise ValueError(_("证书取得日期应为日期"))
        if self.kind not in CertificateKind.values:
            raise ValueError(_("未知的证书类型：%(value)s") % {"value": self.kind})


@dataclass(frozen=True)
class CandidateFacts:
    """What HR recorded about a candidate, as of ``as_of`` (the exam date).

    ``diploma`` is a ``Diploma`` value; for a final-year student it is the school being attended.
    ``years_in_occupation`` is converted to ``Decimal`` like the condition years.
    """

    as_of: dt.date
    years_in_occupation: Decimal
    prior_certificates: tuple[PriorCertificate, ...] = ()
    diploma: str | None = None
    diploma_in_field: bool = True
    final_year_student: bool = False
    apprenticeship_completed: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "years_in_occupation", _years_value(self.years_in_occupation, label=_("从事本职业工作年限"))
        )
        object.__setattr__(self, "prior_certificates", tuple(self.prior_certificates))
        if self.diploma is not None:
            object.__setattr__(self, "diploma", _diploma_value(self.diploma))

    def years_holding(self, *, level: int) -> Decimal | None:
        """Years the longest-held certificate of ``level`` or better has been held; ``None`` if none is."""
        held = [
            years_between(start=c.obtained_on, end=self.as_of)
            for c in self.prior_certificates
            if c.level <= level and c.obtained_on <= self.as_of
        ]
        return max(held, default=None)

    def best_level_held(self) -> int | None:
        return min((c.level for c in self.prior_certificates if c.obtained_on <= self.as_of), default=None)


# --- evaluation ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Eligibility:
    """Outcome of ``evaluate``. Indexes are 0-based into the rule set; ``summary()`` shows them 1-based.

    ``matched`` is ``describe()`` of the matched condition; when not eligible, ``nearest`` is
    ``describe()`` of the nearest one and ``missing`` says in Chinese what is missing for it.
    """

    eligible: bool
    matched_index: int | None = None
    matched: str = ""
    nearest_index: int | None = None
    missing: tuple[str, ...] = ()
    nearest: str = ""

    def summary(self) -> str:
        if self.eligible:
            return _("符合申报条件（第 %(number)s 项）：%(condition)s。") % {
                "number": (self.matched_index or 0) + 1,
                "condition": self.matched,
            }
        if self.nearest_index is None:
            return _("不符合申报条件：%(missing)s。") % {"missing": "；".join(self.missing)}
        return _("不符合申报条件。最接近第 %(number)s 项（%(condition)s），尚缺：%(missing)s。") % {
            "number": self.nearest_index + 1,
            "condition": self.nearest,
            "missing": "；".join(self.missing),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe record of the result, for the enrolment."""
        return {
            "eligible": self.eligible,
            "matched_index": self.matched_index,
            "matched": self.matched,
            "nearest_index": self.nearest_index,
            "nearest": self.nearest,
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class _Gap:
    message: str
    years: Decimal | None  # None: waiting alone cannot close it (certificate, diploma, apprenticeship)


@dataclass(frozen=True)
class _Check:
    gaps: tuple[_Gap, ...]

    def rank(self, index: int) -> tuple[int, int, Decimal, int]:
        untimed = sum(gap.years is None for gap in self.gaps)
        shortfall = sum((gap.years for gap in self.gaps if gap.years is not None), Decimal(0))
        return (len(self.gaps), untimed, shortfall, index)


def _prior_gaps(condition: Condition, facts: CandidateFacts) -> list[_Gap]:
    if condition.prior_level is None:
        return []
    level = level_name(condition.prior_level)
    required = condition.min_years_since_prior
    held = facts.years_holding(level=condition.prior_level)
    if held is None:
        message = _("需取得%(level)s及以上证书") % {"level": level}
        best = facts.best_level_held()
        if best is not None:
            message += _("（现有最高为%(level)s）") % {"level": level_name(best)}
        gaps = [_Gap(message, None)]
        if required is not None:
            after = _("取得后还需累计从事本职业工作满 %(years)s 年") % {"years": format_years(required)}
            gaps.append(_Gap(after, required))
        return gaps
    if required is not None and held < required:
        gap = required - held
        message = _(
            "取得%(level)s及以上证书后累计从事本职业工作还差 %(gap)s 年（需满 %(required)s 年，现满 %(held)s 年）"
        ) % {
            "level": level,
            "gap": format_years(gap),
            "required": format_years(required),
            "held": format_years(held),
        }
        return [_Gap(message, gap)]
    return []


def _diploma_gap(condition: Condition, facts: CandidateFacts) -> str | None:
    if not condition.diplomas:
        return None
    wanted = _diploma_list(condition.diplomas)
    if facts.diploma not in condition.diplomas:
        return _("需具有本专业或相关专业%(diplomas)s毕业证书") % {"diplomas": wanted}
    if not facts.diploma_in_field:
        return _("所持%(diploma)s毕业证书须为本专业或相关专业") % {"diploma": Diploma(facts.diploma).label}
    if facts.final_year_student and not condition.final_year_student_counts:
        return _("需已取得%(diplomas)s毕业证书（此项不含在校应届毕业生）") % {"diplomas": wanted}
    return None


def _check(condition: Condition, facts: CandidateFacts) -> _Check:
    # Same order as describe(): certificate, diploma, years in the occupation, apprenticeship.
    gaps = _prior_gaps(condition, facts)
    diploma_gap = _diploma_gap(condition, facts)
    if diploma_gap:
        gaps.append(_Gap(diploma_gap, None))
    required = condition.min_years_in_occupation
    if required is not None and facts.years_in_occupation < required:
        gap = required - facts.years_in_occupation
        message = _("还差 %(gap)s 年从事本职业工作年限（需满 %(required)s 年）") % {
            "gap": format_years(gap),
            "required": format_years(required),
        }
        gaps.append(_Gap(message, gap))
    if condition.apprenticeship_completed and not facts.apprenticeship_completed:
        gaps.append(_Gap(_("需本职业学徒期满"), None))
    return _Check(gaps=tuple(gaps))


def evaluate(*, facts: CandidateFacts, rules: Sequence[Condition]) -> Eligibility:
    """Check ``facts`` against the alternatives of one level (see the module docstring for the rules)."""
    if not rules:
        return Eligibility(
            eligible=False,
            missing=(_("该等级未设置晋级申报条件，不能按晋级申报；评价计划允许定级的，可按定级途径申报"),),
        )
    checks = [_check(condition, facts) for condition in rules]
    for index, check in enumerate(checks):
        if not check.gaps:
            return Eligibility(eligible=True, matched_index=index, matched=rules[index].describe())
    nearest = min(range(len(rules)), key=lambda i: checks[i].rank(i))
    return Eligibility(
        eligible=False,
        nearest_index=nearest,
        nearest=rules[nearest].describe(),
        missing=tuple(gap.message for gap in checks[nearest].gaps),
    )


# --- the national template -------------------------------------------------------------------
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
