"""The bureau console: search, the whole life of a certificate, personal data views audited."""

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from certify.models import Certificate, PlanAssessor, Score
from tests.helpers import assert_status, check_guards, page_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def revoked(world, ready_plan, today, django_capture_on_commit_callbacks, monkeypatch):
    """A certificate whose life had a score correction, then issue, then revocation."""
    from django.utils import timezone

    from certify.models import AssessmentPlan
    from certify.scenarios import plan_walk
    from certify.services.certificates import certificate_revoke
    from certify.services.issuing import issuance_request
    from certify.services.scoring import score_correct
    from tests.workflow import photo_bytes, score_everyone

    def score_and_correct(plan):
        score_everyone(plan, {"张伟": (80, 70), "王芳": (75, 70), "李娜": (65, 61), "刘洋": (90, 88)})
        zhang = plan.enrolments.get(person__name="张伟")
        first = PlanAssessor.objects.filter(plan=plan, duty="practical").first().user
        wrong = Score.objects.get(enrolment=zhang, assessor=first, component="practical")
        score_correct(actor=first, score=wrong, value="78", reason="漏计一道工序的得分")

    plan = plan_walk(
        ready_plan,
        operator=world.a_operator,
        reviewer=world.a_reviewer,
        until=AssessmentPlan.Status.CLOSED,
        filed_on=today,
        score=score_and_correct,
        photo=photo_bytes(),
    )
    zhang = plan.enrolments.get(person__name="张伟")
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: plan.publicity_end + dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        issuance_request(actor=world.a_operator, plan=plan)
    certificate = Certificate.objects.get(enrolment=zhang)
    return certificate_revoke(
        actor=world.bureau_admin, certificate=certificate, category="fraud", reason="伪造工龄证明"
    )


def test_the_timeline_of_a_revoked_certificate_shows_its_whole_life_with_every_actor(world, as_user, revoked):
    url = reverse("bureau:console_certificate", args=[revoked.pk])
    response = assert_status(as_user(world.bureau_auditor), "get", url, 200)
    entries = response.context["entries"]
    kinds = [e.event.event_type for e in entries]
    for step in (
        "enrolment.registered",
        "score.submitted",
        "score.corrected",
        "plan.filed",
        "plan.results_approved",
        "plan.publicity_started",
        "plan.closed",
        "issuance.requested",
        "certificate.issued",
        "certificate.pdf_rendered",
        "certificate.revoked",
    ):
        assert step in kinds, step
    # in the order things happened
    assert (
        kinds.index("enrolment.registered")
        < kinds.index("score.corrected")
        < kinds.index("plan.results_approved")
        < kinds.index("certificate.issued")
        < kinds.index("certificate.revoked")
    )
    actors = {e.event.event_type: e.event.actor_repr for e in entries}
    assert world.a_operator.username in actors["enrolment.registered"]
    assert world.a_reviewer.username in actors["plan.results_approved"]
    assert world.bureau_admin.username in actors["certificate.revoked"]
    corrected = next(e for e in entries if e.event.event_type == "score.corrected")
    assert corrected.event.reason == "漏计一道工序的得分"
    registered = next(e for e in entries if e.event.event_type == "enrolment.registered")
    assert registered.event.data["eligible"] is True and registered.event.data["matched"]
    assert all(e.intact for e in entries)
    text = response.content.decode()
    assert "伪造工龄证明" in text and "漏计一道工序的得分" in text
    # field changes come from the bound history rows
    revocation = next(e for e in entries if e.event.event_type == "certificate.revoked")
    assert any(field == "状态" and (old, new) == ("有效", "已撤销") for _m, field, old, new in revocation.changes)


def test_looking_at_a_certificate_in_the_console_is_itself_audited(world, as_user, issued):
    before = AuditEvent.objects.filter(event_type="console.viewed").count()
    assert_status(as_user(world.bureau_auditor), "get", reverse("bureau:console_certificate", args=[issued[0].pk]), 200)
    viewed = AuditEvent.objects.filter(event_type="console.viewed").order_by("-seq")
    assert viewed.count() == before + 1
    assert viewed.first().actor_id == world.bureau_auditor.pk
    assert viewed.first().organization_id == world.org_a.pk


def test_search_by_id_number_is_logged_without_the_number(world, as_user, issued):
    from certify.services.payload import id_number_of

    number = id_number_of(issued[0].person)
    response = assert_status(as_user(world.bureau_auditor), "post", reverse("bureau:console"), 200, {"q": number})
    assert issued[0].person.name in response.content.decode()
    event = AuditEvent.objects.filter(event_type="console.viewed").order_by("-seq").first()
    assert number not in str(event.data) and event.data["masked"].count("*") == 8
    assert number not in response.content.decode()  # not echoed back into the page or its links
    # a GET with the number in the address is ignored: numbers never travel in URLs
    got = as_user(world.bureau_auditor).get(reverse("bureau:console"), {"kind": "id_number", "q": number})
    assert issued[0].person.name not in got.content.decode().split("<main", 1)[1]


def test_search_by_certificate_plan_and_organisation(world, as_user, issued, closed_plan):
    client = as_user(world.bureau_admin)
    url = reverse("bureau:console")
    assert issued[0].number in client.get(url, {"kind": "certificate", "q": issued[0].number}).content.decode()
    assert closed_plan.number in client.get(url, {"kind": "plan", "q": closed_plan.number}).content.decode()
    assert world.org_a.name in client.get(url, {"kind": "organization", "q": "甲机械"}).content.decode()


@pytest.mark.parametrize("name", ["console_certificate", "console_plan", "console_organization", "console_person"])
def test_console_pages_are_for_bureau_readers_and_read_only(world, as_user, issued, name):
    certificate = issued[0]
    args = {
        "console_certificate": [certificate.pk],
        "console_plan": [certificate.plan_id],
        "console_organization": [certificate.organization_id],
        "console_person": [certificate.person.id_number_hash],
    }[name]
    url = reverse(f"bureau:{name}", args=args)
    assert_status(as_user(world.bureau_admin), "get", url, 200)
    assert_status(as_user(world.bureau_auditor), "get", url, 200)
    check_guards(
        as_user,
        method="get",
        url=url,
        wrong_roles=[world.a_org_admin, world.supervisor],
        wrong_method="post",
        user=world.bureau_auditor,
    )
    for method in ("post", "put", "delete"):
        assert_status(as_user(world.bureau_auditor), method, url, 405)


def test_console_home_guards(world, as_user):
    url = reverse("bureau:console")
    check_guards(
        as_user,
        method="get",
        url=url,
        wrong_roles=[world.a_org_admin, world.supervisor],
        wrong_method="put",
        user=world.bureau_auditor,
    )
    check_guards(
        as_user,
        method="post",
        url=url,
        data={"q": "x"},
        wrong_roles=[world.a_org_admin],
        wrong_method="delete",
        user=world.bureau_auditor,
    )
    assert_status(as_user(world.bureau_auditor), "get", reverse("bureau:console_certificate", args=[999999]), 404)


def test_the_organisation_overview_shows_pass_rates_and_flags(world, as_user, issued):
    url = reverse("bureau:console_organization", args=[world.org_a.pk])
    response = assert_status(as_user(world.bureau_auditor), "get", url, 200)
    overview = response.context["overview"]
    assert overview["certificate_total"] == 3
    assert overview["pass_rate"] == 75.0  # 3 of 4 passed


def test_the_certificate_timeline_costs_the_same_queries_with_twice_the_history(world, as_user, issued):
    from certify.services.certificates import certificate_reinstate, certificate_suspend

    client = as_user(world.bureau_auditor)
    url = reverse("bureau:console_certificate", args=[issued[0].pk])
    at_n = page_queries(client, url)
    n = len(client.get(url).context["entries"])
    while len(client.get(url).context["entries"]) < 2 * n:
        certificate_suspend(actor=world.a_operator, certificate=issued[0], reason="核查中")
        certificate_reinstate(actor=world.a_operator, certificate=issued[0], reason="核查无误")
    assert page_queries(client, url) == at_n <= 60


# --- issue 11: "the console cannot search by name" ------------------------------------------------
def test_search_by_name_finds_the_whole_name_or_its_beginning_exact_first(world, as_user, ready_plan):
    from tests.builders import register_all
    from tests.helpers import html, queries_of

    register_all(world, ready_plan, ["张伟明", "张小红", "李四"], start=20)
    client = as_user(world.bureau_auditor)
    url = reverse("bureau:console")

    page = html(assert_status(client, "post", url, 200, {"kind": "name", "q": " 张伟 "})).split("<main", 1)[1]
    assert "张伟明" in page and page.index(">张伟<") < page.index(">张伟明<")
    assert "张小红" not in page and "王芳" not in page
    assert 'value="张伟"' in page  # what was typed stays in the box

    page = html(client.post(url, {"kind": "name", "q": "李"})).split("<main", 1)[1]
    assert "李娜" in page and "李四" in page and "张伟" not in page
    assert "没有找到匹配的记录" in html(client.post(url, {"kind": "name", "q": "伟"}))  # no match inside a name

    # names stay out of addresses: a GET with a name is ignored
    got = client.get(url, {"kind": "name", "q": "张伟"})
    assert ">张伟<" not in html(got).split("<main", 1)[1]

    # logged as a look at personal data, with the name masked
    event = AuditEvent.objects.filter(event_type="console.viewed").order_by("-seq").first()
    assert event.data == {"viewed": "name_search", "masked": "伟", "matches": 0}
    client.post(url, {"kind": "name", "q": "张伟"})
    event = AuditEvent.objects.filter(event_type="console.viewed").order_by("-seq").first()
    assert event.data == {"viewed": "name_search", "masked": "张*", "matches": 2}

    # the same number of queries for one match as for three
    one = queries_of(lambda: client.post(url, {"kind": "name", "q": "王"}))
    three = queries_of(lambda: client.post(url, {"kind": "name", "q": "张"}))
    assert one == three


def test_search_by_name_is_for_bureau_readers_only(world, as_user, ready_plan):
    url = reverse("bureau:console")
    assert_status(as_user(world.a_org_admin), "post", url, 403, {"kind": "name", "q": "张伟"})
