"""Skill levels as data (domain.md §1). The five national levels are the default set.

The level code is the digit printed in the certificate number (1 = highest). An installation may
configure more levels (e.g. the 2022 学徒工/特级技师/首席技师) through ``SKILLCERT_LEVELS``:
``[(code, "三级/高级工", "Level 3 / Senior worker"), ...]``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import get_language


@dataclass(frozen=True)
class Level:
    code: int
    wording: str  # as printed on the certificate: numeral + 级 + "/" + title
    english: str

    @property
    def short(self) -> str:
        return self.wording.split("/")[0]

    @property
    def title(self) -> str:
        return self.wording.split("/")[-1]


DEFAULT_LEVELS = (
    (5, "五级/初级工", "Level 5 / Junior worker"),
    (4, "四级/中级工", "Level 4 / Intermediate worker"),
    (3, "三级/高级工", "Level 3 / Senior worker"),
    (2, "二级/技师", "Level 2 / Technician"),
    (1, "一级/高级技师", "Level 1 / Senior technician"),
)

# Levels 2 and 1 need the comprehensive review and senior assessors (domain.md §3).
SENIOR_LEVELS = frozenset({1, 2})


def all_levels() -> list[Level]:
    rows = settings.SKILLCERT_LEVELS
    return [Level(int(code), wording, english) for code, wording, english in rows]


def level(code: int) -> Level:
    for item in all_levels():
        if item.code == int(code):
            return item
    raise KeyError(code)


def level_wording(code: int) -> str:
    return level(code).wording


def _chinese() -> bool:
    return (get_language() or "zh-hans").lower().startswith("zh")


def level_label(code: int, wording: str = "") -> str:
    """The level as a page shows it: the printed wording in Chinese, its English name in English.
    ``wording``: the wording a record keeps (a certificate), shown in Chinese as stored."""
    try:
        item = level(code)
    except (KeyError, TypeError, ValueError):
        return wording or str(code)
    return (wording or item.wording) if _chinese() else item.english


_lazy_label = lazy(level_label, str)


def level_choices() -> list[tuple[int, str]]:
    """Form choices, labelled in the language of the page that shows them."""
    return [(item.code, _lazy_label(item.code)) for item in all_levels()]


def is_valid_level(code) -> bool:
    try:
        level(int(code))
    except (KeyError, TypeError, ValueError):
        return False
    return True
