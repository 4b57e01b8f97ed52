"""The plan actions table (certify.actions) is the plan's state machine written once: every service
refuses exactly the states its entry leaves out, the plan page offers each action enabled or
disabled beside its reasons (never offered and then refused, never a confirmation before a
refusal), and no template compares a plan's status itself."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.module_loading import import_string

from certify import availability
from certify.actions import PLAN_ACTIONS, TABLE, Act
from certify.models import AssessmentPlan, PlanAssessor
from certify.services import enrolments, plan_base, plan_panel, plan_supervision, plans, publicity, scoring
from certify.services.imports import roster, scores
from certify.services.plans import plan_approve_results, plan_cancel, plan_file, plan_start, plan_start_publicity
from tests.builders import ROSTER_HEADERS, xlsx
from tests.workflow import candidate, candidate_ids, score_everyone

pytestmark = pytest.mark.django_db
S = AssessmentPlan.Status


# --- every service asks the table for its states -------------------------------------------------
# The modules whose services check their states through the table (and take the plan lock there).
LOCKING_MODULES = (plans, plan_panel, plan_supervision, enrolments, scoring, publicity, roster, scores)


class _RolledBack(Exception):
    pass


def _attempt(call) -> Exception | None:
    """The service's refusal, or None when it went through (its writes rolled back either way)."""
    try:
        with transaction.atomic():
            call()
            raise _RolledBack
    except _RolledBack:
        return None
    except (ValidationError, PermissionDenied) as exc:
        return exc


@pytest.fixture
def pretend(monkeypatch):
    """``pretend(status)``: every service finds the plan, once locked, in ``status`` — the one way
    to put one plan in each state without walking eight plans."""

    def set_status(status: str) -> None:
        def locked(plan):
            row = plan_base.lock_plan(plan)
            row.status = status
            row.publicity_start = row.publicity_start or row.exam_date
            row.publicity_end = row.publicity_end or row.exam_date + dt.timedelta(days=7)
            return row

        for module in LOCKING_MODULES:
            monkeypatch.setattr(module, "lock_plan", locked)

    return set_status


@pytest.fixture
def calls(world, scoring_plan, pretend):
    """For each action whose service lives in the modules above: how to ask for it once."""
    plan = scoring_plan
    member = PlanAssessor.objects.get(plan=plan, user=world.a_assessor)
    enrolment = plan.enrolments.select_related("person").first()
    score = scoring.score_submit(actor=world.a_assessor, enrolment=enrolment, component="practical", value=70)
    plan_supervision.plan_assign_supervisor(actor=world.bureau_admin, plan=plan, supervisor=world.supervisor)
    pretend(S.PUBLICITY)
    objection = publicity.objection_record(
        actor=world.a_operator, plan=plan, raised_by="张先生", content="成绩有误", received_on=plan.exam_date
    )
    newcomer = candidate("周杰", candidate_ids(1, start=90)[0])
    op = world.a_operator
    return {
        Act.FILE: lambda: plans.plan_file(actor=op, plan=plan, today=plan.exam_date - dt.timedelta(days=30)),
        Act.START: lambda: plans.plan_start(actor=op, plan=plan, today=plan.exam_date),
        Act.SCORING: lambda: plans.plan_begin_scoring(actor=op, plan=plan),
        Act.APPROVE: lambda: plans.plan_approve_results(actor=world.a_reviewer, plan=plan),
        Act.PUBLICITY: lambda: plans.plan_start_publicity(actor=op, plan=plan, today=plan.exam_date),
        Act.CLOSE: lambda: plans.plan_close(actor=op, plan=plan, today=plan.exam_date + dt.timedelta(days=30)),
        Act.CANCEL: lambda: plans.plan_cancel(actor=op, plan=plan, reason="生产任务调整"),
        Act.EDIT: lambda: plans.plan_update(actor=op, plan=plan, venue="新地点"),
        Act.REGISTER: lambda: enrolments.enrolment_register(actor=op, plan=plan, data=newcomer),
        Act.WITHDRAW: lambda: enrolments.enrolment_withdraw(actor=op, enrolment=enrolment, reason="离职"),
        Act.DECIDE_DIRECT: lambda: enrolments.direct_grading_decide(
            actor=world.a_reviewer, enrolment=enrolment, approve=True
        ),
        Act.ASSESSORS: lambda: plan_panel.assessor_remove(actor=op, assessor=member),
        Act.DECLARE_RECUSAL: lambda: plan_panel.recusal_declare(actor=world.a_assessor, assessor=member, relations=[]),
        Act.SCORE: lambda: scoring.score_submit(
            actor=world.a_assessor, enrolment=plan.enrolments.last(), component="practical", value=80
        ),
        Act.CORRECT_SCORE: lambda: scoring.score_correct(actor=world.a_assessor, score=score, value=75, reason="加错"),
        Act.RECORD_OBJECTION: lambda: publicity.objection_record(
            actor=op, plan=plan, raised_by="李女士", content="另一件异议", received_on=plan.exam_date
        ),
        Act.RESOLVE_OBJECTION: lambda: publicity.objection_resolve(
            actor=op, objection=objection, upheld=False, resolution="经复核无误"
        ),
        Act.ASSIGN_SUPERVISOR: lambda: plan_supervision.plan_assign_supervisor(
            actor=world.bureau_admin, plan=plan, supervisor=world.supervisor
        ),
        Act.REPORT_SUPERVISION: lambda: plan_supervision.supervision_report_submit(
            actor=world.supervisor,
            plan=plan,
            visited_on=plan.exam_date,
            attended=True,
            attendance="",
            observations="秩序良好",
        ),
    }


def _checked_here(action) -> bool:
    return action.service.rsplit(".", 1)[0] in {module.__name__ for module in LOCKING_MODULES}


def test_every_action_whose_service_checks_the_table_has_a_case_here(calls):
    assert {a.key for a in TABLE if _checked_here(a)} == set(calls)


@pytest.mark.parametrize("key", [a.key for a in TABLE if _checked_here(a)])
def test_each_service_refuses_exactly_the_states_its_table_entry_leaves_out(key, calls, pretend, scoring_plan):
    action = PLAN_ACTIONS[key]
    for status in S.values:
        pretend(status)
        refusal = _attempt(calls[key])
        pretended = AssessmentPlan.objects.get(pk=scoring_plan.pk)
        pretended.status = status
        state_refusal = action.state_refusal(pretended)
        if status in action.sources:
            assert not isinstance(refusal, PermissionDenied), (key, status, refusal)
            assert refusal is None or state_refusal not in refusal.messages, (key, status, refusal.messages)
        else:
            assert isinstance(refusal, ValidationError), (key, status, refusal)
            assert refusal.messages == [state_refusal], (key, status)


def test_the_scores_import_asks_the_same_entry_as_one_score(world, ready_plan):
    with pytest.raises(ValidationError) as caught:
        scores.scores_import(actor=world.a_assessor, plan=ready_plan, file=b"", filename="x.xlsx")
    assert caught.value.messages == [str(PLAN_ACTIONS[Act.SCORE].wrong_state)]


def test_the_table_names_a_service_that_exists_for_every_action():
    for action in TABLE:
        assert callable(import_string(action.service)), action.key
        assert action.sources <= set(S.values), action.key


# --- the plan page, as each role finds it in each state ---------------------------------------------
class _Actions(HTMLParser):
    """The plan page's actions by key: 'enabled' (a form or link), or the reasons it is disabled;
    and the keys whose form asks for a confirmation."""

    def __init__(self):
        super().__init__()
        self.found: dict[str, object] = {}
        self.confirms: set[str] = set()
        self._why: str | None = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        key = attrs.get("data-action")
        if self._why is not None and tag == "span":
            self._depth += 1
        if key and "action-blocked" in (attrs.get("class") or ""):
            self.found[key] = []
        elif key:
            self.found.setdefault(key, "enabled")
            if attrs.get("data-confirm"):
                self.confirms.add(key)
        if tag == "span" and (attrs.get("id") or "").startswith("why-"):
            self._why, self._depth = attrs["id"][4:], 0

    def handle_endtag(self, tag):
        if self._why is not None and tag == "span":
            if self._depth == 0:
                self._why = None
            else:
                self._depth -= 1

    def handle_data(self, data):
        if self._why is not None and self._depth > 0 and data.strip():
            self.found[self._why].append(data.strip())


def page_actions(as_user, user, plan) -> _Actions:
    response = as_user(user).get(reverse("certify:plan_detail", args=[plan.organization_id, plan.pk]))
    assert response.status_code == 200
    parser = _Actions()
    parser.feed(response.content.decode())
    return parser


ENABLED = "enabled"


def expect(as_user, plan, by_user: dict) -> dict:
    """Each user's page offers exactly these actions (key → ENABLED or a list of reason fragments)."""
    pages = {}
    for user, expected in by_user.items():
        page = page_actions(as_user, user, plan)
        assert set(page.found) == set(expected), (user.username, page.found)
        for key, want in expected.items():
            if want == ENABLED:
                assert page.found[key] == ENABLED, (user.username, key, page.found[key])
            else:
                assert isinstance(page.found[key], list), (user.username, key, page.found[key])
                reasons = "\n".join(page.found[key])
                for fragment in want:
                    assert fragment in reasons, (user.username, key, reasons)
                assert key not in page.confirms, (user.username, key)
        pages[user.username] = page
    return pages


def test_a_draft_that_cannot_be_filed_shows_filing_disabled_with_what_is_missing(world, as_user, plan_factory):
    plan = plan_factory()
    operator = {
        "file": ["已登记考生（现有 0 名）", "操作技能考评员不少于 3 人"],
        "cancel": ENABLED,
        "edit": ENABLED,
        "register": ENABLED,
        "assessors": ENABLED,
    }
    expect(
        as_user,
        plan,
        {
            world.a_operator: operator,
            world.a_org_admin: operator,
            world.a_reviewer: {},
            world.a_assessor: {},
            world.a_viewer: {},
            world.bureau_auditor: {},
        },
    )


def test_a_ready_draft_offers_filing_with_its_confirmation(world, as_user, ready_plan):
    pages = expect(
        as_user,
        ready_plan,
        {
            world.a_operator: {
                "file": ENABLED,
                "cancel": ENABLED,
                "edit": ENABLED,
                "register": ENABLED,
                "assessors": ENABLED,
            },
            world.a_assessor: {"declare_recusal": ENABLED},
            world.a_viewer: {},
        },
    )
    assert {"file", "cancel"} <= pages["a_operator"].confirms


def test_a_filed_plan_waits_for_its_exam_date_and_says_so(world, as_user, ready_plan, today):
    plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    expect(
        as_user,
        ready_plan,
        {
            world.a_operator: {
                "start": [f"考核日期为 {ready_plan.exam_date.isoformat()}，当天起才能开始考核"],
                "cancel": ENABLED,
            },
            world.bureau_admin: {"assign_supervisor": ENABLED},
            world.bureau_auditor: {},
            world.a_assessor: {},
            world.a_reviewer: {},
        },
    )


def test_a_started_plan_offers_scoring_and_a_cancelled_one_offers_nothing(world, as_user, ready_plan, today):
    plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    plan = plan_start(actor=world.a_operator, plan=ready_plan, today=ready_plan.exam_date)
    expect(
        as_user,
        plan,
        {
            world.a_operator: {"scoring": ENABLED, "cancel": ENABLED},
            world.bureau_admin: {"assign_supervisor": ENABLED},
            world.a_assessor: {},
            world.a_reviewer: {},
        },
    )
    plan_cancel(actor=world.a_operator, plan=plan, reason="生产任务调整")
    expect(as_user, plan, {world.a_operator: {}, world.bureau_admin: {}, world.a_assessor: {}})
    text = as_user(world.a_viewer).get(plan.get_absolute_url()).content.decode()
    assert "取消：生产任务调整" in text


def test_the_candidate_page_offers_withdrawal_only_before_the_exam(world, as_user, scoring_plan):
    enrolment = scoring_plan.enrolments.first()
    page = reverse("certify:enrolment_detail", args=[scoring_plan.organization_id, scoring_plan.pk, enrolment.pk])
    assert "撤回报名" not in as_user(world.a_operator).get(page).content.decode()


def test_the_candidate_page_of_a_draft_offers_withdrawal_to_the_registrar_only(world, as_user, ready_plan):
    enrolment = ready_plan.enrolments.first()
    page = reverse("certify:enrolment_detail", args=[ready_plan.organization_id, ready_plan.pk, enrolment.pk])
    assert "撤回报名" in as_user(world.a_operator).get(page).content.decode()
    assert "撤回报名" not in as_user(world.a_viewer).get(page).content.decode()


def test_the_score_sheet_before_scoring_says_why_and_offers_no_submit(world, as_user, ready_plan):
    sheet = reverse("certify:score_sheet", args=[ready_plan.organization_id, ready_plan.pk])
    text = as_user(world.a_assessor).get(sheet).content.decode()
    assert "评价计划不在评分阶段，不能录入成绩" in text
    assert "<input form=" not in text and '<button form="row' not in text
    assert "导入成绩表" not in text


def test_in_scoring_the_reviewer_is_told_whose_scores_are_missing(world, as_user, scoring_plan):
    expect(
        as_user,
        scoring_plan,
        {
            world.a_reviewer: {"approve": ["还有 4 名考生的成绩未录齐"]},
            world.a_operator: {"cancel": ENABLED},
            world.a_assessor: {"score": ENABLED},
            world.bureau_admin: {"assign_supervisor": ENABLED},
            world.a_viewer: {},
        },
    )
    score_everyone(scoring_plan, {"张伟": (80, 80), "王芳": (70, 70), "李娜": (65, 61), "刘洋": (90, 90)})
    pages = expect(as_user, scoring_plan, {world.a_reviewer: {"approve": ENABLED}})
    assert "approve" in pages["a_reviewer"].confirms


def test_in_publicity_closing_waits_for_the_end_of_the_period(world, as_user, scoring_plan):
    score_everyone(scoring_plan, {"张伟": (80, 80), "王芳": (70, 70), "李娜": (65, 61), "刘洋": (90, 90)})
    plan_approve_results(actor=world.a_reviewer, plan=scoring_plan)
    exam = scoring_plan.exam_date.isoformat()
    expect(as_user, scoring_plan, {world.a_operator: {"publicity": [f"公示不能早于考核日期（{exam}）开始"]}})
    plan = plan_start_publicity(actor=world.a_operator, plan=scoring_plan, today=scoring_plan.exam_date)
    end = date_format(plan.publicity_end, "DATE_FORMAT")
    expect(
        as_user,
        plan,
        {
            world.a_operator: {"close": [f"公示期至 {end}，期满后才能结束计划"], "record_objection": ENABLED},
            world.a_assessor: {"correct_score": ENABLED},
            world.a_reviewer: {},
        },
    )


def test_a_closed_plan_offers_issuing_until_every_certificate_is_issued(world, as_user, closed_plan, issued):
    expect(
        as_user,
        closed_plan,
        {
            world.a_operator: {"issue": ["本计划证书已全部核发"]},
            world.a_viewer: {},
            world.a_reviewer: {},
        },
    )


def test_a_closed_plan_before_issuing_offers_issuing_with_its_confirmation_and_supplied_numbers(
    world, as_user, closed_plan
):
    pages = expect(as_user, closed_plan, {world.a_operator: {"issue": ENABLED, "supplied_numbers": ENABLED}})
    assert "issue" in pages["a_operator"].confirms


def test_a_stale_page_that_posts_a_disabled_step_is_refused_with_the_same_reasons(world, as_user, plan_factory):
    plan = plan_factory()
    response = as_user(world.a_operator).post(
        reverse("certify:plan_transition", args=[plan.organization_id, plan.pk, "file"]), follow=True
    )
    text = response.content.decode()
    assert "评价计划暂不能报备" in text and "已登记考生（现有 0 名）" in text


def test_the_edit_page_of_a_filed_plan_sends_the_clerk_back_saying_why(world, as_user, ready_plan, today):
    plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    edit = reverse("certify:plan_edit", args=[ready_plan.organization_id, ready_plan.pk])
    response = as_user(world.a_operator).get(edit, follow=True)
    assert "评价计划当前为「已报备」，不能修改（报备后计划内容不能再改）。" in response.content.decode()
    assert response.redirect_chain[-1][0] == ready_plan.get_absolute_url()


def test_the_checklist_heading_and_lines_come_from_the_step_in_the_table(world, ready_plan, today):
    found = availability.plan_actions(ready_plan, world.a_viewer, today=today)
    assert found.checklist_heading == "报备前须满足"
    assert all(check.ok for check in found.checklist)
    assert list(found) == []  # a viewer is offered nothing


# --- templates never compare a plan's status ---------------------------------------------------------
FORBIDDEN = [
    re.compile(r"plan\.status\s*(==|!=|in\b|not\s+in\b)"),
    re.compile(r"\bp\.status\s*(==|!=|in\b|not\s+in\b)"),
    re.compile(r"""status\s+in\s+["']"""),
    re.compile(r"\bS\.[A-Z_]+\b"),
]


def test_no_certify_template_compares_a_plan_status():
    folder = Path(settings.BASE_DIR) / "templates" / "certify"
    offending = [
        f"{path.name}: {match.group(0)}"
        for path in sorted(folder.rglob("*.html"))
        for pattern in FORBIDDEN
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offending == []


def test_the_template_scan_would_catch_the_old_substring_test():
    assert any(p.search('{% if plan.status in "draft filed in_progress scoring" %}') for p in FORBIDDEN)
    assert any(p.search("{% if can_manage and plan.status == S.DRAFT %}") for p in FORBIDDEN)


# --- a roster change tells whose declarations it voided (issue 11, item 2) ---------------------------
def _panel_names(plan) -> list[str]:
    return list(dict.fromkeys(m.user.get_full_name() for m in PlanAssessor.objects.filter(plan=plan)))


def test_registering_a_candidate_names_the_assessors_who_must_declare_again(world, as_user, ready_plan):
    names = _panel_names(ready_plan)
    create = reverse("certify:enrolment_create", args=[ready_plan.organization_id, ready_plan.pk])
    data = {
        "name": "周杰",
        "id_type": "resident_id",
        "id_number": candidate_ids(1, start=700)[0],
        "years_in_occupation": "7",
        "route": "promotion",
        "diploma_in_field": "on",
    }
    response = as_user(world.a_operator).post(create, data, follow=True)
    text = response.content.decode()
    assert "已登记考生 周杰。" in text
    assert "有新考生加入，以下考评人员须重新提交回避声明" in text and "提交后才能报备：" + "、".join(names) in text
    # and the plan page says what now blocks filing, and whose declaration a roster change voided
    assert "的声明因考生名单变化已失效，须重新提交" in text
    assert text.count("须重新声明") == len(PlanAssessor.objects.filter(plan=ready_plan))


def test_importing_a_roster_names_the_assessors_who_must_declare_again(world, as_user, ready_plan):
    names = _panel_names(ready_plan)
    upload = reverse("certify:roster_import", args=[ready_plan.organization_id, ready_plan.pk])
    file = SimpleUploadedFile("名册.xlsx", xlsx(ROSTER_HEADERS, [["周杰", candidate_ids(1, start=701)[0], 7]]))
    response = as_user(world.a_operator).post(upload, {"file": file}, follow=True)
    text = response.content.decode()
    assert "已导入 1 名考生。" in text
    assert "有新考生加入，以下考评人员须重新提交回避声明" in text and "提交后才能报备：" + "、".join(names) in text


def test_the_roster_import_result_lists_the_voided_declarations(world, ready_plan):
    result = roster.roster_import(
        actor=world.a_operator,
        plan=ready_plan,
        file=xlsx(ROSTER_HEADERS, [["周杰", candidate_ids(1, start=702)[0], 7]]),
    )
    assert result.declarations_voided == _panel_names(ready_plan)
    assert result.declarations_reset == PlanAssessor.objects.filter(plan=ready_plan).count()


def test_registering_into_an_undeclared_panel_says_nothing_of_declarations(world, as_user, plan_factory):
    plan = plan_factory()
    enrolment = enrolments.enrolment_register(
        actor=world.a_operator, plan=plan, data=candidate("周杰", candidate_ids(1, start=703)[0])
    )
    assert enrolment.declarations_voided == []
