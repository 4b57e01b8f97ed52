"""Properties of the 申报条件 evaluator (issue 9): more years or a better certificate never turns an
eligible candidate ineligible, and the year boundaries are exact (3.99 short, 4.00 enough).

Rule sets come from the national template of every level and from generated conditions. Runs are
derandomized: CI sees the same examples every time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lib.eligibility import (
    CandidateFacts,
    CertificateKind,
    Condition,
    Diploma,
    PriorCertificate,
    evaluate,
    national_template,
    years_between,
)

PROPERTIES = settings(
    max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
EXAM = dt.date(2026, 11, 25)

years = st.decimals(min_value=0, max_value=12, places=2)
levels = st.integers(min_value=1, max_value=5)
days = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31))


@st.composite
def conditions(draw) -> Condition:
    prior_level = draw(st.none() | levels)
    diplomas = tuple(draw(st.lists(st.sampled_from(Diploma.values), max_size=3, unique=True)))
    condition = {
        "min_years_in_occupation": draw(st.none() | years),
        "prior_level": prior_level,
        "min_years_since_prior": draw(st.none() | years) if prior_level else None,
        "diplomas": diplomas,
        "final_year_student_counts": bool(diplomas) and draw(st.booleans()),
        "apprenticeship_completed": draw(st.booleans()),
    }
    if condition["min_years_in_occupation"] is None and not (
        prior_level or diplomas or condition["apprenticeship_completed"]
    ):
        condition["min_years_in_occupation"] = Decimal(0)  # a condition needs one requirement
    return Condition(**condition)


rule_sets = st.one_of(
    levels.map(national_template),
    st.lists(conditions(), min_size=1, max_size=4),
)

certificates = st.builds(
    PriorCertificate,
    level=levels,
    obtained_on=days,
    kind=st.sampled_from(CertificateKind.values),
)


@st.composite
def candidates(draw) -> CandidateFacts:
    return CandidateFacts(
        as_of=EXAM,
        years_in_occupation=draw(years),
        prior_certificates=tuple(draw(st.lists(certificates, min_size=draw(st.sampled_from([0, 1, 1])), max_size=3))),
        diploma=draw(st.none() | st.sampled_from(Diploma.values)),
        diploma_in_field=draw(st.booleans()),
        final_year_student=draw(st.booleans()),
        apprenticeship_completed=draw(st.booleans()),
    )


@st.composite
def improvements(draw, facts: CandidateFacts) -> CandidateFacts:
    """``facts`` with more years in the occupation, a certificate of a better level or held longer,
    or one more certificate; nothing else changes."""
    held = list(facts.prior_certificates)
    kind = draw(st.sampled_from(["years", "better", "earlier", "another"] if held else ["years", "another"]))
    if kind == "years":
        return replace(facts, years_in_occupation=facts.years_in_occupation + draw(years))
    if kind == "another":
        return replace(facts, prior_certificates=(*held, draw(certificates)))
    index = draw(st.integers(min_value=0, max_value=len(held) - 1))
    old = held[index]
    if kind == "better":
        held[index] = replace(old, level=draw(st.integers(min_value=1, max_value=max(1, old.level - 1))))
    else:
        earlier = draw(st.integers(min_value=0, max_value=3000))
        held[index] = replace(old, obtained_on=old.obtained_on - dt.timedelta(days=earlier))
    return replace(facts, prior_certificates=tuple(held))


@PROPERTIES
@given(rule_sets, st.data())
def test_more_years_or_a_better_certificate_never_turns_eligible_into_ineligible(rules, data):
    facts = data.draw(candidates())
    better = data.draw(improvements(facts))

    if evaluate(facts=facts, rules=rules).eligible:
        assert evaluate(facts=better, rules=rules).eligible


@PROPERTIES
@given(rule_sets, candidates())
def test_an_ineligible_result_always_says_what_is_missing(rules, facts):
    result = evaluate(facts=facts, rules=rules)
    assert result.eligible or result.missing
    assert result.eligible == (result.matched_index is not None)


# --- the year boundaries --------------------------------------------------------------------------
@PROPERTIES
@given(days, st.integers(min_value=0, max_value=30))
@example(dt.date(2024, 2, 29), 4)  # a 29 February start: the anniversary is 28 February in common years
@example(dt.date(2023, 3, 1), 4)
def test_years_between_is_whole_on_the_anniversary_and_below_it_the_day_before(start, whole):
    anniversary = _anniversary(start, whole)

    assert years_between(start=start, end=anniversary) == Decimal(whole)
    if whole:
        assert years_between(start=start, end=anniversary - dt.timedelta(days=1)) < Decimal(whole)


@PROPERTIES
@given(days, days)
def test_years_between_grows_with_the_span(start, end):
    later = end + dt.timedelta(days=1)
    assert years_between(start=start, end=later) >= years_between(start=start, end=end)
    assert years_between(start=start - dt.timedelta(days=1), end=end) >= years_between(start=start, end=end)


@PROPERTIES
@given(days.filter(lambda day: day <= EXAM))
@example(dt.date(2022, 11, 25))
@example(dt.date(2022, 2, 28))
def test_a_certificate_held_exactly_four_years_meets_the_four_year_condition_and_a_day_less_does_not(obtained):
    condition = national_template(4)[0]  # 五级 certificate, then 4 years
    assert condition.min_years_since_prior == Decimal(4)
    exam = _anniversary(obtained, 4)

    def holds(as_of):
        facts = CandidateFacts(
            as_of=as_of, years_in_occupation=Decimal(0), prior_certificates=(PriorCertificate(5, obtained),)
        )
        return evaluate(facts=facts, rules=[condition]).eligible

    assert holds(exam)
    assert not holds(exam - dt.timedelta(days=1))


@PROPERTIES
@given(st.decimals(min_value=0, max_value=40, places=2))
@example(Decimal("3.99"))
@example(Decimal("4.00"))
def test_years_in_the_occupation_meet_a_four_year_condition_from_4_00_and_not_at_3_99(value):
    condition = Condition(min_years_in_occupation=Decimal(4))
    result = evaluate(facts=CandidateFacts(as_of=EXAM, years_in_occupation=value), rules=[condition])

    assert result.eligible == (value >= Decimal("4.00"))
    if value == Decimal("3.99"):
        assert result.missing == ("还差 0.01 年从事本职业工作年限（需满 4 年）",)


def _anniversary(start: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later; 29 February falls back to 28 February (民法典 第二百零三条)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return dt.date(start.year + years, 2, 28)
