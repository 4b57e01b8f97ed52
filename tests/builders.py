"""Builders shared by the test modules (no test module imports another): plans walked to a state,
panels, rosters and score sheets as files, the statistics dataset."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
import pytest
from django.apps import apps
from django.utils import timezone
from openpyxl import Workbook

from accounts.roles import Role
from audit.history import history_group
from audit.models import AuditEvent
from certify.errors import ImportRejected
from certify.models import (
    AssessmentPlan,
    Certificate,
    Enrolment,
    Filing,
    Person,
    PlanAssessor,
    PriorCertificate,
    Result,
    Score,
    StandardVersion,
)
from certify.services import calendar
from certify.services.catalogue import occupation_set_shortage
from certify.services.certificates import certificate_correct
from certify.services.enrolments import PriorInput, enrolment_register, enrolment_set_photo
from certify.services.filings import ScopeSpec, filing_add_scope
from certify.services.issuing import issuance_allocate, issuance_request
from certify.services.plans import (
    assessor_add,
    plan_approve_results,
    plan_begin_scoring,
    plan_close,
    plan_create,
    plan_file,
    plan_start,
    plan_start_publicity,
    recusal_declare,
)
from certify.services.scoring import score_submit
from certify.services.standards import (
    standard_draft_create,
    standard_level_update,
    standard_publish,
)
from lib import numbering
from tests import factories
from tests.workflow import candidate, candidate_ids, occ, photo_bytes, revoke_by_request

S = AssessmentPlan.Status

VENUE = "甲机械二号厂房实训车间"


def messages(caught) -> str:
    """Every message of a caught ValidationError, one per line."""
    return "\n".join(caught.value.messages)


def make_plan(world, version, *, level: int, exam_date: dt.date, **fields) -> AssessmentPlan:
    return plan_create(
        actor=world.a_operator,
        organization=world.org_a,
        standard_version=version,
        level=level,
        exam_date=exam_date,
        venue=VENUE,
        **fields,
    )


def register_all(world, plan, names, *, start: int = 1, **extra):
    numbers = candidate_ids(len(names), start=start)
    return [
        enrolment_register(actor=world.a_operator, plan=plan, data=candidate(name, number, **extra))
        for name, number in zip(names, numbers, strict=True)
    ]


def add_panel(world, plan, *, practical=(), theory=(), review=(), grade: str = "assessor") -> list[PlanAssessor]:
    members = []
    for duty, users in (("practical", practical), ("theory", theory), ("review", review)):
        for user in users:
            members.append(assessor_add(actor=world.a_operator, plan=plan, user=user, duty=duty, grade=grade))
    return members


def more_practical_assessors(world, plan, count: int = 2, *, declared: bool = True) -> list[PlanAssessor]:
    """``count`` new assessors of org A on the plan's practical panel (each having declared no
    relation): a panel of 3 plus 2 keeps every candidate at 3 or more after one recusal."""
    from tests import factories

    users = [
        factories.member(world.org_a, Role.ASSESSOR, actor=world.bureau_admin, username=f"a_more{plan.pk}_{i}")
        for i in range(count)
    ]
    members = add_panel(world, plan, practical=users)
    if declared:
        for member in members:
            recusal_declare(actor=member.user, assessor=member, relations=[])
    return members


def declare_all(plan) -> None:
    for member in PlanAssessor.objects.filter(plan=plan).select_related("user"):
        recusal_declare(actor=member.user, assessor=member, relations=[])


def to_scoring(world, plan, *, today: dt.date) -> AssessmentPlan:
    plan_file(actor=world.a_operator, plan=plan, today=today)
    plan_start(actor=world.a_operator, plan=plan, today=plan.exam_date)
    return plan_begin_scoring(actor=world.a_operator, plan=plan)


def make_level2_version(world) -> StandardVersion:
    """The bureau adds 车工 level 2 to org A's filing; org A publishes a 技师 standard for it."""
    filing_a = Filing.objects.get(organization=world.org_a, number="东人社评备〔2025〕001号")
    filing_add_scope(
        actor=world.bureau_admin,
        filing=filing_a,
        scope=ScopeSpec(occupation=occ("6-18-01-01"), work_type=None, levels=(2,)),
    )
    draft = standard_draft_create(
        actor=world.a_operator,
        organization=world.org_a,
        occupation=occ("6-18-01-01"),
        work_type="普通车工",
        title="甲机械车工技师评价规范",
        levels=[2],
    )
    return standard_publish(actor=world.a_operator, version=draft)


def publish_with_direct_grading(world, draft) -> StandardVersion:
    """org A's 车工 draft published with 定级 allowed at level 4."""
    standard_level_update(actor=world.a_operator, level=draft.levels.get(level=4), direct_grading_allowed=True)
    return standard_publish(actor=world.a_operator, version=draft)


def level3_holder(exam_date: dt.date) -> dict:
    """What a 技师 candidate needs under the national template: level 3 held for over 4 years."""
    return {"prior_certificates": [PriorInput(level=3, obtained_on=exam_date - dt.timedelta(days=5 * 366))]}


def make_level2_plan(world, assessors, today, *, names=("赵强", "钱敏", "孙磊"), grade="senior") -> AssessmentPlan:
    """A declared level-2 plan: 3 practical and 3 review assessors of ``grade``, 2 invigilators."""
    version = make_level2_version(world)
    plan = make_plan(world, version, level=2, exam_date=calendar.add_working_days(today, 10))
    register_all(world, plan, names, start=500, **level3_holder(plan.exam_date))
    add_panel(world, plan, practical=assessors[:3], review=assessors[2:5], grade=grade)
    add_panel(world, plan, theory=assessors[3:5])
    declare_all(plan)
    plan.refresh_from_db()
    return plan


ROSTER_HEADERS = ["姓名", "证件号码", "从事本职业年限"]


def xlsx(headers: list, rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def province_number(org, level, serial, year=None):
    return numbering.format_number(
        type_letter="Y",
        ministry_code="0000",
        province_code="44",
        org_sequence=org.province_sequence,
        year=year or timezone.localdate().year,
        level=level,
        serial=serial,
    )


def supplied_numbers_file(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "证件号码", "证书编号"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _theory_only_standard(*, actor, organization, occupation_code: str, level: int, title: str):
    draft = standard_draft_create(
        actor=actor,
        organization=organization,
        occupation=occ(occupation_code),
        work_type=None,
        title=title,
        levels=[level],
    )
    standard_level_update(
        actor=actor,
        level=draft.levels.get(),
        has_practical=False,
        candidates_per_invigilator=300,
        min_invigilators_per_room=1,
    )
    return standard_publish(actor=actor, version=draft)


def issue_plan(
    *,
    organization,
    operator,
    approver,
    assessor,
    occupation_code: str,
    level: int,
    candidates: list,
    theory: dict[str, float | None],
    issue_date: dt.date,
    today: dt.date,
) -> list[Certificate]:
    """A theory-only plan taken through every step by the services, then issued on
    ``issue_date`` (numbers and signatures; the PDFs are not rendered). ``None`` = absent."""
    version = _theory_only_standard(
        actor=operator,
        organization=organization,
        occupation_code=occupation_code,
        level=level,
        title=f"{organization.name}{occupation_code}理论考核规范",
    )
    # the plan runs its course before the issue date: filed 45 days earlier, issued after the publicity
    filed_on = issue_date - dt.timedelta(days=45)
    exam = calendar.add_working_days(filed_on, 10)
    plan = plan_create(
        actor=operator, organization=organization, standard_version=version, level=level, exam_date=exam, venue="考场"
    )
    for data in candidates:
        enrolment_register(actor=operator, plan=plan, data=data)
    member = assessor_add(actor=operator, plan=plan, user=assessor, duty="theory", grade="assessor")
    recusal_declare(actor=assessor, assessor=member, relations=[])
    plan_file(actor=operator, plan=plan, today=filed_on)
    plan_start(actor=operator, plan=plan, today=exam)
    plan_begin_scoring(actor=operator, plan=plan)
    for enrolment in plan.enrolments.select_related("person"):
        value = theory[enrolment.person.name]
        if value is None:
            score_submit(actor=assessor, enrolment=enrolment, component="theory", outcome="absent")
        else:
            score_submit(actor=assessor, enrolment=enrolment, component="theory", value=value)
    plan_approve_results(actor=approver, plan=plan)
    plan = plan_start_publicity(actor=operator, plan=plan, today=exam)
    for enrolment in plan.enrolments.all():
        enrolment_set_photo(actor=operator, enrolment=enrolment, data=photo_bytes())
    plan = plan_close(actor=operator, plan=plan, today=plan.publicity_end + dt.timedelta(days=1))
    batch = issuance_request(actor=operator, plan=plan, issue_date=issue_date)
    issuance_allocate(batch_id=batch.pk)
    return list(Certificate.objects.filter(plan=plan).order_by("number"))


@dataclass
class Dataset:
    a4: list[Certificate]  # org A 车工 level 4, issued today (the ``issued`` fixture)
    a3: list[Certificate]  # org A 车工 level 3, issued today
    b5: list[Certificate]  # org B 焊工 level 5, issued 40 days ago
    revoked: Certificate
    corrected: Certificate  # the new version; its first version is replaced
    today: dt.date
    earlier: dt.date

    @property
    def plans(self):
        return self.a4[0].plan, self.a3[0].plan, self.b5[0].plan


def build_dataset(world, issued, today) -> Dataset:
    today = issued[0].issue_date  # the fixtures' clock: the day after the first plan's publicity
    occupation_set_shortage(actor=world.bureau_admin, occupation=occ("6-18-01-01"), is_shortage=True)
    exam_guess = today + dt.timedelta(days=20)
    senior = [
        candidate(
            name,
            number,
            years_in_occupation=Decimal("12"),
            prior_certificates=[PriorInput(level=4, obtained_on=exam_guess - dt.timedelta(days=365 * 7))],
        )
        for name, number in zip(["赵强", "孙丽", "周杰"], candidate_ids(3, start=200), strict=True)
    ]
    a3 = issue_plan(
        organization=world.org_a,
        operator=world.a_operator,
        approver=world.a_reviewer,
        assessor=world.a_assessor,
        occupation_code="6-18-01-01",
        level=3,
        candidates=senior,
        theory={"赵强": 85, "孙丽": 72, "周杰": 41},
        issue_date=today,
        today=today,
    )
    b_assessor = factories.member(world.org_b, Role.ASSESSOR, actor=world.bureau_admin, username="b_assessor")
    welders = [candidate(n, i) for n, i in zip(["吴敏", "郑浩", "冯雪"], candidate_ids(3, start=300), strict=True)]
    earlier = today - dt.timedelta(days=40)
    b5 = issue_plan(
        organization=world.org_b,
        operator=world.b_operator,
        approver=world.b_org_admin,
        assessor=b_assessor,
        occupation_code="6-18-02-04",
        level=5,
        candidates=welders,
        theory={"吴敏": 90, "郑浩": 66, "冯雪": None},
        issue_date=earlier,
        today=today,
    )
    revoked = revoke_by_request(world, certificate=issued[0], category="error", reason="成绩录入错误")
    corrected = certificate_correct(
        actor=world.a_operator, certificate=issued[1], reason="姓名录错", holder_name=issued[1].holder_name + "明"
    )
    return Dataset(a4=issued, a3=a3, b5=b5, revoked=revoked, corrected=corrected, today=today, earlier=earlier)


IMPORT_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
IMPORT_GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "华",
]


# --- imports: counting what was written, refusals, history binding ----------------------------


def candidate_names(n: int) -> list[str]:
    return [
        IMPORT_SURNAMES[i % len(IMPORT_SURNAMES)] + IMPORT_GIVEN[(i // len(IMPORT_SURNAMES)) % len(IMPORT_GIVEN)]
        for i in range(n)
    ]


def import_counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Enrolment.objects.count(),
        PriorCertificate.objects.count(),
        Score.objects.count(),
        Result.objects.count(),
        AuditEvent.objects.count(),
    )


def import_rejected(call) -> list:
    """Run an import that must be refused; nothing may be written. Returns the errors."""
    before = import_counts()
    with pytest.raises(ImportRejected) as caught:
        call()
    assert import_counts() == before
    return caught.value.errors


def error_messages(errors) -> list[str]:
    return [str(e) for e in errors]


def last_event():
    return AuditEvent.objects.order_by("-seq").first()


def assert_history_bound(event, model_label: str, count: int) -> list[int]:
    bound = {entry["model"]: entry for entry in event.history}
    entry = bound[model_label]
    assert len(entry["ids"]) == count
    assert history_group(apps.get_model(model_label), entry["ids"]) == (entry["ids"], entry["hash"])
    return entry["ids"]
