"""Working days under the official holiday arrangement, as shipped by chinese-calendar 1.11.0.

The dates below are the State Council's published arrangements as they appear in
``chinese_calendar/constants.py`` of chinese-calendar 1.11.0 (data for 2004–2026):

- Spring Festival 2026: ``holidays`` 2026-02-15 (Sun) … 2026-02-23 (Mon), nine days off;
  ``workdays`` (调休) 2026-02-14 (Sat) and 2026-02-28 (Sat).
- National Day 2025: ``holidays`` 2025-10-01 (Wed) … 2025-10-08 (Wed), 10-06 filed as Mid-autumn;
  ``workdays`` (调休) 2025-09-28 (Sun) and 2025-10-11 (Sat).
- Mid-autumn and National Day 2026: ``holidays`` 2026-09-25 (Fri) … 09-27 and 2026-10-01 (Thu) … 10-07 (Wed);
  ``workdays`` (调休) 2026-09-20 (Sun) and 2026-10-10 (Sat).
"""

import datetime as dt
import logging

import pytest

from lib import workdays
from lib.workdays import add_working_days, calendar_covers, is_working_day, working_days_between

D = dt.date
FAR_YEAR = 2099  # chinese_calendar gains one year per release; this one stays unpublished for a long time


@pytest.fixture
def fresh_warnings(monkeypatch):
    monkeypatch.setattr(workdays, "_warned_years", set())


# --- A plain week -----------------------------------------------------------------------------


def test_a_plain_week_counts_monday_to_friday():
    # 2025-06-09 is a Monday with no holiday that week (Dragon Boat ended 2025-06-02).
    assert add_working_days(D(2025, 6, 9), 5) == D(2025, 6, 16)
    assert working_days_between(D(2025, 6, 6), D(2025, 6, 13)) == 5


def test_a_plain_weekend_is_not_a_working_day():
    assert is_working_day(D(2025, 6, 13)) is True
    assert is_working_day(D(2025, 6, 14)) is False
    assert is_working_day(D(2025, 6, 15)) is False


def test_count_zero_returns_the_start_even_on_a_holiday():
    assert add_working_days(D(2025, 6, 9), 0) == D(2025, 6, 9)
    assert add_working_days(D(2025, 10, 3), 0) == D(2025, 10, 3)


def test_the_start_day_itself_is_never_counted():
    assert add_working_days(D(2025, 6, 9), 1) == D(2025, 6, 10)
    assert working_days_between(D(2025, 6, 9), D(2025, 6, 9)) == 0


def test_no_working_days_lie_between_a_start_and_an_earlier_end():
    assert working_days_between(D(2025, 6, 13), D(2025, 6, 9)) == 0


def test_a_negative_count_is_refused():
    with pytest.raises(ValueError):
        add_working_days(D(2025, 6, 9), -1)


def test_a_datetime_is_refused_because_its_day_depends_on_the_time_zone():
    with pytest.raises(TypeError):
        is_working_day(dt.datetime(2025, 6, 9, 12, 0))


# --- Spring Festival 2026 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 2, 13), True),  # Friday before
        (D(2026, 2, 14), True),  # Saturday, 调休 working day
        (D(2026, 2, 15), False),  # first day off (Sunday)
        (D(2026, 2, 16), False),  # Monday inside the holiday
        (D(2026, 2, 20), False),  # Friday inside the holiday
        (D(2026, 2, 23), False),  # last day off (Monday)
        (D(2026, 2, 24), True),  # back to work
        (D(2026, 2, 28), True),  # Saturday, 调休 working day
        (D(2026, 3, 1), False),  # ordinary Sunday
    ],
)
def test_spring_festival_2026_follows_the_published_arrangement(day, working):
    assert is_working_day(day) is working


def test_publicity_across_spring_festival_2026_counts_the_adjusted_saturdays():
    # From Friday 02-13: Sat 02-14 (1), holiday to 02-23, then 02-24 … 02-27 (2–5), Sat 02-28 (6).
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)
    assert add_working_days(D(2026, 2, 13), 5) == D(2026, 2, 27)
    assert add_working_days(D(2026, 2, 13), 6) == D(2026, 2, 28)
    assert add_working_days(D(2026, 2, 13), 7) == D(2026, 3, 2)
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 28)) == 6


def test_a_count_starting_on_a_spring_festival_holiday_resumes_after_it():
    assert add_working_days(D(2026, 2, 17), 1) == D(2026, 2, 24)


# --- National Day 2025 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 9, 27), False),  # ordinary Saturday
        (D(2025, 9, 28), True),  # Sunday, 调休 working day
        (D(2025, 9, 30), True),
        (D(2025, 10, 1), False),
        (D(2025, 10, 6), False),  # Mid-autumn, inside the National Day break
        (D(2025, 10, 8), False),  # last day off (Wednesday)
        (D(2025, 10, 9), True),
        (D(2025, 10, 11), True),  # Saturday, 调休 working day
        (D(2025, 10, 12), False),  # ordinary Sunday
    ],
)
def test_national_day_2025_follows_the_published_arrangement(day, working):
    assert is_working_day(day) is working


def test_publicity_across_national_day_2025_counts_the_adjusted_sunday_and_saturday():
    # From Friday 09-26: Sun 09-28 (1), 09-29 (2), 09-30 (3), off 10-01 … 10-08, 10-09 (4), 10-10 (5), Sat 10-11 (6).
    assert add_working_days(D(2025, 9, 26), 1) == D(2025, 9, 28)
    assert add_working_days(D(2025, 9, 26), 5) == D(2025, 10, 10)
    assert add_working_days(D(2025, 9, 26), 6) == D(2025, 10, 11)
    assert add_working_days(D(2025, 9, 26), 7) == D(2025, 10, 13)
    assert working_days_between(D(2025, 9, 26), D(2025, 10, 12)) == 6


def test_a_count_starting_on_a_national_day_holiday_resumes_after_it():
    assert add_working_days(D(2025, 10, 3), 1) == D(2025, 10, 9)
    assert add_working_days(D(2025, 10, 3), 3) == D(2025, 10, 11)


# --- Mid-autumn and National Day 2026 ---------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 9, 19), False),  # ordinary Saturday
        (D(2026, 9, 20), True),  # Sunday, 调休 working day
        (D(2026, 9, 25), False),  # Mid-autumn (Friday)
        (D(2026, 9, 28), True),
        (D(2026, 10, 1), False),
        (D(2026, 10, 5), False),  # Monday inside the holiday
        (D(2026, 10, 7), False),  # last day off (Wednesday)
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # Saturday, 调休 working day
        (D(2026, 10, 11), False),  # ordinary Sunday
    ],
)
def test_national_day_2026_follows_the_published_arrangement(day, working):
    assert is_working_day(day) is working


def test_publicity_across_national_day_2026_counts_the_adjusted_sunday_and_saturday():
    # From Friday 09-18: Sun 09-20 (1), 09-21 … 09-24 (2–5), off 09-25 … 09-27, 09-28 … 09-30 (6–8),
    # off 10-01 … 10-07, 10-08 (9), 10-09 (10), Sat 10-10 (11).
    assert add_working_days(D(2026, 9, 18), 1) == D(2026, 9, 20)
    assert add_working_days(D(2026, 9, 18), 5) == D(2026, 9, 24)
    assert add_working_days(D(2026, 9, 18), 6) == D(2026, 9, 28)
    assert add_working_days(D(2026, 9, 18), 9) == D(2026, 10, 8)
    assert add_working_days(D(2026, 9, 18), 11) == D(2026, 10, 10)
    assert working_days_between(D(2026, 9, 18), D(2026, 10, 11)) == 11


def test_an_adjusted_saturday_counts_towards_the_filing_lead_time():
    # Filed on Friday 2026-10-09, an exam on Thursday 10-15 is five working days ahead only because
    # Saturday 10-10 is a 调休 working day; the same weekdays a week later give four.
    assert working_days_between(D(2026, 10, 9), D(2026, 10, 15)) == 5
    assert add_working_days(D(2026, 10, 9), 5) == D(2026, 10, 15)
    assert working_days_between(D(2026, 10, 16), D(2026, 10, 22)) == 4


@pytest.mark.parametrize(
    "start",
    [D(2025, 9, 20), D(2025, 10, 4), D(2026, 2, 7), D(2026, 2, 21), D(2026, 9, 13), D(2026, 10, 3)],
)
def test_adding_and_counting_working_days_agree_across_the_holidays(start):
    for count in range(25):
        assert working_days_between(start, add_working_days(start, count)) == count


# --- Coverage and the Monday–Friday fallback --------------------------------------------------


def test_the_installed_calendar_covers_2025_and_2026():
    assert calendar_covers(2025) is True
    assert calendar_covers(2026) is True


def test_the_installed_calendar_does_not_cover_a_far_year_or_years_before_its_data():
    assert calendar_covers(FAR_YEAR) is False
    assert calendar_covers(2003) is False


def test_a_year_beyond_the_data_falls_back_to_monday_to_friday(fresh_warnings):
    # 2099-01-01 is a Thursday: the real New Year holiday is unknown, so it counts as working.
    week = [D(FAR_YEAR, 1, day) for day in range(1, 8)]

    assert [is_working_day(day) for day in week] == [True, True, False, False, True, True, True]
    assert add_working_days(D(FAR_YEAR, 1, 2), 1) == D(FAR_YEAR, 1, 5)
    assert working_days_between(D(FAR_YEAR, 1, 1), D(FAR_YEAR, 1, 8)) == 5


def test_the_fallback_is_used_whenever_the_calendar_refuses_a_year(monkeypatch, fresh_warnings):
    def refuse(day):
        raise NotImplementedError(f"no available data for year {day.year}")

    monkeypatch.setattr(workdays.chinese_calendar, "is_workday", refuse)

    assert calendar_covers(2026) is False
    assert is_working_day(D(2026, 2, 16)) is True  # a Spring Festival Monday, unknown without the data
    assert is_working_day(D(2026, 2, 14)) is False  # the 调休 Saturday, likewise


def test_the_fallback_logs_one_warning_per_year(caplog, fresh_warnings):
    with caplog.at_level(logging.WARNING, logger="lib.workdays"):
        working_days_between(D(FAR_YEAR, 1, 1), D(FAR_YEAR, 3, 1))
        is_working_day(D(FAR_YEAR, 6, 1))
        is_working_day(D(FAR_YEAR - 1, 6, 1))

    warnings = [record for record in caplog.records if record.name == "lib.workdays"]
    assert len(warnings) == 2
    assert {str(FAR_YEAR), str(FAR_YEAR - 1)} <= {str(arg) for record in warnings for arg in record.args}


def test_a_count_crossing_into_an_uncovered_year_switches_to_the_fallback(fresh_warnings):
    last_year = max(year for year in range(2024, FAR_YEAR) if calendar_covers(year))
    first_weekday = D(last_year + 1, 1, 1)
    while first_weekday.weekday() >= 5:
        first_weekday += dt.timedelta(days=1)

    assert add_working_days(D(last_year, 12, 31), 1) == first_weekday


def test_checking_coverage_logs_nothing(caplog, fresh_warnings):
    with caplog.at_level(logging.WARNING, logger="lib.workdays"):
        calendar_covers(FAR_YEAR)

    assert caplog.records == []
