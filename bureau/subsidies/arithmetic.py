"""The subsidy arithmetic alone, without the database: count × amount per level, shortage
certificates at an uplifted amount where the level qualifies, then each organisation's cap."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from lib.levels import all_levels, level_label

CENT = Decimal("0.01")


# --- the arithmetic (no database) -----------------------------------------------------------
@dataclass(frozen=True)
class RuleTerms:
    """The numbers of one year's rule."""

    amounts: dict[int, Decimal]
    uplift_percent: int
    max_level: int  # the uplift applies to this level digit and higher levels (smaller digits)
    cap: Decimal

    def uplift_applies(self, level: int) -> bool:
        return self.uplift_percent > 0 and level <= self.max_level

    def uplifted(self, amount: Decimal) -> Decimal:
        return (amount * (100 + self.uplift_percent) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SubsidyGroup:
    """Certificates of one organisation, level and shortage flag, counted by the database."""

    organization_id: int
    organization_name: str
    level: int
    shortage: bool
    count: int


@dataclass(frozen=True)
class SubsidyLine:
    level: int
    level_label: str
    count: int
    shortage_count: int  # in shortage occupations (paid with the uplift only where it applies)
    amount: Decimal
    uplifted_amount: Decimal | None  # None: no uplift at this level
    subtotal: Decimal
    priced: bool = True  # False: the rule names no amount for this level (counted at 0)

    @property
    def uplifted_count(self) -> int:
        return self.shortage_count if self.uplifted_amount is not None else 0


@dataclass(frozen=True)
class OrganizationSubsidy:
    organization_id: int
    organization_name: str
    lines: list[SubsidyLine]
    cap: Decimal

    @property
    def certificate_count(self) -> int:
        return sum(line.count for line in self.lines)

    @property
    def uplifted_count(self) -> int:
        return sum(line.uplifted_count for line in self.lines)

    @property
    def uncapped(self) -> Decimal:
        return sum((line.subtotal for line in self.lines), Decimal("0.00"))

    @property
    def capped(self) -> Decimal:
        return min(self.uncapped, self.cap)

    @property
    def cap_applied(self) -> bool:
        return self.uncapped > self.cap

    @property
    def reduction(self) -> Decimal:
        return self.uncapped - self.capped


def level_labels() -> dict[int, str]:
    return {item.code: level_label(item.code) for item in all_levels()}  # in the page's language


def compute_subsidies(*, groups: Iterable[SubsidyGroup], terms: RuleTerms) -> list[OrganizationSubsidy]:
    """Per organisation and level: count × amount, shortage certificates at an uplifted amount
    where the level qualifies, then the organisation's cap. Largest payment first."""
    labels = level_labels()
    counts: dict[tuple[int, str], dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for group in groups:
        pair = counts[(group.organization_id, group.organization_name)][group.level]
        pair[0] += group.count
        if group.shortage:
            pair[1] += group.count
    result = []
    for (org_id, org_name), levels in counts.items():
        lines = [_line(code, total, shortage, terms, labels) for code, (total, shortage) in sorted(levels.items())]
        result.append(OrganizationSubsidy(org_id, org_name, sorted(lines, key=lambda x: -x.level), terms.cap))
    return sorted(result, key=lambda o: (-o.capped, o.organization_name))


def _line(code: int, total: int, shortage: int, terms: RuleTerms, labels: dict[int, str]) -> SubsidyLine:
    priced = code in terms.amounts
    amount = terms.amounts.get(code, Decimal("0.00"))
    if terms.uplift_applies(code):
        uplifted = terms.uplifted(amount)
        subtotal = amount * (total - shortage) + uplifted * shortage
    else:
        uplifted, subtotal = None, amount * total
    return SubsidyLine(
        level=code,
        level_label=labels.get(code, _("%(code)s 级") % {"code": code}),
        count=total,
        shortage_count=shortage,
        amount=amount,
        uplifted_amount=uplifted,
        subtotal=subtotal.quantize(CENT),
        priced=priced,
    )
