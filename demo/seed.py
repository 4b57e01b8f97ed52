"""Demo data for the evaluation workflow, written through the services (called by seed_demo).

Dates are relative to today so the demo stays meaningful: one filing is about to expire (its
renewal window is open), one is suspended.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.models import Organization, User
from certify.models import Filing, Occupation, Standard, StandardVersion
from certify.scenarios import plan_walk
from certify.services.catalogue import catalogue_import_builtin
from certify.services.filings import ScopeSpec, filing_create, filing_suspend
from certify.services.standards import (
    standard_adopt,
    standard_draft_create,
    standard_level_update,
    standard_publish,
    standard_template_create,
)

HK_CREDIT = "91441900MA4W8HK3XF"
YH_CREDIT = "91441900MA51RQ7P23"


def _occ(code: str) -> Occupation:
    return Occupation.objects.get(code=code, edition="2022")


def seed_filings(*, bureau_admin: User, today: dt.date) -> None:
    hk = Organization.objects.get(credit_code=HK_CREDIT)
    yh = Organization.objects.get(credit_code=YH_CREDIT)
    if not Filing.objects.filter(number="东人社评备〔2023〕018号").exists():
        until = today + dt.timedelta(days=60)
        filing_create(
            actor=bureau_admin,
            organization=hk,
            number="东人社评备〔2023〕018号",
            valid_from=until - dt.timedelta(days=3 * 365),
            valid_until=until,
            scopes=[
                ScopeSpec(occupation=_occ("6-18-01-01"), work_type=None, levels=(5, 4, 3)),
                ScopeSpec(occupation=_occ("6-31-01-03"), work_type=None, levels=(5, 4, 3, 2)),
                ScopeSpec(occupation=_occ("6-18-02-04"), work_type="手工电弧焊", levels=(5, 4)),
            ],
            notes="首批企业自主评价试点单位",
        )
    if not Filing.objects.filter(number="东人社评备〔2025〕031号").exists():
        filing = filing_create(
            actor=bureau_admin,
            organization=yh,
            number="东人社评备〔2025〕031号",
            valid_from=today - dt.timedelta(days=400),
            valid_until=today + dt.timedelta(days=700),
            scopes=[
                ScopeSpec(occupation=_occ("6-25-04-07"), work_type=None, levels=(5, 4, 3)),
                ScopeSpec(occupation=_occ("6-31-01-03"), work_type=None, levels=(5, 4)),
            ],
        )
        filing_suspend(actor=bureau_admin, filing=filing, reason="年度抽查发现考评员资质不符，限期整改")


def _template(*, bureau_admin: User, code: str, title: str, source_code: str) -> StandardVersion:
    existing = StandardVersion.objects.filter(standard__organization__isnull=True, title=title).first()
    if existing:
        return existing
    version = standard_template_create(
        actor=bureau_admin,
        occupation=_occ(code),
        work_type=None,
        source=Standard.Source.NATIONAL,
        title=title,
        source_code=source_code,
        levels=[5, 4, 3, 2, 1],
        effective_from=dt.date(2018, 12, 1),
        notes="人力资源社会保障部、工业和信息化部颁布。各等级申报条件按标准原文设置。",
    )
    return standard_publish(actor=bureau_admin, version=version)


def seed_standards(*, bureau_admin: User, today: dt.date) -> None:
    turner = _template(
        bureau_admin=bureau_admin,
        code="6-18-01-01",
        title="车工国家职业技能标准（2018 年版）",
        source_code="职业编码 6-18-01-01",
    )
    _template(
        bureau_admin=bureau_admin,
        code="6-31-01-03",
        title="电工国家职业技能标准（2018 年版）",
        source_code="职业编码 6-31-01-03",
    )
    hk = Organization.objects.get(credit_code=HK_CREDIT)
    operator = User.objects.get(username="hk_operator")
    if not Standard.objects.filter(organization=hk, adopted_from=turner).exists():
        draft, _skipped = standard_adopt(actor=operator, organization=hk, template=turner, today=today)
        # Dongguan's 定级: this employer grades outstanding turners directly at level 4
        standard_level_update(actor=operator, level=draft.levels.get(level=4), direct_grading_allowed=True)
        standard_publish(actor=operator, version=draft, today=today)
    title = "华科精密电工（设备维修）企业评价规范"
    if not StandardVersion.objects.filter(standard__organization=hk, title=title).exists():
        draft = standard_draft_create(
            actor=operator,
            organization=hk,
            occupation=_occ("6-31-01-03"),
            work_type="设备维修电工",
            title=title,
            source_code="HK/PJ-2025-02",
            levels=[4, 3],
            effective_from=today - dt.timedelta(days=30),
            notes="结合本企业自动化产线设备维修岗位要求编制。",
            today=today,
        )
        standard_publish(actor=operator, version=draft, today=today)


DEMO_NAMES = [
    "陈志强", "林小燕", "黄建华", "何丽君", "罗俊杰", "梁晓敏", "郭海涛", "叶秀英", "邓伟明", "冯淑芬",
    "曾国栋", "彭佳怡", "谢永康", "袁静雯", "吴嘉豪", "蔡雅琪", "苏志军", "潘美玲", "钟浩然", "卢晓丹",
]  # fmt: skip


def _demo_id(index: int) -> str:
    from lib.identifiers import id_number_check_char

    body = f"441900{1985 + index % 12}{index % 12 + 1:02d}{index % 27 + 1:02d}{100 + index:03d}"
    return body + id_number_check_char(body)


def _plan(*, operator, org, version, level, exam_date, title, names, photos=False, direct=None):
    from pathlib import Path

    from certify.models import AssessmentPlan
    from certify.services.enrolments import CandidateInput, PriorInput, enrolment_register, enrolment_set_photo
    from certify.services.plans import assessor_add, plan_create, recusal_declare

    existing = AssessmentPlan.objects.filter(organization=org, title=title).first()
    if existing:
        return existing, False
    plan = plan_create(
        actor=operator,
        organization=org,
        standard_version=version,
        level=level,
        title=title,
        exam_date=exam_date,
        venue="东莞市松山湖园区华科精密实训中心二楼",
        contact="0769-22881234（人力资源部 王女士）",
        internal_supervisor="周敏",
        allow_direct_grading=bool(direct),
    )
    photo = (Path(__file__).resolve().parent.parent / "static" / "certify" / "example" / "photo.jpg").read_bytes()
    for offset, (index, name) in enumerate(names):
        data = CandidateInput(
            name=name,
            id_number=_demo_id(index),
            employee_number=f"HK{2015 + index % 8}{index:04d}",
            years_in_occupation=Decimal("7") + Decimal(index % 5),
            education="47",
        )
        if level <= 3:
            # 三级 needs a 四级 certificate held 5 years; an old 职业资格证书 counts the same
            data.prior_certificates = [
                PriorInput(
                    level=level + 1,
                    obtained_on=exam_date - dt.timedelta(days=6 * 365 + index),
                    kind="qualification" if index % 2 else "skill_level",
                    number=f"1{index:03d}0044{level + 1}000{index:05d}",
                    occupation_name="车工",
                )
            ]
        if direct and offset == 0:
            data.route, data.direct_justification, data.years_in_occupation = (
                "direct",
                "该员工长期负责精密轴类零件加工，技能突出，获 2025 年东莞市技能大赛车工项目二等奖。",
                Decimal("3"),
            )
        enrolment = enrolment_register(actor=operator, plan=plan, data=data)
        if photos:
            enrolment_set_photo(actor=operator, enrolment=enrolment, data=photo)
    assessors = list(
        User.objects.filter(username__in=["hk_assessor", "hk_assessor2", "hk_assessor3"]).order_by("username")
    )
    panel = [assessor_add(actor=operator, plan=plan, user=u, duty="practical", grade="senior") for u in assessors]
    panel += [assessor_add(actor=operator, plan=plan, user=u, duty="theory", grade="assessor") for u in assessors[:2]]
    for member in panel:
        recusal_declare(actor=member.user, assessor=member, relations=[])
    return plan, True


def _score_all(plan, marks: dict[str, tuple]) -> None:
    from certify.models import PlanAssessor
    from certify.services.scoring import score_submit

    for enrolment in plan.enrolments.select_related("person").filter(status="registered"):
        if enrolment.person.name not in marks:
            continue
        theory, practical = marks[enrolment.person.name]
        for member in PlanAssessor.objects.filter(plan=plan).select_related("user"):
            if member.duty == "practical":
                bump = Decimal(member.user.username[-1] == "3") * Decimal("1.5")
                score_submit(actor=member.user, enrolment=enrolment, component="practical", value=practical + bump)
        marker = PlanAssessor.objects.filter(plan=plan, duty="theory").first().user
        score_submit(actor=marker, enrolment=enrolment, component="theory", value=theory)


def _demo_plans(today: dt.date) -> list[dict]:
    """One entry per demo plan: how ``_plan`` creates it, then how far it is walked (``until``, the
    marks each candidate gets, the walk's dates) or the reason it was cancelled."""
    from certify.models import AssessmentPlan
    from certify.services import calendar

    S = AssessmentPlan.Status
    names = list(enumerate(DEMO_NAMES))
    ahead = calendar.add_working_days(today, 12)

    def past(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    closed_marks = {n: (Decimal(78 + i * 2), Decimal(80 + i)) for i, (_x, n) in enumerate(names[0:5])}
    return [
        # closed: exam five weeks ago, publicity over — certificates can be issued
        {
            "level": 4,
            "exam_date": past(35),
            "title": "2026 年第三批车工四级（中级工）评价",
            "names": names[0:6],
            "photos": True,
            "until": S.CLOSED,
            "marks": closed_marks | {names[5][1]: (Decimal("55"), Decimal("72"))},
            "walk": {"publicity_on": past(20)},
        },
        # publicity: approved and published today
        {
            "level": 3,
            "exam_date": past(12),
            "title": "2026 年第四批车工三级（高级工）评价",
            "names": names[6:10],
            "photos": True,
            "until": S.PUBLICITY,
            "walk": {"publicity_on": today},
            "marks": {n: (Decimal(70 + i * 5), Decimal(75 + i * 3)) for i, (_x, n) in enumerate(names[6:10])},
        },
        # scoring: exam last week, scores partly entered
        {
            "level": 4,
            "exam_date": past(6),
            "title": "2026 年第五批车工四级（中级工）评价",
            "names": names[10:14],
            "until": S.SCORING,
            "marks": {names[10][1]: (Decimal("88"), Decimal("86.5"))},
        },
        # in progress: exam today
        {
            "level": 5,
            "exam_date": today,
            "title": "2026 年第六批车工五级（初级工）评价",
            "names": names[14:17],
            "until": S.IN_PROGRESS,
        },
        # filed: exam in a couple of weeks
        {
            "level": 4,
            "exam_date": ahead,
            "title": "2026 年第七批车工四级（中级工）评价",
            "names": names[17:20],
            "until": S.FILED,
            "walk": {"filed_on": today},
        },
        # draft with a 定级 application left waiting for the second person's approval
        {
            "level": 4,
            "exam_date": calendar.add_working_days(today, 20),
            "title": "2027 年第一批车工四级（中级工）评价",
            "names": [(20, "张文斌"), (21, "李思琪")],
            "direct": True,
        },
        # cancelled
        {
            "level": 5,
            "exam_date": ahead,
            "title": "2026 年第八批车工五级（初级工）评价（已取消）",
            "names": [(22, "赵明")],
            "cancel": "生产任务调整，考核推迟到明年",
        },
    ]


def seed_plans(*, today: dt.date) -> None:
    """Plans in every state; the closed one has passing candidates with photos, ready for certificates."""
    from certify.services.plans import plan_cancel

    hk = Organization.objects.get(credit_code=HK_CREDIT)
    operator = User.objects.get(username="hk_operator")
    reviewer = User.objects.get(username="hk_reviewer")
    turner = StandardVersion.objects.get(standard__organization=hk, status="published", title__startswith="车工")
    for spec in _demo_plans(today):
        until, marks, walk, cancel = (spec.pop(key, None) for key in ("until", "marks", "walk", "cancel"))
        plan, new = _plan(operator=operator, org=hk, version=turner, **spec)
        if new and until:
            score = (lambda p, marks=marks: _score_all(p, marks)) if marks else None
            plan_walk(plan, operator=operator, reviewer=reviewer, until=until, score=score, **(walk or {}))
        if new and cancel:
            plan_cancel(actor=operator, plan=plan, reason=cancel)


def seed_seals() -> None:
    """Each demo organisation's seal, drawn with its own name, uploaded by its admin."""
    from accounts.roles import Role
    from certify.models import Seal
    from certify.services.certificates import seal_upload
    from lib.seal_art import draw_seal

    for org in Organization.objects.filter(credit_code__in=[HK_CREDIT, YH_CREDIT]).order_by("pk"):
        if Seal.objects.filter(organization=org).exists():
            continue
        admin = User.objects.filter(memberships__organization=org, memberships__role=Role.ORG_ADMIN).first()
        if admin is not None:
            seal_upload(actor=admin, organization=org, data=draw_seal(org.name))


def seed_certificates(*, today: dt.date) -> None:
    """The closed demo plan's certificates, with the company seal, so `make run` shows real PDFs."""
    from certify.models import AssessmentPlan, IssuanceBatch
    from certify.services.issuing import issuance_request

    hk = Organization.objects.get(credit_code=HK_CREDIT)
    operator = User.objects.get(username="hk_operator")
    seed_seals()
    plan = AssessmentPlan.objects.filter(organization=hk, status=AssessmentPlan.Status.CLOSED).first()
    if plan is not None and not IssuanceBatch.objects.filter(plan=plan).exists():
        issuance_request(actor=operator, plan=plan, issue_date=today)


def seed_bureau(*, system: User, bureau_admin: User, today: dt.date) -> None:
    """The bureau's side: this year's subsidy rule, a risk scan and a signed checkpoint."""
    from audit.checkpoints import checkpoint_create
    from audit.models import SubsidyRule
    from bureau.risk import risk_scan
    from bureau.subsidies import subsidy_rule_set

    if not SubsidyRule.objects.filter(year=today.year).exists():
        subsidy_rule_set(
            actor=bureau_admin,
            year=today.year,
            amounts={5: 500, 4: 800, 3: 1500, 2: 2500, 1: 3500},
            shortage_uplift_percent=30,
            shortage_max_level=3,
            organization_annual_cap=850000,
        )
    risk_scan(actor=system)
    # The demo's past plans were filed when the demo was loaded, so the lead-time rule flags them;
    # the bureau closes those flags the way it would close any explained finding.
    from audit.models import RiskFlag
    from bureau.risk import risk_flag_resolve

    for flag in RiskFlag.objects.filter(rule=RiskFlag.Rule.SHORT_LEAD, status=RiskFlag.Status.OPEN):
        risk_flag_resolve(actor=bureau_admin, flag=flag, note="演示数据：历史计划系初始化演示数据时补录报备，已核实")
    checkpoint_create(actor=system)


def seed_certify(*, system: User, bureau_admin: User, stdout=None) -> None:
    today = timezone.localdate()
    if not Occupation.objects.exists():
        catalogue_import_builtin(actor=bureau_admin)
    seed_filings(bureau_admin=bureau_admin, today=today)
    seed_standards(bureau_admin=bureau_admin, today=today)
    seed_plans(today=today)
    seed_certificates(today=today)
    seed_bureau(system=system, bureau_admin=bureau_admin, today=today)
