"""Properties of the working-day calculator (issue 9): adding n working days and counting back gives
n, the result is a working day, and it moves forward with n, under the official arrangement, with
days the bureau set by hand, and past the years chinese_calendar knows (Monday to Friday).

Runs are derandomized: CI sees the same examples every time.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lib.workdays import add_working_days, is_working_day, working_days_between

PROPERTIES = settings(
    max_examples=200, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)

starts = st.dates(min_value=dt.date(2004, 1, 1), max_value=dt.date(2028, 12, 31))
counts = st.integers(min_value=0, max_value=60)


@st.composite
def overrides(draw, start: dt.date) -> dict[dt.date, bool]:
    """Days near ``start`` the bureau marked by hand as working (True) or not (False)."""
    near = st.integers(min_value=-10, max_value=120).map(lambda offset: start + dt.timedelta(days=offset))
    return draw(st.dictionaries(near, st.booleans(), max_size=10))


@st.composite
def cases(draw) -> tuple[dt.date, int, dict[dt.date, bool]]:
    start = draw(starts)
    return start, draw(counts), draw(overrides(start))


@PROPERTIES
@given(cases())
@example((dt.date(2026, 9, 30), 5, {}))  # across National Day and its 调休 Sunday
@example((dt.date(2026, 2, 13), 3, {}))  # across Spring Festival
@example((dt.date(2026, 12, 30), 3, {}))  # into a year chinese_calendar may not know yet
def test_adding_n_working_days_then_counting_back_gives_n_and_lands_on_a_working_day(case):
    start, count, marked = case

    end = add_working_days(start, count, overrides=marked)

    assert working_days_between(start, end, overrides=marked) == count
    if count:
        assert is_working_day(end, overrides=marked)
        assert working_days_between(start, end - dt.timedelta(days=1), overrides=marked) == count - 1
    else:
        assert end == start


@PROPERTIES
@given(starts, counts, st.data())
def test_the_result_moves_forward_with_n(start, count, data):
    marked = data.draw(overrides(start))

    assert add_working_days(start, count + 1, overrides=marked) > add_working_days(start, count, overrides=marked)


@PROPERTIES
@given(starts, counts, counts)
def test_adding_in_two_steps_is_adding_once(start, first, second):
    assert add_working_days(add_working_days(start, first), second) == add_working_days(start, first + second)
