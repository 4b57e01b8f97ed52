"""Judging a candidate's facts against a rule set: the matched condition, or the nearest one and
what it lacks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from lib.eligibility.rules import (
    CertificateKind,
    Condition,
    Diploma,
    _diploma_list,
    _diploma_value,
    _level_value,
    _years_value,
    format_years,
    level_name,
    years_between,
)


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
