"""What each step of a plan needs, as checks a clerk reads: met or not, the requirement in words
(``text``, the checklist line) and, when unmet, why the step is not available now (``why``).

Reads only. The plan actions table (``certify.actions``) names the checks of each action; the
page shows them beside the disabled button and the service refuses with the same ones.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from certify.conf import conf
from certify.models import (
    AssessmentPlan,
    Certificate,
    IssuanceBatch,
    Objection,
    PlanAssessor,
    RecusalRelation,
    Result,
    Score,
    StandardVersion,
)
from certify.permissions import can_approve_results
from certify.services import calendar
from certify.services.filings import filing_coverage
from certify.services.issue_rules import issuance_problems
from certify.services.plan_base import active_enrolments


@dataclass(frozen=True)
class Check:
    ok: bool
    text: str
    why: str = ""  # why the step waits, when unmet; the requirement itself when empty

    @property
    def reason(self) -> str:
        return self.why or self.text


def _day(day: dt.date) -> str:
    return date_format(day, "DATE_FORMAT")


def plan_coverage(plan: AssessmentPlan, on: dt.date):
    """Whether the organisation's filing covers the plan's occupation, 工种 and level on a day."""
    return filing_coverage(
        organization=plan.organization, occupation=plan.occupation, work_type=plan.work_type, level=plan.level, on=on
    )


def filing_gate(plan: AssessmentPlan, on: dt.date, step: str) -> None:
    """Refuse ``step`` (创建计划, 修改考核日期, …) unless a filing covers the plan on ``on``: the
    refusal names the step, the day and the filing, at the exam date field."""
    coverage = plan_coverage(plan, on)
    if not coverage.ok:
        raise ValidationError(
            {"exam_date": _("%(step)s：%(d)s %(why)s") % {"step": step, "d": _day(on), "why": coverage.message}}
        )


# --- filing -----------------------------------------------------------------------------------
def _candidates(n: int) -> str:
    return ngettext("%(n)d 名考生", "%(n)d 名考生", n) % {"n": n}


def _duty_count_checks(plan: AssessmentPlan, by_duty: dict[str, list[PlanAssessor]], candidates: int) -> list[Check]:
    cfg = plan.standard_level
    checks = []
    if cfg.has_practical:
        panel = by_duty[PlanAssessor.Duty.PRACTICAL]
        need = max(cfg.min_practical_assessors, math.ceil(candidates / cfg.candidates_per_assessor))
        checks.append(
            Check(
                len(panel) >= need,
                _("操作技能考评员不少于 %(need)d 人（%(candidates)s，每名考评员不超过 %(r)d 人），现有 %(have)d 人")
                % {
                    "need": need,
                    "candidates": _candidates(candidates),
                    "r": cfg.candidates_per_assessor,
                    "have": len(panel),
                },
            )
        )
        if cfg.require_odd_panel:
            checks.append(
                Check(len(panel) % 2 == 1, _("操作技能考评组人数须为奇数，现有 %(have)d 人") % {"have": len(panel)})
            )
    if cfg.has_theory:
        panel = by_duty[PlanAssessor.Duty.THEORY]
        need = max(
            math.ceil(candidates / cfg.candidates_per_invigilator), cfg.min_invigilators_per_room * plan.theory_rooms
        )
        checks.append(
            Check(
                len(panel) >= need,
                _("理论考试监考人员不少于 %(need)d 人（%(rooms)s、%(candidates)s），现有 %(have)d 人")
                % {
                    "need": need,
                    "rooms": ngettext("%(n)d 个考场", "%(n)d 个考场", plan.theory_rooms) % {"n": plan.theory_rooms},
                    "candidates": _candidates(candidates),
                    "have": len(panel),
                },
            )
        )
    if cfg.has_review:
        panel = by_duty[PlanAssessor.Duty.REVIEW]
        checks.append(
            Check(
                len(panel) >= cfg.min_review_panel,
                _("综合评审组不少于 %(need)d 人，现有 %(have)d 人")
                % {"need": cfg.min_review_panel, "have": len(panel)},
            )
        )
        if cfg.require_odd_panel:
            checks.append(
                Check(len(panel) % 2 == 1, _("综合评审组人数须为奇数，现有 %(have)d 人") % {"have": len(panel)})
            )
    return checks


def _declaration_check(by_duty: dict[str, list[PlanAssessor]]) -> Check:
    members = [a for duty in by_duty.values() for a in duty]
    undeclared = sorted({a.user.get_full_name() for a in members if a.declared_at is None})
    # A declaration text without its time: made, then voided by a change of the roster.
    voided = sorted({a.user.get_full_name() for a in members if a.declared_at is None and a.declaration})
    text = _("每名考评人员已提交回避声明")
    if voided:
        text += _("（尚未提交：%(names)s；其中 %(voided)s 的声明因考生名单变化已失效，须重新提交）") % {
            "names": "、".join(undeclared),
            "voided": "、".join(voided),
        }
    elif undeclared:
        text += _("（尚未提交：%(names)s）") % {"names": "、".join(undeclared)}
    why = _("尚有考评人员未提交回避声明：%(names)s") % {"names": "、".join(undeclared)}
    if voided:
        why += _("（%(voided)s 的声明因考生名单变化已失效）") % {"voided": "、".join(voided)}
    return Check(not undeclared, text, why if undeclared else "")


def panel_checks(plan: AssessmentPlan, candidates: int) -> list[Check]:
    by_duty: dict[str, list[PlanAssessor]] = {d: [] for d in PlanAssessor.Duty.values}
    for assessor in plan.assessors.select_related("user"):
        by_duty[assessor.duty].append(assessor)
    checks = _duty_count_checks(plan, by_duty, candidates)
    if plan.standard_level.senior_assessors_required:
        juniors = [
            a.user.get_full_name()
            for a in by_duty[PlanAssessor.Duty.PRACTICAL] + by_duty[PlanAssessor.Duty.REVIEW]
            if a.grade != PlanAssessor.Grade.SENIOR
        ]
        checks.append(
            Check(
                not juniors,
                _("%(level)s须由高级考评员评价") % {"level": plan.level_wording}
                + (_("：%(names)s 不是高级考评员") % {"names": "、".join(juniors)} if juniors else ""),
            )
        )
    checks.append(_declaration_check(by_duty))
    recusal = _recusal_panel_check(plan, by_duty)
    if recusal is not None:
        checks.append(recusal)
    return checks


def _recusal_panel_check(plan: AssessmentPlan, by_duty: dict[str, list[PlanAssessor]]) -> Check | None:
    """Every candidate keeps a practical panel of at least the standard's minimum, odd where the
    standard asks for odd panels, once the assessors who declared a relation with them step aside."""
    cfg = plan.standard_level
    panel = by_duty[PlanAssessor.Duty.PRACTICAL]
    if not cfg.has_practical or not panel:
        return None
    recused: dict[int, int] = {}
    for enrolment_id in RecusalRelation.objects.filter(
        assessor__in=[a.pk for a in panel], enrolment__in=active_enrolments(plan)
    ).values_list("enrolment_id", flat=True):
        recused[enrolment_id] = recused.get(enrolment_id, 0) + 1
    if not recused:
        return None
    need = cfg.min_practical_assessors
    odd = cfg.require_odd_panel and settings.SKILLCERT_RECUSAL_PANEL_MUST_BE_ODD
    short = []
    for enrolment in active_enrolments(plan).filter(pk__in=recused).select_related("person").order_by("pk"):
        left = len(panel) - recused[enrolment.pk]
        if left < need or (odd and left % 2 == 0):
            short.append(_("%(name)s 仅余 %(n)d 人") % {"name": enrolment.person.name, "n": left})
    text = (
        _("回避后每名考生的操作技能考评组仍不少于 %(need)d 人且为奇数")
        if odd
        else _("回避后每名考生的操作技能考评组仍不少于 %(need)d 人")
    ) % {"need": need}
    if short:
        text += _("（%(list)s；请增派考评员）") % {"list": "、".join(short[:10])}
    return Check(not short, text)


def filing_checks(plan: AssessmentPlan, today: dt.date) -> list[Check]:
    coverage = plan_coverage(plan, plan.exam_date)
    lead = int(conf("PLAN_LEAD_WORKING_DAYS"))
    earliest = calendar.add_working_days(today, lead)
    enrolments = list(active_enrolments(plan).select_related("person"))
    not_admitted = [e.person.name for e in enrolments if not e.admitted]
    checks = [
        Check(
            coverage.ok,
            coverage.message
            or _("备案 %(n)s 覆盖%(subject)s%(level)s（考核日期 %(d)s）")
            % {"n": coverage.filing.number, "subject": plan.subject, "level": plan.level_wording, "d": plan.exam_date},
        ),
        Check(
            plan.standard_version.status == StandardVersion.Status.PUBLISHED,
            _("依据已发布的评价规范：%(t)s（第 %(v)s 版）")
            % {"t": plan.standard_version.title, "v": plan.standard_version.version},
        ),
        Check(
            plan.exam_date >= earliest,
            _("考核日期至少在报备之日起 %(n)d 个工作日之后（最早 %(d)s）") % {"n": lead, "d": earliest.isoformat()},
        ),
        Check(bool(enrolments), _("已登记考生（现有 %(n)d 名）") % {"n": len(enrolments)}),
        Check(
            not not_admitted,
            _("全部考生符合申报条件或定级申报已获批准")
            + (_("（未通过：%(names)s）") % {"names": "、".join(not_admitted[:10])} if not_admitted else ""),
        ),
    ]
    return checks + panel_checks(plan, len(enrolments))


# --- the later steps ----------------------------------------------------------------------------
def _coverage_check(plan: AssessmentPlan, today: dt.date) -> Check:
    coverage = plan_coverage(plan, today)
    return Check(
        coverage.ok,
        coverage.message
        or _("备案 %(n)s 在 %(d)s 覆盖%(subject)s%(level)s")
        % {"n": coverage.filing.number, "d": today.isoformat(), "subject": plan.subject, "level": plan.level_wording},
    )


def start_checks(plan: AssessmentPlan, today: dt.date) -> list[Check]:
    by_duty: dict[str, list[PlanAssessor]] = {d: [] for d in PlanAssessor.Duty.values}
    for assessor in plan.assessors.all():
        by_duty[assessor.duty].append(assessor)
    recusal = _recusal_panel_check(plan, by_duty)
    return ([recusal] if recusal is not None and not recusal.ok else []) + [
        Check(
            today >= plan.exam_date,
            _("考核日期 %(d)s 已到") % {"d": plan.exam_date.isoformat()},
            _("考核日期为 %(d)s，当天起才能开始考核") % {"d": plan.exam_date.isoformat()},
        ),
        _coverage_check(plan, today),
    ]


def approval_checks(plan: AssessmentPlan, reviewer: User | None = None) -> list[Check]:
    enrolments = active_enrolments(plan)
    results = Result.objects.filter(plan=plan, enrolment__in=enrolments)
    incomplete = enrolments.count() - results.exclude(outcome=Result.Outcome.INCOMPLETE).count()
    checks = [
        Check(
            incomplete == 0,
            _("全部考生成绩齐全（尚缺 %(n)d 人）") % {"n": incomplete} if incomplete else _("全部考生成绩齐全"),
            ngettext("还有 %(n)d 名考生的成绩未录齐", "还有 %(n)d 名考生的成绩未录齐", incomplete) % {"n": incomplete},
        )
    ]
    if reviewer is not None:
        scored = Score.objects.filter(plan=plan, assessor=reviewer).exists()
        checks.append(Check(not scored, _("审核人未参与本计划评分（录入过成绩的人不能审核）")))
    return checks


def publicity_checks(plan: AssessmentPlan, today: dt.date) -> list[Check]:
    return [
        Check(
            today >= plan.exam_date,
            _("考核日期 %(d)s 已到") % {"d": plan.exam_date.isoformat()},
            _("公示不能早于考核日期（%(d)s）开始") % {"d": plan.exam_date.isoformat()},
        ),
        _coverage_check(plan, today),
    ]


def close_checks(plan: AssessmentPlan, today: dt.date) -> list[Check]:
    open_objections = Objection.objects.filter(plan=plan, status=Objection.Status.OPEN).count()
    ended = plan.publicity_end is not None and today > plan.publicity_end
    end = plan.publicity_end
    return [
        Check(
            ended,
            _("公示期已届满（截止 %(d)s）") % {"d": end.isoformat() if end else "—"},
            _("公示期至 %(d)s，期满后才能结束计划") % {"d": _day(end) if end else "—"},
        ),
        Check(
            open_objections == 0,
            (_("没有待处理的异议（现有 %(n)d 件）") % {"n": open_objections})
            if open_objections
            else _("没有待处理的异议"),
            ngettext(
                "还有 %(n)d 件异议未办结，办结后才能结束计划",
                "还有 %(n)d 件异议未办结，办结后才能结束计划",
                open_objections,
            )
            % {"n": open_objections},
        ),
    ]


def _passing_without_certificate(plan: AssessmentPlan):
    passing = active_enrolments(plan).filter(result__outcome=Result.Outcome.PASS)
    return passing.exclude(certificates__version=1)


def issue_checks(plan: AssessmentPlan, today: dt.date) -> list[Check]:
    """What stops the operator's 核发 now; the issuing service refuses the same (a closed plan)."""
    batch = IssuanceBatch.objects.filter(plan=plan).first()
    if batch is not None and batch.status in (IssuanceBatch.Status.PENDING, IssuanceBatch.Status.RUNNING):
        rendering = batch.certificates.filter(pdf_status=Certificate.PdfStatus.PENDING).exists()
        if batch.status == IssuanceBatch.Status.PENDING or rendering:
            return [Check(False, _("本计划的证书正在核发中，请在进度页面查看"))]
    if batch is not None and not _passing_without_certificate(plan).exists():
        return [Check(False, _("本计划证书已全部核发"))]
    return [Check(False, problem) for problem in issuance_problems(plan, batch.issue_date if batch else today)]


# --- as the actions table calls them: (plan, user, today) ------------------------------------------
def to_file(plan: AssessmentPlan, user: User | None, today: dt.date) -> list[Check]:
    return filing_checks(plan, today)


def to_start(plan: AssessmentPlan, user: User | None, today: dt.date) -> list[Check]:
    return start_checks(plan, today)


def to_approve(plan: AssessmentPlan, user: User | None, today: dt.date) -> list[Check]:
    # Whether the reader has scored in the plan matters only to someone who could approve.
    reviewer = user if user is not None and can_approve_results(user, plan.organization) else None
    return approval_checks(plan, reviewer)


def to_publish(plan: AssessmentPlan, user: User | None, today: dt.date) -> list[Check]:
    return publicity_checks(plan, today)


def to_close(plan: AssessmentPlan, user: User | None, today: dt.date) -> list[Check]:
    return close_checks(plan, today)


def to_issue(plan: AssessmentPlan, user: User | None, today: dt.date) -> list[Check]:
    return issue_checks(plan, today)
