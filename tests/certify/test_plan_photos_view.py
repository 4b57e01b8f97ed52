"""Issue 11 item 11 (part): photos up front on the plan page — a photo column, a "缺照片" filter in
the candidate list, and a checklist line before filing that says how many photos are missing."""

import re

import pytest
from django.urls import reverse

from certify.services.enrolments import enrolment_set_photo
from tests.workflow import photo_bytes

pytestmark = pytest.mark.django_db


def page(plan) -> str:
    return reverse("certify:plan_detail", args=[plan.organization_id, plan.pk])


def candidate_rows(html: str) -> dict[str, str]:
    table = html[html.index('<h2 id="candidates">') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr>\s*<td><a [^>]*>([^<]+)</a>.*?</tr>", table, re.S)
    return {name: re.search(rf"<a [^>]*>{name}</a>.*?</tr>", table, re.S).group(0) for name in rows}


def test_the_candidate_list_shows_a_photo_column_and_filters_the_missing(world, as_user, ready_plan):
    zhang = ready_plan.enrolments.get(person__name="张伟")
    enrolment_set_photo(actor=world.a_operator, enrolment=zhang, data=photo_bytes())
    client = as_user(world.a_operator)
    rows = candidate_rows(client.get(page(ready_plan)).content.decode())
    assert set(rows) == {"张伟", "王芳", "李娜", "刘洋"}
    assert "已上传" in rows["张伟"] and "缺照片" not in rows["张伟"]
    assert all("缺照片" in rows[name] for name in ("王芳", "李娜", "刘洋"))
    html = client.get(page(ready_plan)).content.decode()
    assert "只看缺照片的考生（3 人）" in html
    filtered = client.get(page(ready_plan), {"photo": "missing"}).content.decode()
    assert set(candidate_rows(filtered)) == {"王芳", "李娜", "刘洋"}
    assert "只显示缺照片的考生（3 人）" in filtered and "显示全部考生" in filtered


def test_before_filing_the_checklist_says_how_many_photos_are_missing(world, as_user, ready_plan):
    client = as_user(world.a_operator)
    html = client.get(page(ready_plan)).content.decode()
    line = re.search(r'<li class="[^"]*" data-check="photos">(.*?)</li>', html, re.S).group(1)
    assert "尚有 4 名考生缺证件照：发证时需要，建议报备前补齐" in line
    assert "?photo=missing" in line
    for enrolment in ready_plan.enrolments.all():
        enrolment_set_photo(actor=world.a_operator, enrolment=enrolment, data=photo_bytes())
    html = client.get(page(ready_plan)).content.decode()
    assert re.search(r'<li class="met" data-check="photos">考生证件照已齐（发证时需要）</li>', html)
    assert "只看缺照片的考生" not in html


def test_after_filing_the_checklist_has_no_photo_line(world, as_user, scoring_plan):
    html = as_user(world.a_operator).get(page(scoring_plan)).content.decode()
    assert 'data-check="photos"' not in html
    assert "缺照片" in html  # the column still says it
