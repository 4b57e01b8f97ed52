"""Browser journey (issue 11): an assessor fills the score sheet with the keyboard — a full-width
value, a mistyped one — and presses Enter: the draft is saved, the mistake is marked at its cell
with what to fix, and every other value is still there. They fix it, tick two rows, confirm the
list, and find the rows locked with only 更正; then they correct one score with a reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from certify.models import Score
from tests.browser import requires_chromium, shot, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), requires_chromium]


def test_an_assessor_enters_a_sheet_with_an_error_then_submits_and_corrects(live_server, world, scoring_plan, desktop):
    page = desktop
    people = {e.person.name: e.pk for e in scoring_plan.enrolments.select_related("person")}
    zhang, wang, li = people["张伟"], people["王芳"], people["李娜"]
    sheet = live_server.url + reverse("certify:score_sheet", args=[scoring_plan.organization_id, scoring_plan.pk])
    sign_in(page, live_server.url, world.a_assessor.username, PASSWORD)
    page.goto(sheet)

    page.click(f"#id_v_{zhang}_0")
    page.keyboard.type("７６．５")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == f"o_{zhang}_0"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == f"pick_{wang}"
    page.fill(f"#id_v_{wang}_0", "7O")  # a letter O for a zero
    page.fill(f"#id_v_{li}_0", "88")
    page.press(f"#id_v_{li}_0", "Enter")  # Enter saves the draft; it never submits
    page.wait_for_load_state("networkidle")

    error = page.locator(f"#id_v_{wang}_0_error")
    assert "不是成绩：请填写 0–100 的数字" in error.inner_text()
    assert page.input_value(f"#id_v_{zhang}_0") == "76.5"  # read as the input method meant it
    assert page.input_value(f"#id_v_{wang}_0") == "7O"
    assert page.input_value(f"#id_v_{li}_0") == "88"
    assert not Score.objects.exists()
    shot(page, "journey-assessor-1-sheet-field-error")

    page.fill(f"#id_v_{wang}_0", "70")
    page.check(f"#id_pick_{zhang}")
    page.check(f"#id_pick_{wang}")
    page.click("button:has-text('核对并提交所选考生')")
    page.wait_for_load_state("networkidle")
    body = page.locator("main, body").first.inner_text()
    assert "确认提交成绩" in body and "张伟" in body and "王芳" in body and "李娜" not in body
    shot(page, "journey-assessor-2-confirm")
    page.click("button:has-text('确认提交这 2 名考生的成绩')")
    page.wait_for_load_state("networkidle")

    assert sorted(Score.objects.values_list("value", flat=True)) == [70, 76.5]
    row = page.locator(f"#row{zhang}")
    assert "已提交" in row.inner_text() and row.locator("input").count() == 0
    assert page.input_value(f"#id_v_{li}_0") == "88"  # the unticked row is still a draft
    shot(page, "journey-assessor-3-locked-rows")

    row.locator("a:has-text('更正')").click()
    page.wait_for_load_state("networkidle")
    page.fill("input[name=value]", "78")
    page.fill("textarea[name=reason]", "第 3 题漏计 1.5 分")
    page.click("button:has-text('提交更正')")
    page.wait_for_load_state("networkidle")
    assert "已更正" in page.locator(f"#row{zhang}").inner_text()
    shot(page, "journey-assessor-4-corrected")
