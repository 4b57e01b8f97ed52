"""The plan actions table: the assessment plan's state machine, written once.

Each entry says, for one thing a user does to a plan — a step to the next state (报备, 开始考核 …)
or work inside a state (register candidates, enter scores, issue certificates …) — the states it
starts from, who may do it (a ``certify.permissions`` function of user and plan), the service that
performs it, its label and confirmation, and the checks that say in Chinese why it is not
available now.

Services ask ``require_action`` before they write, so a state they accept is the state listed
here; pages ask ``certify.availability`` (through ``certify.selectors.plan_available_actions``)
and show each action enabled, or disabled beside its reasons, from the same entry and the same
checks, so nothing is offered that the service refuses. A new state or action is one entry here
plus its service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.permissions import require
from certify import permissions
from certify.conf import conf
from certify.models import AssessmentPlan, IssuanceBatch
from certify.services import plan_checks
from certify.services.plan_checks import Check

S = AssessmentPlan.Status
CheckFn = Callable[[AssessmentPlan, User | None, dt.date], list[Check]]


class Act(StrEnum):
    # steps from one state to the next
    FILE = "file"
    START = "start"
    SCORING = "scoring"
    APPROVE = "approve"
    PUBLICITY = "publicity"
    CLOSE = "close"
    CANCEL = "cancel"
    # work inside a state
    EDIT = "edit"
    REGISTER = "register"
    WITHDRAW = "withdraw"
    DECIDE_DIRECT = "decide_direct"
    ASSESSORS = "assessors"
    DECLARE_RECUSAL = "declare_recusal"
    SCORE = "score"
    CORRECT_SCORE = "correct_score"
    RECORD_OBJECTION = "record_objection"
    RESOLVE_OBJECTION = "resolve_objection"
    ASSIGN_SUPERVISOR = "assign_supervisor"
    REPORT_SUPERVISION = "report_supervision"
    ISSUE = "issue"
    SUPPLIED_NUMBERS = "supplied_numbers"


@dataclass(frozen=True)
class PlanAction:
    key: Act
    label: Any  # a lazy string
    sources: frozenset[str]
    permission: Callable[[Any, AssessmentPlan], bool]
    denied: Any  # the 403 text when the permission fails
    service: str = ""  # dotted path of the service that performs it
    step: bool = False  # moves the plan to another state: a button of the 办理 panel
    doing: Any = ""  # "评价计划当前为「…」，不能{doing}。" in any other state…
    wrong_state: Any = ""  # …or this text, when the action words it better (may use %(status)s)
    checks: CheckFn | None = None
    refused_heading: Any = ""  # the service lists the unmet requirements under it; else their reasons
    checklist_heading: Any = ""  # the plan page lists these checks, met or not, under it
    confirm: Any = ""
    success: Any = ""  # a text, or a function of the plan that returns one
    needs_reason: bool = False  # performed through its own form, not in one click
    url_name: str = ""  # the page or form that performs it, by organisation and plan
    method: str = "post"
    style: str = "btn-primary"
    shown: Callable[[AssessmentPlan], bool] | None = None  # offered only while this holds
    relabel: Callable[[AssessmentPlan], str] | None = None

    def state_refusal(self, plan: AssessmentPlan) -> str:
        if self.wrong_state:
            return str(self.wrong_state) % {"status": plan.get_status_display()}
        return _("评价计划当前为「%(status)s」，不能%(doing)s。") % {
            "status": plan.get_status_display(),
            "doing": self.doing,
        }

    def success_text(self, plan: AssessmentPlan) -> str:
        return str(self.success(plan) if callable(self.success) else self.success)

    def perform(self, **kwargs):
        # The service is named by path: the services check their states through this table, so
        # importing them here would be a cycle.
        return import_string(self.service)(**kwargs)


def _publicity_started(plan: AssessmentPlan) -> str:
    return _("已发布公示，公示期至 %(end)s（%(n)s 个工作日）。") % {
        "end": plan.publicity_end.strftime("%Y-%m-%d"),
        "n": conf("PUBLICITY_WORKING_DAYS"),
    }


def _issue_label(plan: AssessmentPlan) -> str:
    return _("补齐未发的证书") if IssuanceBatch.objects.filter(plan=plan).exists() else _("核发证书")


def _before_issuing(plan: AssessmentPlan) -> bool:
    return not IssuanceBatch.objects.filter(plan=plan).exists()


_MANAGE = gettext_lazy("您没有管理本机构评价计划的权限")
_REGISTER = gettext_lazy("您没有为本机构登记考生的权限")
_SCORE = gettext_lazy("只有被指派到本计划的考评员可以录入成绩")
_ISSUE = gettext_lazy("您没有核发本机构证书的权限")
_UNTIL_APPROVED = frozenset({S.DRAFT, S.FILED, S.IN_PROGRESS, S.SCORING})
_ONGOING = frozenset({S.FILED, S.IN_PROGRESS, S.SCORING, S.RESULTS_APPROVED, S.PUBLICITY})

# Table order is page order.
TABLE: tuple[PlanAction, ...] = (
    PlanAction(
        key=Act.FILE,
        label=gettext_lazy("报备评价计划"),
        sources=frozenset({S.DRAFT}),
        permission=permissions.can_manage_plan,
        denied=_MANAGE,
        service="certify.services.plans.plan_file",
        step=True,
        doing=gettext_lazy("报备"),
        checks=plan_checks.to_file,
        refused_heading=gettext_lazy("评价计划暂不能报备："),
        checklist_heading=gettext_lazy("报备前须满足"),
        confirm=gettext_lazy("报备后考生名单和考评组将锁定，确定报备吗？"),
        success=gettext_lazy("评价计划已报备，人社局可以看到本计划。"),
    ),
    PlanAction(
        key=Act.START,
        label=gettext_lazy("开始考核"),
        sources=frozenset({S.FILED}),
        permission=permissions.can_manage_plan,
        denied=_MANAGE,
        service="certify.services.plans.plan_start",
        step=True,
        doing=gettext_lazy("开始考核"),
        checks=plan_checks.to_start,
        checklist_heading=gettext_lazy("下一步须满足"),
        success=gettext_lazy("已开始考核。"),
    ),
    PlanAction(
        key=Act.SCORING,
        label=gettext_lazy("考核结束，开始评分"),
        sources=frozenset({S.IN_PROGRESS}),
        permission=permissions.can_manage_plan,
        denied=_MANAGE,
        service="certify.services.plans.plan_begin_scoring",
        step=True,
        doing=gettext_lazy("开始评分"),
        success=gettext_lazy("考核结束，已进入评分阶段，考评员可以录入成绩。"),
    ),
    PlanAction(
        key=Act.APPROVE,
        label=gettext_lazy("审核通过评价结果"),
        sources=frozenset({S.SCORING}),
        permission=permissions.can_approve_plan_results,
        denied=gettext_lazy("只有审核人可以审核评价结果"),
        service="certify.services.plans.plan_approve_results",
        step=True,
        doing=gettext_lazy("审核结果"),
        checks=plan_checks.to_approve,
        refused_heading=gettext_lazy("评价结果暂不能审核："),
        checklist_heading=gettext_lazy("审核结果前须满足"),
        confirm=gettext_lazy("确认审核通过全部评价结果吗？"),
        success=gettext_lazy("评价结果已审核通过，可以发布公示。"),
    ),
    PlanAction(
        key=Act.PUBLICITY,
        label=gettext_lazy("发布公示"),
        sources=frozenset({S.RESULTS_APPROVED}),
        permission=permissions.can_manage_plan,
        denied=_MANAGE,
        service="certify.services.plans.plan_start_publicity",
        step=True,
        doing=gettext_lazy("发布公示"),
        checks=plan_checks.to_publish,
        success=_publicity_started,
    ),
    PlanAction(
        key=Act.CLOSE,
        label=gettext_lazy("公示结束，结束计划"),
        sources=frozenset({S.PUBLICITY}),
        permission=permissions.can_manage_plan,
        denied=_MANAGE,
        service="certify.services.plans.plan_close",
        step=True,
        doing=gettext_lazy("结束"),
        checks=plan_checks.to_close,
        refused_heading=gettext_lazy("评价计划暂不能结束："),
        checklist_heading=gettext_lazy("结束计划前须满足"),
        success=gettext_lazy("评价计划已结束，可以为合格考生核发证书。"),
    ),
    PlanAction(
        key=Act.ISSUE,
        label=gettext_lazy("核发证书"),
        relabel=_issue_label,
        sources=frozenset({S.CLOSED}),
        permission=permissions.can_issue_for_plan,
        denied=_ISSUE,
        service="certify.services.issuing.issuance_request",
        wrong_state=gettext_lazy("评价计划尚未结束：公示期满且异议处理完毕后方可发证（当前：%(status)s）"),
        checks=plan_checks.to_issue,
        confirm=gettext_lazy("将为全部合格考生编号、签名并生成证书，确定核发吗？"),
        url_name="certify:issuance_start",
    ),
    PlanAction(
        key=Act.SUPPLIED_NUMBERS,
        label=gettext_lazy("使用省级下发的证书编号"),
        sources=frozenset({S.CLOSED}),
        permission=permissions.can_issue_for_plan,
        denied=_ISSUE,
        service="certify.services.supplied_numbers.supplied_numbers_import",
        wrong_state=gettext_lazy("评价计划结束后才能导入省级下发的证书编号"),
        url_name="certify:supplied_numbers",
        method="get",
        style="",
        shown=_before_issuing,
    ),
    PlanAction(
        key=Act.CANCEL,
        label=gettext_lazy("取消计划"),
        sources=_UNTIL_APPROVED,
        permission=permissions.can_manage_plan,
        denied=_MANAGE,
        service="certify.services.plans.plan_cancel",
        step=True,
        doing=gettext_lazy("取消（已审核结果的计划不能取消）"),
        confirm=gettext_lazy("取消后本计划不能恢复，确定取消吗？"),
        success=gettext_lazy("评价计划已取消。"),
        needs_reason=True,
        url_name="certify:plan_cancel",
        style="btn-danger",
    ),
    PlanAction(
        key=Act.EDIT,
        label=gettext_lazy("修改计划"),
        sources=frozenset({S.DRAFT}),
        permission=permissions.can_manage_plan,
        denied=_MANAGE,
        service="certify.services.plans.plan_update",
        doing=gettext_lazy("修改（报备后计划内容不能再改）"),
        url_name="certify:plan_edit",
        method="get",
        style="",
    ),
    PlanAction(
        key=Act.SCORE,
        label=gettext_lazy("录入成绩"),
        sources=frozenset({S.SCORING}),
        permission=permissions.can_score_plan,
        denied=_SCORE,
        service="certify.services.scoring.score_submit",
        wrong_state=gettext_lazy("评价计划不在评分阶段，不能录入成绩"),
        url_name="certify:score_sheet",
        method="get",
    ),
    PlanAction(
        key=Act.CORRECT_SCORE,
        label=gettext_lazy("更正成绩"),
        sources=frozenset({S.SCORING, S.RESULTS_APPROVED, S.PUBLICITY}),
        permission=permissions.can_score_plan,
        denied=_SCORE,
        service="certify.services.scoring.score_correct",
        wrong_state=gettext_lazy("评价计划当前阶段不能更正成绩"),
        url_name="certify:score_sheet",
        method="get",
        style="",
    ),
    PlanAction(
        key=Act.REGISTER,
        label=gettext_lazy("登记考生"),
        sources=frozenset({S.DRAFT}),
        permission=permissions.can_register_in_plan,
        denied=_REGISTER,
        service="certify.services.enrolments.enrolment_register",
        wrong_state=gettext_lazy("评价计划已报备，考生名单已锁定，不能再登记考生"),
        url_name="certify:enrolment_create",
        method="get",
    ),
    PlanAction(
        key=Act.WITHDRAW,
        label=gettext_lazy("撤回报名"),
        sources=frozenset({S.DRAFT, S.FILED}),
        permission=permissions.can_register_in_plan,
        denied=_REGISTER,
        service="certify.services.enrolments.enrolment_withdraw",
        wrong_state=gettext_lazy("考核开始后不能撤回报名；缺考请在评分时登记"),
        style="btn-danger",
    ),
    PlanAction(
        key=Act.DECIDE_DIRECT,
        label=gettext_lazy("审批定级申报"),
        sources=frozenset({S.DRAFT}),
        permission=permissions.can_decide_direct_grading,
        denied=gettext_lazy("只有审核人或机构管理员可以审批定级申报"),
        service="certify.services.enrolments.direct_grading_decide",
        wrong_state=gettext_lazy("评价计划已报备，不能再审批定级申报"),
    ),
    PlanAction(
        key=Act.ASSESSORS,
        label=gettext_lazy("指派考评人员"),
        sources=frozenset({S.DRAFT}),
        permission=permissions.can_manage_plan,
        denied=_MANAGE,
        service="certify.services.plan_panel.assessor_add",
        doing=gettext_lazy("调整考评人员"),
    ),
    PlanAction(
        key=Act.DECLARE_RECUSAL,
        label=gettext_lazy("提交回避声明"),
        sources=frozenset({S.DRAFT}),
        permission=permissions.can_score_plan,
        denied=gettext_lazy("回避声明须由考评人员本人提交"),
        service="certify.services.plan_panel.recusal_declare",
        doing=gettext_lazy("提交回避声明（报备后名单已锁定）"),
    ),
    PlanAction(
        key=Act.RECORD_OBJECTION,
        label=gettext_lazy("登记异议"),
        sources=frozenset({S.PUBLICITY}),
        permission=permissions.can_manage_plan,
        denied=_MANAGE,
        service="certify.services.publicity.objection_record",
        wrong_state=gettext_lazy("只有公示期内可以登记异议"),
    ),
    PlanAction(
        key=Act.RESOLVE_OBJECTION,
        label=gettext_lazy("办结"),
        sources=frozenset({S.PUBLICITY}),
        permission=permissions.can_manage_plan,
        denied=_MANAGE,
        service="certify.services.publicity.objection_resolve",
        wrong_state=gettext_lazy("只有公示期内可以办结异议"),
    ),
    PlanAction(
        key=Act.ASSIGN_SUPERVISOR,
        label=gettext_lazy("指派质量督导员"),
        sources=frozenset({S.FILED, S.IN_PROGRESS, S.SCORING}),
        permission=permissions.can_assign_plan_supervisor,
        denied=gettext_lazy("只有人社局管理员可以指派质量督导员"),
        service="certify.services.plan_supervision.plan_assign_supervisor",
        doing=gettext_lazy("指派督导员"),
    ),
    PlanAction(
        key=Act.REPORT_SUPERVISION,
        label=gettext_lazy("提交督导报告"),
        sources=_ONGOING,
        permission=permissions.is_plan_supervisor,
        denied=gettext_lazy("只有被指派的质量督导员可以提交督导报告"),
        service="certify.services.plan_supervision.supervision_report_submit",
        doing=gettext_lazy("提交督导报告"),
    ),
)
PLAN_ACTIONS: dict[str, PlanAction] = {action.key: action for action in TABLE}

#: States in which a plan still counts as running (a candidate in it may not enrol in another).
OPEN_STATES = frozenset(S.values) - {S.CLOSED, S.CANCELLED}
#: States whose results a reviewer has approved (and no one can change but through an objection).
APPROVED_STATES = frozenset({S.RESULTS_APPROVED, S.PUBLICITY, S.CLOSED})
#: States in which the plan page shows the candidates' scores and results.
SCORES_SHOWN_STATES = frozenset(S.values) - {S.DRAFT, S.FILED}


def checks_of(action: PlanAction, plan: AssessmentPlan, user, today: dt.date) -> list[Check]:
    return action.checks(plan, user, today) if action.checks else []


def require_action(key: str, *, plan: AssessmentPlan, actor: User, today: dt.date | None = None) -> None:
    """What a service asks before it writes: the actor's permission (403), the plan's state, then
    every check of the action, all unmet ones listed (ValidationError)."""
    action = PLAN_ACTIONS[key]
    require(action.permission(actor, plan), str(action.denied))
    if plan.status not in action.sources:
        raise ValidationError(action.state_refusal(plan))
    unmet = [c for c in checks_of(action, plan, actor, today or timezone.localdate()) if not c.ok]
    if unmet and action.refused_heading:
        raise ValidationError([str(action.refused_heading), *(c.text for c in unmet)])
    if unmet:
        raise ValidationError([c.reason for c in unmet])


def plan_shows_scores(plan: AssessmentPlan) -> bool:
    return plan.status in SCORES_SHOWN_STATES


# The step bar of the plan page: the states in order, then the certificates.
STEPS = (
    (S.DRAFT, gettext_lazy("草稿")),
    (S.FILED, gettext_lazy("已报备")),
    (S.IN_PROGRESS, gettext_lazy("考核中")),
    (S.SCORING, gettext_lazy("评分")),
    (S.RESULTS_APPROVED, gettext_lazy("结果审核")),
    (S.PUBLICITY, gettext_lazy("公示")),
    (S.CLOSED, gettext_lazy("已结束")),
    ("issued", gettext_lazy("已发证")),
)


def plan_steps(plan: AssessmentPlan, *, issued: bool = False) -> list[dict]:
    order = [state for state, _label in STEPS]
    current = "issued" if issued else plan.status
    index = order.index(current) if current in order else -1
    return [
        {
            "label": label,
            "state": "cancelled"
            if plan.status == S.CANCELLED and i == 0
            else ("done" if i < index else ("current" if i == index else "todo")),
        }
        for i, (_state, label) in enumerate(STEPS)
    ]
