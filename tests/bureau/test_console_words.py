"""The bureau's console and timelines speak in words (issue 11, item 6): every stored code in its
Chinese label, objects named as what they are, people by name, no file paths, no checksums, and no
server command in the chain banner — walked over every console page of a demo-like dataset."""

import html as html_lib
import re

import pytest
from django.urls import reverse

from accounts.models import Organization, User
from audit.actors import system_actor
from audit.checkpoints import checkpoint_create
from audit.verify import verify_all
from certify.models import AssessmentPlan, Certificate, Person
from certify.services.worker_copy import certificate_worker_copy
from tests.builders import build_dataset
from tests.helpers import html

pytestmark = pytest.mark.django_db

# A code word: four or more Latin letters or underscores standing alone (promotion, scored,
# filed_by …); letters inside a run of digits are data (a credit code, a certificate number).
CODE_WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z_]{4,}(?![A-Za-z0-9_])")


def visible_main(page: str) -> str:
    """The text a reader sees in the page's main part (no tags, attributes or links)."""
    main = page[page.index("<main") : page.index("</main>")]
    main = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", main)
    return html_lib.unescape(re.sub(r"(?s)<[^>]*>", "\n", main))


# A key or a checksum shown as data (the audit public keys, base64url): one long unbroken token.
KEY_TOKEN = re.compile(r"[A-Za-z0-9_-]{24,}")


def code_words(page: str, allowed: set[str]) -> list[str]:
    return [w for w in CODE_WORD.findall(KEY_TOKEN.sub(" ", visible_main(page))) if w not in allowed]


@pytest.fixture
def demo_like(world, issued, today):
    """Two organisations, plans issued on two dates, a revoked and a corrected certificate, the
    rendering jobs of the system, a holder's copy attempt, a checkpoint."""
    dataset = build_dataset(world, issued, today)
    certificate_worker_copy(certificate=dataset.a3[0], check_code="WRONG-CODE", name="某人")
    checkpoint_create(actor=system_actor("beat"))  # the hourly checkpoint, made by the scheduler
    return dataset


def console_pages(client) -> list[str]:
    urls = [reverse("bureau:console"), reverse("bureau:checkpoint_list")]
    urls += [f"{reverse('bureau:console')}?kind=plan&q={p.number}" for p in AssessmentPlan.objects.all()]
    urls += [reverse("bureau:console_certificate", args=[c.pk]) for c in Certificate.objects.all()]
    urls += [reverse("bureau:console_plan", args=[p.pk]) for p in AssessmentPlan.objects.all()]
    urls += [reverse("bureau:console_organization", args=[o.pk]) for o in Organization.objects.all()]
    urls += [reverse("bureau:console_person", args=[p.id_number_hash]) for p in Person.objects.all()]
    return urls


def test_every_console_page_speaks_in_words(world, as_user, demo_like):
    client = as_user(world.bureau_auditor)
    # a person's account name is a name: it may stand beside the person's name
    usernames = set(User.objects.values_list("username", flat=True))
    found = {}
    for url in console_pages(client):
        response = client.get(url)
        assert response.status_code == 200, url
        page = html(response)
        assert "manage.py" not in page, url
        assert "sha256" not in visible_main(page), url
        for word in code_words(page, usernames):
            found.setdefault(word, url)
    assert found == {}


def test_codes_read_as_their_labels_and_objects_as_what_they_are(world, as_user, demo_like):
    client = as_user(world.bureau_auditor)
    plan = demo_like.a4[0].plan
    page = visible_main(html(client.get(reverse("bureau:console_plan", args=[plan.pk]))))
    assert "申报方式\n：晋级" in page and "promotion" not in page
    assert "考核项目\n：操作技能" in page and "情况\n：有效成绩" in page
    assert f"计划编号\n：{plan.number}" in page  # the plan's number, not a 证书编号
    assert f"报备人\n：{world.a_operator.get_full_name()}" in page  # a person, not an id
    revoked = visible_main(html(client.get(reverse("bureau:console_certificate", args=[demo_like.revoked.pk]))))
    assert "原因类别\n：评价结果有误" in revoked
    assert "文件校验值\n：已记录" in revoked and "sha256" not in revoked
    assert "文件已存档" in revoked and "certificates/" not in revoked  # no file path
    assert "系统后台任务" in revoked and "celery" not in revoked


def test_the_chain_banner_says_when_the_last_full_check_ran_and_what_it_found(world, as_user, demo_like):
    client = as_user(world.bureau_auditor)
    before = html(client.get(reverse("bureau:console")))
    assert "尚未进行过完整校验" in before and "manage.py" not in before
    verify_all()
    after = visible_main(html(client.get(reverse("bureau:console"))))
    assert re.search(r"最近一次完整校验于 \d{4}-\d\d-\d\d \d\d:\d\d 完成，全部 [\d,]+ 条记录校验通过", after)
