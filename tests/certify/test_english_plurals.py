"""Counted words agree with their count in English (issue 11, item 12: no more "1 exam rooms"): the
messages are marked as plurals, so the English catalogue's singular and plural forms are used.

The catalogue is regenerated separately; here the English forms are put into the active English
catalogue for the duration of a test, which is exactly what a compiled entry does."""

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import trans_real

from certify.services.plan_checks import approval_checks, panel_checks

pytestmark = pytest.mark.django_db

ENGLISH = {
    "%(n)d 个考场": ("%(n)d exam room", "%(n)d exam rooms"),
    "%(n)d 名考生": ("%(n)d candidate", "%(n)d candidates"),
    "还有 %(n)d 名考生的成绩未录齐": (
        "Scores are incomplete for %(n)d candidate",
        "Scores are incomplete for %(n)d candidates",
    ),
    "%(n)s 个工作日": ("%(n)s working day", "%(n)s working days"),
}


@pytest.fixture
def english(monkeypatch):
    with translation.override("en"):
        catalog = trans_real.translation("en")._catalog._catalogs[0]
        for msgid, (one, many) in ENGLISH.items():
            monkeypatch.setitem(catalog, (msgid, 0), one)
            monkeypatch.setitem(catalog, (msgid, 1), many)
        yield


def texts(checks) -> str:
    return " | ".join(check.text for check in checks)


def test_one_exam_room_and_one_candidate_read_in_the_singular(english, ready_plan):
    assert ready_plan.theory_rooms == 1
    text = texts(panel_checks(ready_plan, 1))
    assert "1 exam room, 1 candidate" in text, text  # the whole sentence is English now
    assert "1 exam rooms" not in text and "1 candidates" not in text
    assert "3 candidates" in texts(panel_checks(ready_plan, 3))


def test_the_chinese_wording_is_unchanged(ready_plan):
    with translation.override("zh-hans"):
        assert "（1 个考场、3 名考生）" in texts(panel_checks(ready_plan, 3))


def test_the_missing_scores_reason_agrees_with_its_count(english, scoring_plan):
    reasons = [check.why for check in approval_checks(scoring_plan)]
    assert any(r.startswith("Scores are incomplete for") for r in reasons), reasons


def test_the_filing_lead_on_the_plan_page_is_counted(english):
    source = (
        "{% load i18n %}{% blocktranslate count n=days %}{{ n }} 个工作日"
        "{% plural %}{{ n }} 个工作日{% endblocktranslate %}"
    )
    assert Template(source).render(Context({"days": 1})) == "1 working day"
    assert Template(source).render(Context({"days": 5})) == "5 working days"
