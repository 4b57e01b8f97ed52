"""申报条件: the pure eligibility evaluator and the national template as data (domain.md §2)."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from lib.eligibility import (
    CandidateFacts,
    Condition,
    Diploma,
    Eligibility,
    PriorCertificate,
    evaluate,
    national_template,
    ruleset_from_data,
    ruleset_from_json,
    ruleset_to_data,
    ruleset_to_json,
    years_between,
)

EXAM = dt.date(2024, 6, 1)
# Exactly N years before the exam, and one day short of that.
ON_ANNIVERSARY = {n: dt.date(2024 - n, 6, 1) for n in (2, 4, 5)}
DAY_SHORT = {n: dt.date(2024 - n, 6, 2) for n in (2, 4, 5)}
RECENT = dt.date(2024, 1, 10)


def cert(level, obtained_on, kind="skill_level"):
    return PriorCertificate(level=level, obtained_on=obtained_on, kind=kind)


def facts(years="0", *certs, diploma=None, in_field=True, final_year=False, apprentice=False):
    return CandidateFacts(
        as_of=EXAM,
        years_in_occupation=Decimal(years),
        prior_certificates=certs,
        diploma=diploma,
        diploma_in_field=in_field,
        final_year_student=final_year,
        apprenticeship_completed=apprentice,
    )


# --- years_between ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(dt.date(2020, 6, 1), dt.date(2024, 6, 1), "4.00", id="exactly_on_the_fourth_anniversary"),
        pytest.param(dt.date(2020, 6, 2), dt.date(2024, 6, 1), "3.99", id="one_day_short_of_four_years"),
        pytest.param(dt.date(2024, 6, 1), dt.date(2024, 6, 1), "0.00", id="same_day"),
        pytest.param(dt.date(2023, 6, 1), dt.date(2023, 11, 30), "0.49", id="182_days_round_down"),
        pytest.param(dt.date(2023, 3, 1), dt.date(2024, 2, 29), "0.99", id="365_days_across_29_february"),
        pytest.param(dt.date(2020, 2, 29), dt.date(2021, 2, 28), "1.00", id="leap_day_start_anniversary_on_28_feb"),
        pytest.param(dt.date(2020, 2, 29), dt.date(2024, 2, 28), "3.99", id="leap_day_start_day_before_leap_anniv"),
        pytest.param(dt.date(2020, 2, 29), dt.date(2024, 2, 29), "4.00", id="leap_day_start_on_leap_anniversary"),
        pytest.param(dt.date(2024, 6, 1), dt.date(2020, 6, 1), "-4.00", id="end_before_start_is_negative"),
    ],
)
def test_years_between_counts_whole_years_by_anniversary_and_rounds_down(start, end, expected):
    assert years_between(start=start, end=end) == Decimal(expected)


def test_years_between_is_a_whole_number_exactly_on_the_anniversary():
    assert years_between(start=dt.date(2019, 6, 1), end=EXAM) == 5
    assert years_between(start=dt.date(2019, 6, 1), end=EXAM) < Decimal(5) + Decimal("0.01")


# --- the national template, every alternative passing and failing ----------------------------
TEMPLATE_CASES = [
    # 五级: ≥1 year; or apprenticeship completed.
    pytest.param(5, facts("1"), 0, id="l5_one_year_in_occupation_qualifies"),
    pytest.param(5, facts("0.99"), None, id="l5_0.99_years_in_occupation_does_not"),
    pytest.param(5, facts("0", apprentice=True), 1, id="l5_completed_apprenticeship_qualifies"),
    pytest.param(5, facts("0", apprentice=False), None, id="l5_no_apprenticeship_and_no_years_does_not"),
    # 四级: level 5 + 4 years since; or 6 years; or technical school diploma (final-year students count).
    pytest.param(4, facts("0", cert(5, ON_ANNIVERSARY[4])), 0, id="l4_level5_held_exactly_4_years"),
    pytest.param(4, facts("0", cert(5, DAY_SHORT[4])), None, id="l4_level5_held_one_day_short_of_4_years"),
    pytest.param(4, facts("5", cert(5, ON_ANNIVERSARY[4], "qualification")), 0, id="l4_old_level5_qualification"),
    pytest.param(4, facts("0", cert(4, ON_ANNIVERSARY[4])), 0, id="l4_better_level4_cert_counts_as_level5"),
    pytest.param(4, facts("5.99"), None, id="l4_no_cert_and_5.99_years_does_not"),
    pytest.param(4, facts("6"), 1, id="l4_six_years_in_occupation_qualifies"),
    pytest.param(4, facts("0", diploma=Diploma.TECHNICAL_SCHOOL), 2, id="l4_technical_school_diploma_in_field"),
    pytest.param(
        4, facts("0", diploma=Diploma.TECHNICAL_SCHOOL, final_year=True), 2, id="l4_final_year_technical_student"
    ),
    pytest.param(
        4, facts("0", diploma=Diploma.TECHNICAL_SCHOOL, in_field=False), None, id="l4_diploma_not_in_field_does_not"
    ),
    pytest.param(4, facts("0", diploma=Diploma.TECHNICIAN_COLLEGE), 2, id="l4_technician_college_diploma_counts"),
    pytest.param(4, facts("0", diploma=Diploma.BACHELOR), None, id="l4_bachelor_alone_does_not"),
    # 三级: level 4 + 5 years; or level 4 + senior technical school / technician college (final-year count);
    # or level 4 + college in the field + 2 years since.
    pytest.param(3, facts("0", cert(4, ON_ANNIVERSARY[5])), 0, id="l3_level4_held_exactly_5_years"),
    pytest.param(3, facts("9", cert(4, DAY_SHORT[5])), None, id="l3_level4_held_one_day_short_of_5_years"),
    pytest.param(3, facts("0", cert(4, ON_ANNIVERSARY[5], "qualification")), 0, id="l3_old_level4_qualification"),
    pytest.param(3, facts("0", cert(3, ON_ANNIVERSARY[5])), 0, id="l3_better_level3_cert_counts_as_level4"),
    pytest.param(3, facts("20", cert(5, dt.date(2004, 1, 1))), None, id="l3_level5_cert_does_not_count_as_level4"),
    pytest.param(3, facts("9"), None, id="l3_missing_prior_certificate"),
    pytest.param(
        3, facts("0", cert(4, RECENT), diploma=Diploma.SENIOR_TECHNICAL_SCHOOL), 1, id="l3_level4_and_senior_school"
    ),
    pytest.param(
        3,
        facts("0", cert(4, RECENT), diploma=Diploma.TECHNICIAN_COLLEGE, final_year=True),
        1,
        id="l3_level4_and_final_year_technician_college_student",
    ),
    pytest.param(
        3, facts("0", diploma=Diploma.SENIOR_TECHNICAL_SCHOOL), None, id="l3_senior_school_without_level4_does_not"
    ),
    pytest.param(
        3,
        facts("0", cert(4, RECENT), diploma=Diploma.TECHNICIAN_COLLEGE, in_field=False),
        None,
        id="l3_level4_and_technician_college_not_in_field_does_not",
    ),
    pytest.param(
        3, facts("0", cert(4, ON_ANNIVERSARY[2]), diploma=Diploma.COLLEGE), 2, id="l3_level4_and_college_2_years"
    ),
    pytest.param(
        3,
        facts("0", cert(4, DAY_SHORT[2]), diploma=Diploma.COLLEGE),
        None,
        id="l3_level4_and_college_one_day_short_of_2_years",
    ),
    pytest.param(
        3, facts("0", cert(4, ON_ANNIVERSARY[2]), diploma=Diploma.BACHELOR), 2, id="l3_level4_and_bachelor_2_years"
    ),
    pytest.param(
        3,
        facts("0", cert(4, ON_ANNIVERSARY[4]), diploma=Diploma.COLLEGE, final_year=True),
        None,
        id="l3_final_year_college_student_does_not_count",
    ),
    pytest.param(
        3,
        facts("0", cert(4, ON_ANNIVERSARY[4]), diploma=Diploma.COLLEGE, in_field=False),
        None,
        id="l3_college_not_in_field_does_not",
    ),
    # 二级: level 3 + 4 years; or level 3 + senior school / technician college graduate + 3 years in occupation;
    # or 预备技师 + 2 years in occupation.
    pytest.param(2, facts("0", cert(3, ON_ANNIVERSARY[4])), 0, id="l2_level3_held_exactly_4_years"),
    pytest.param(2, facts("0", cert(3, DAY_SHORT[4])), None, id="l2_level3_held_one_day_short_of_4_years"),
    pytest.param(2, facts("0", cert(3, ON_ANNIVERSARY[4], "qualification")), 0, id="l2_old_level3_qualification"),
    pytest.param(
        2,
        facts("3", cert(3, RECENT), diploma=Diploma.SENIOR_TECHNICAL_SCHOOL),
        1,
        id="l2_level3_senior_school_graduate_3_years",
    ),
    pytest.param(
        2,
        facts("2.99", cert(3, RECENT), diploma=Diploma.TECHNICIAN_COLLEGE),
        None,
        id="l2_level3_technician_college_graduate_2.99_years_does_not",
    ),
    pytest.param(
        2,
        facts("3", cert(3, RECENT), diploma=Diploma.TECHNICIAN_COLLEGE, final_year=True),
        None,
        id="l2_final_year_student_does_not_count_as_graduate",
    ),
    pytest.param(
        2, facts("3", diploma=Diploma.TECHNICIAN_COLLEGE), None, id="l2_technician_college_without_level3_does_not"
    ),
    pytest.param(2, facts("2", diploma=Diploma.PREPARATORY_TECHNICIAN), 2, id="l2_preparatory_technician_2_years"),
    pytest.param(
        2, facts("1.99", diploma=Diploma.PREPARATORY_TECHNICIAN), None, id="l2_preparatory_technician_1.99_years"
    ),
    pytest.param(
        2,
        facts("5", diploma=Diploma.PREPARATORY_TECHNICIAN, in_field=False),
        None,
        id="l2_preparatory_technician_not_in_field_does_not",
    ),
    pytest.param(
        2,
        facts("5", diploma=Diploma.PREPARATORY_TECHNICIAN, final_year=True),
        None,
        id="l2_final_year_preparatory_technician_does_not",
    ),
    # 一级: level 2 + 4 years.
    pytest.param(1, facts("0", cert(2, ON_ANNIVERSARY[4])), 0, id="l1_level2_held_exactly_4_years"),
    pytest.param(1, facts("30", cert(2, DAY_SHORT[4])), None, id="l1_level2_held_one_day_short_of_4_years"),
    pytest.param(1, facts("0", cert(2, ON_ANNIVERSARY[4], "qualification")), 0, id="l1_old_level2_qualification"),
    pytest.param(1, facts("0", cert(1, ON_ANNIVERSARY[4])), 0, id="l1_better_level1_cert_counts"),
    pytest.param(1, facts("30", cert(3, dt.date(2000, 1, 1))), None, id="l1_level3_and_30_years_does_not"),
    pytest.param(1, facts("30"), None, id="l1_missing_prior_certificate"),
]


@pytest.mark.parametrize(("level", "candidate", "matched_index"), TEMPLATE_CASES)
def test_the_national_template_admits_exactly_the_candidates_it_describes(level, candidate, matched_index):
    result = evaluate(facts=candidate, rules=national_template(level))
    assert result.eligible is (matched_index is not None)
    assert result.matched_index == matched_index
    if result.eligible:
        assert result.matched == national_template(level)[matched_index].describe()
        assert result.missing == ()
        assert result.nearest_index is None
    else:
        assert result.matched == ""
        assert result.nearest_index is not None
        assert result.missing


@pytest.mark.parametrize(("level", "count"), [(5, 2), (4, 3), (3, 3), (2, 3), (1, 1)])
def test_the_national_template_has_every_alternative_of_the_table(level, count):
    rules = national_template(level)
    assert len(rules) == count
    assert all(condition.note for condition in rules)


def test_the_national_template_refuses_levels_it_does_not_cover():
    with pytest.raises(ValueError, match="五级至一级"):
        national_template(6)


# --- boundaries of years in the occupation ---------------------------------------------------
FOUR_YEARS = [Condition(min_years_in_occupation=Decimal(4))]


@pytest.mark.parametrize(
    ("years", "eligible"),
    [pytest.param("3.99", False, id="3.99_years_is_short"), pytest.param("4.00", True, id="4.00_years_is_enough")],
)
def test_years_in_occupation_are_compared_as_given(years, eligible):
    assert evaluate(facts=facts(years), rules=FOUR_YEARS).eligible is eligible


def test_a_shortfall_in_years_in_occupation_is_worded_for_the_clerk():
    result = evaluate(facts=facts("3.99"), rules=FOUR_YEARS)
    assert result.missing == ("还差 0.01 年从事本职业工作年限（需满 4 年）",)


# --- certificates -----------------------------------------------------------------------------
def test_the_longest_held_qualifying_certificate_is_used():
    candidate = facts("0", cert(4, RECENT), cert(3, dt.date(2023, 1, 1)), cert(4, ON_ANNIVERSARY[5], "qualification"))
    result = evaluate(facts=candidate, rules=national_template(3))
    assert result.eligible
    assert result.matched_index == 0


def test_a_certificate_obtained_after_the_exam_date_is_not_held():
    candidate = facts("30", cert(2, dt.date(2024, 6, 2)))
    result = evaluate(facts=candidate, rules=national_template(1))
    assert not result.eligible
    assert result.missing[0] == "需取得二级及以上证书"


def test_a_missing_prior_certificate_names_the_level_and_the_years_still_needed():
    result = evaluate(facts=facts("0"), rules=national_template(1))
    assert result.missing == ("需取得二级及以上证书", "取得后还需累计从事本职业工作满 4 年")


def test_a_certificate_of_a_lower_level_is_named_in_the_missing_wording():
    result = evaluate(facts=facts("3", cert(5, ON_ANNIVERSARY[4])), rules=national_template(3))
    assert "需取得四级及以上证书（现有最高为五级）" in result.missing


def test_years_since_a_certificate_one_day_short_say_how_much_is_missing():
    result = evaluate(facts=facts("30", cert(2, DAY_SHORT[4])), rules=national_template(1))
    assert result.missing == ("取得二级及以上证书后累计从事本职业工作还差 0.01 年（需满 4 年，现满 3.99 年）",)


# --- nearest condition and wording for a near miss --------------------------------------------
def test_a_near_miss_points_to_the_closest_condition_and_what_is_missing():
    result = evaluate(facts=facts("5.5"), rules=national_template(4))
    assert result == Eligibility(
        eligible=False,
        nearest_index=1,
        nearest="累计从事本职业工作满 6 年",
        missing=("还差 0.5 年从事本职业工作年限（需满 6 年）",),
    )
    assert result.summary() == (
        "不符合申报条件。最接近第 2 项（累计从事本职业工作满 6 年），尚缺：还差 0.5 年从事本职业工作年限（需满 6 年）。"
    )


def test_the_nearest_condition_has_the_fewest_unmet_requirements_before_the_smallest_shortfall():
    rules = [Condition(prior_level=4, min_years_since_prior=Decimal("0.5")), Condition(min_years_in_occupation=10)]
    result = evaluate(facts=facts("1"), rules=rules)
    assert result.nearest_index == 1
    assert result.missing == ("还差 9 年从事本职业工作年限（需满 10 年）",)


def test_equally_unmet_conditions_are_ranked_by_the_smallest_shortfall_in_years():
    rules = [Condition(min_years_in_occupation=10), Condition(prior_level=4, min_years_since_prior=3)]
    result = evaluate(facts=facts("5", cert(4, ON_ANNIVERSARY[2])), rules=rules)
    assert result.nearest_index == 1
    assert result.missing == ("取得四级及以上证书后累计从事本职业工作还差 1 年（需满 3 年，现满 2 年）",)


def test_a_requirement_time_cannot_meet_ranks_behind_any_shortfall_in_years():
    rules = [Condition(prior_level=4, min_years_in_occupation=1), Condition(min_years_in_occupation=10)]
    result = evaluate(facts=facts("1"), rules=rules)
    assert result.nearest_index == 1
    assert result.missing == ("还差 9 年从事本职业工作年限（需满 10 年）",)


def test_without_a_certificate_the_route_needing_only_time_after_it_is_nearest():
    result = evaluate(facts=facts("9"), rules=national_template(3))
    assert result.nearest_index == 0
    assert result.missing == ("需取得四级及以上证书", "取得后还需累计从事本职业工作满 5 年")


def test_equal_shortfalls_are_ranked_by_order():
    rules = [Condition(apprenticeship_completed=True), Condition(diplomas=(Diploma.COLLEGE,))]
    result = evaluate(facts=facts("0"), rules=rules)
    assert result.nearest_index == 0
    assert result.missing == ("需本职业学徒期满",)


def test_a_final_year_student_where_not_allowed_is_told_the_diploma_is_needed():
    candidate = facts("5", diploma=Diploma.PREPARATORY_TECHNICIAN, final_year=True)
    result = evaluate(facts=candidate, rules=national_template(2))
    assert result.nearest_index == 2
    assert result.missing == ("需已取得预备技师（技师学院）毕业证书（此项不含在校应届毕业生）",)


def test_a_diploma_outside_the_field_is_named_as_the_problem():
    candidate = facts("0", diploma=Diploma.TECHNICAL_SCHOOL, in_field=False)
    result = evaluate(facts=candidate, rules=national_template(4)[2:])
    assert result.missing == ("所持技工学校/中等职业学校毕业证书须为本专业或相关专业",)


def test_an_eligible_summary_names_the_matched_condition():
    result = evaluate(facts=facts("0", cert(4, ON_ANNIVERSARY[5])), rules=national_template(3))
    assert result.summary() == "符合申报条件（第 1 项）：取得四级证书后累计从事本职业工作满 5 年。"
    assert json.loads(json.dumps(result.to_dict()))["matched_index"] == 0


# --- empty rule set ----------------------------------------------------------------------------
def test_an_empty_rule_set_admits_nobody_via_promotion_and_says_so():
    result = evaluate(facts=facts("40", cert(1, dt.date(2000, 1, 1))), rules=[])
    assert not result.eligible
    assert result.matched_index is None
    assert result.nearest_index is None
    assert "不能按晋级申报" in result.missing[0]
    assert "定级" in result.summary()


# --- describe ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("condition", "text"),
    [
        pytest.param(
            Condition(prior_level=4, min_years_since_prior=Decimal(5)),
            "取得四级证书后累计从事本职业工作满 5 年",
            id="certificate_and_years_since",
        ),
        pytest.param(national_template(5)[1], "本职业学徒期满", id="apprenticeship"),
        pytest.param(
            national_template(3)[1],
            "取得四级证书，具有本专业或相关专业高级技工学校、技师学院、预备技师（技师学院）毕业证书（含在校应届毕业生）",
            id="certificate_and_diploma_with_final_year_students",
        ),
        pytest.param(
            national_template(2)[2],
            "具有本专业或相关专业预备技师（技师学院）毕业证书，累计从事本职业工作满 2 年",
            id="diploma_and_years_in_occupation",
        ),
        pytest.param(Condition(min_years_in_occupation=Decimal("1.50")), "累计从事本职业工作满 1.5 年", id="decimal"),
    ],
)
def test_a_condition_describes_itself_in_chinese(condition, text):
    assert condition.describe() == text


# --- serialisation -----------------------------------------------------------------------------
ALL_TEMPLATE_CONDITIONS = [
    pytest.param(condition, id=f"l{level}_alternative_{index + 1}")
    for level in (5, 4, 3, 2, 1)
    for index, condition in enumerate(national_template(level))
]


@pytest.mark.parametrize("condition", ALL_TEMPLATE_CONDITIONS)
def test_a_condition_survives_the_round_trip_through_json(condition):
    data = json.loads(json.dumps(condition.to_dict()))
    assert Condition.from_dict(data) == condition


def test_to_dict_writes_decimals_as_strings_and_every_key():
    assert Condition(prior_level=4, min_years_since_prior=Decimal("2.5"), diplomas=(Diploma.COLLEGE,)).to_dict() == {
        "min_years_in_occupation": None,
        "prior_level": 4,
        "min_years_since_prior": "2.5",
        "diplomas": ["college"],
        "final_year_student_counts": False,
        "apprenticeship_completed": False,
        "note": "",
    }


def test_from_dict_accepts_a_partial_form_and_converts_years():
    condition = Condition.from_dict({"min_years_in_occupation": "6", "note": " 见标准 "})
    assert condition == Condition(min_years_in_occupation=Decimal(6), note="见标准")


@pytest.mark.parametrize("level", [5, 4, 3, 2, 1])
def test_a_rule_set_survives_the_round_trip_through_json_text_and_data(level):
    rules = national_template(level)
    assert ruleset_from_json(ruleset_to_json(rules)) == rules
    assert ruleset_from_data(json.loads(json.dumps(ruleset_to_data(rules)))) == rules


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"min_years": "6"}, "未知字段：min_years", id="unknown_key"),
        pytest.param({"min_years_in_occupation": "六"}, "应为数字", id="years_not_a_number"),
        pytest.param({"min_years_in_occupation": "-1"}, "不小于 0", id="negative_years"),
        pytest.param({"min_years_in_occupation": True}, "应为数字", id="years_as_a_boolean"),
        pytest.param({"prior_level": "4"}, "正整数", id="level_as_text"),
        pytest.param({"diplomas": ["phd"]}, "未知的学历类型：phd", id="unknown_diploma"),
        pytest.param({"min_years_since_prior": "4"}, "所需证书等级", id="years_since_without_a_level"),
        pytest.param({"diplomas": [], "final_year_student_counts": True}, "请同时选择学历", id="final_year_no_diploma"),
        pytest.param({"note": "空条件"}, "至少应包含一项要求", id="no_requirement_at_all"),
    ],
)
def test_from_dict_refuses_invalid_data_with_a_chinese_message(data, message):
    with pytest.raises(ValueError, match=message):
        Condition.from_dict(data)


def test_a_rule_set_error_names_the_condition():
    with pytest.raises(ValueError, match="第 2 项条件：条件至少应包含一项要求"):
        ruleset_from_data([{"min_years_in_occupation": "1"}, {}])
    with pytest.raises(ValueError, match="不是有效的 JSON"):
        ruleset_from_json("[{")


# --- facts --------------------------------------------------------------------------------------
def test_candidate_facts_convert_years_given_as_text():
    assert facts("3.5").years_in_occupation == Decimal("3.5")


def test_an_unknown_certificate_kind_is_refused():
    with pytest.raises(ValueError, match="未知的证书类型"):
        PriorCertificate(level=4, obtained_on=EXAM, kind="diploma")
