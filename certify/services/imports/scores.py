"""The score sheet import (成绩表): an assessor's own scores for a plan in scoring, all or nothing,
and the pre-filled template they fill in.

Every row is checked against the same rules as one-by-one entry (``check_can_score`` and
``parse_score``) before anything is written; any problem raises ``ImportRejected`` listing every bad
row and column, and the transaction writes nothing. A good file is written with bulk inserts whose
history rows are bound into the ONE audit event appended last.

The assessor never receives full ID numbers. ``scores_template`` lists each candidate with the
报名编号 (the enrolment's reference inside this plan), 工号, 姓名 and the masked 证件号码. On import
a row is matched by its 报名编号 when present (and its masked or full 证件号码 must agree),
otherwise by the full 证件号码 through the keyed lookup hash; 姓名 must always match.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.styles import PatternFill

from accounts.models import User
from audit.events import EventType
from audit.history import bulk_create_audited
from audit.services import audit_append
from certify.actions import Act, require_action
from certify.models import AssessmentPlan, Enrolment, Person, PlanAssessor, RecusalRelation, Score
from certify.services.enrolments import normalise_id_number
from certify.services.imports.common import (
    H_ID_NUMBER,
    H_NAME,
    choices,
    max_rows,
    message_error,
    read_upload,
    rejected,
    sha256,
)
from certify.services.plan_base import lock_plan
from certify.services.scoring import DUTY_FOR, check_can_score, parse_score, result_refresh
from lib import pii
from lib.excel import Column, ParsedTable, read_table, write_template
from lib.identifiers import mask_id_number, mask_name

H_REF, H_SUBSCORE, H_VALUE, H_OUTCOME, H_COMPONENT = "报名编号", "评审分项", "成绩", "情况", "考核项目"
_SCORE_FIELD_COLUMNS = {"component": H_COMPONENT, "subscore": H_SUBSCORE, "value": H_VALUE, "outcome": H_OUTCOME}


def score_columns() -> list[Column]:
    C, Outcome = Score.Component, Score.Outcome
    return [
        Column(
            "reference",
            H_REF,
            aliases=("考生编号",),
            required=False,
            max_length=20,
            help="系统生成，用于核对考生，请勿修改；自行制表时可不要此列，但须填写完整证件号码",
        ),
        Column("employee_number", "工号", required=False, max_length=40, help="仅供核对，导入时不读取"),
        Column("name", H_NAME, aliases=("考生姓名",), max_length=60),
        Column(
            "id_number",
            H_ID_NUMBER,
            aliases=("身份证号码", "身份证号", "证件号"),
            kind="id_number",
            max_length=30,
            help="模板中为脱敏显示，须同时保留「报名编号」；也可填写完整证件号码",
        ),
        Column(
            "component",
            H_COMPONENT,
            aliases=("考核科目", "科目"),
            kind="choice",
            choices=choices(
                C,
                {
                    "理论": C.THEORY,
                    "理论考试": C.THEORY,
                    "理论知识考试": C.THEORY,
                    "操作": C.PRACTICAL,
                    "实操": C.PRACTICAL,
                    "技能操作": C.PRACTICAL,
                    "操作技能考核": C.PRACTICAL,
                    "评审": C.REVIEW,
                },
            ),
        ),
        Column("subscore", H_SUBSCORE, aliases=("分项",), required=False, max_length=40, help="仅综合评审填写"),
        Column("value", H_VALUE, aliases=("分数", "得分"), required=False, kind="decimal", help="0–100，最多 1 位小数"),
        Column(
            "outcome",
            H_OUTCOME,
            aliases=("考试情况", "成绩情况"),
            required=False,
            kind="choice",
            choices={
                "有效": Outcome.SCORED,
                "缺考": Outcome.ABSENT,
                "违纪": Outcome.DISQUALIFIED,
                **choices(Outcome),
                "正常": Outcome.SCORED,
            },
            help="不填时为有效；缺考或违纪时「成绩」留空",
        ),
    ]


@dataclass
class ScoresImportResult:
    rows: int = 0
    scores_created: int = 0
    absent: int = 0
    disqualified: int = 0
    results_refreshed: int = 0
    blank_rows: list[int] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)

    @property
    def created(self) -> int:
        return self.scores_created


@dataclass
class _Planned:
    row: int
    enrolment: Enrolment
    component: str
    subscore: str
    outcome: str
    value: Any


class _Roster:
    """The plan's enrolments, found by reference or by the keyed hash of the ID number."""

    def __init__(self, plan: AssessmentPlan) -> None:
        enrolments = list(Enrolment.objects.filter(plan=plan).select_related("person"))
        self.by_ref = {str(e.pk): e for e in enrolments}
        self.by_hash = {(e.person.id_type, e.person.id_number_hash): e for e in enrolments}
        # Resident ID first: the default type, and the one a bare number most likely is.
        self.id_types = sorted({e.person.id_type for e in enrolments}, key=lambda t: t != Person.IdType.RESIDENT)

    def by_number(self, number: str) -> Enrolment | None:
        for id_type in self.id_types:
            for digest in pii.lookup_hashes(id_type=id_type, number=number):
                found = self.by_hash.get((id_type, digest))
                if found is not None:
                    return found
        return None

    def match(self, row: dict) -> tuple[Enrolment | None, list[tuple[str, str]]]:
        reference, number = row["reference"], normalise_id_number(row["id_number"])
        masked = "*" in number
        if reference:
            enrolment = self.by_ref.get(reference)
            if enrolment is None:
                return None, [(H_REF, _("本计划中没有该报名编号，请使用本计划下载的成绩表模板"))]
            person = enrolment.person
            agrees = (
                number == person.id_number_masked
                if masked
                else person.id_number_hash in pii.lookup_hashes(id_type=person.id_type, number=number)
            )
            if not agrees:
                return None, [(H_ID_NUMBER, _("与报名编号对应考生的证件号码不一致，请核对"))]
        elif masked:
            return None, [
                (H_ID_NUMBER, _("证件号码为脱敏显示，无法核对考生：请保留模板中的「报名编号」列，或填写完整证件号码"))
            ]
        else:
            enrolment = self.by_number(number)
            if enrolment is None:
                return None, [
                    (
                        H_ID_NUMBER,
                        _("本计划中没有证件号码为 %(id)s 的考生，请核对") % {"id": mask_id_number(number)},
                    )
                ]
        known = enrolment.person.name
        if " ".join(row["name"].split()) != known:
            return None, [(H_NAME, _("与本计划登记的姓名「%(known)s」不一致，请核对") % {"known": mask_name(known)})]
        return enrolment, []


def _value_problems(row: dict) -> tuple[str, Any, list[tuple[str, str]]]:
    """(outcome, value, problems); an empty outcome means the row carries no score."""
    value, outcome = row["value"], row["outcome"] or (Score.Outcome.SCORED if row["value"] is not None else "")
    if not outcome:
        return "", None, []
    if outcome != Score.Outcome.SCORED:
        if value is not None:
            label = Score.Outcome(outcome).label
            return outcome, None, [(H_VALUE, _("情况为「%(o)s」时「成绩」应留空") % {"o": label})]
        return outcome, None, []
    if value is None:
        return outcome, None, [(H_VALUE, _("请填写成绩，或在「情况」中填写缺考、违纪"))]
    try:
        return outcome, parse_score(value), []
    except ValidationError as exc:
        return outcome, None, _validation_problems(exc)


def _validation_problems(exc: ValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return [
            (_SCORE_FIELD_COLUMNS.get(key, ""), message)
            for key, errors in exc.message_dict.items()
            for message in errors
        ]
    return [("", message) for message in exc.messages]


def _validate_scores(actor: User, plan: AssessmentPlan, table: ParsedTable) -> tuple[list[_Planned], list[int]]:
    roster = _Roster(plan)
    submitted = set(
        Score.objects.filter(plan=plan, assessor=actor, replaced_by__isnull=True).values_list(
            "enrolment_id", "component", "subscore"
        )
    )
    seen: dict[tuple[int, str, str], int] = {}
    planned, blank = [], []
    for number, row in table.rows:
        outcome, value, problems = _value_problems(row)
        if not outcome and not problems:
            blank.append(number)
            continue
        enrolment, mismatch = roster.match(row)
        problems += mismatch
        component, subscore = row["component"], row["subscore"]
        if enrolment is not None:
            try:
                check_can_score(actor, plan, enrolment, component, subscore)
            except ValidationError as exc:
                problems += _validation_problems(exc)
            key = (enrolment.pk, component, subscore)
            if key in seen:
                problems.append(
                    ("", _("与第 %(row)s 行重复（同一考生、同一考核项目），请删除重复的行") % {"row": seen[key]})
                )
            elif key in submitted:
                problems.append(("", _("您已提交过该项成绩；成绩提交后不能修改，如有错误请逐条提交更正并说明原因")))
            seen.setdefault(key, number)
        for column, message in problems:
            table.add_error(number, column, message)
        if not problems:
            planned.append(_Planned(number, enrolment, component, subscore, outcome, value))
    return planned, blank


def scores_import(*, actor: User, plan: AssessmentPlan, file: Any, filename: str = "") -> ScoresImportResult:
    """The assessor's own scores for a plan in scoring, all or nothing, each submission final.

    Raises ``PermissionDenied`` (not assigned to the plan), ``ValidationError`` (plan not in
    scoring) or ``ImportRejected`` listing every bad row, and then writes nothing. Rows with
    neither 成绩 nor 情况 are skipped and returned in ``blank_rows``.
    """
    content, filename = read_upload(file, filename)
    with transaction.atomic():
        plan = lock_plan(plan)
        require_action(Act.SCORE, plan=plan, actor=actor)
        table = read_table(content, columns=score_columns(), filename=filename, max_rows=max_rows())
        planned, blank = _validate_scores(actor, plan, table)
        if not table.ok:
            raise rejected(table)
        if not planned:
            raise message_error(table, _("文件中没有可导入的成绩，请在「成绩」或「情况」列填写后重新上传"))
        return _write_scores(actor=actor, plan=plan, planned=planned, blank=blank, filename=filename, content=content)


def _write_scores(
    *, actor: User, plan: AssessmentPlan, planned: list[_Planned], blank: list[int], filename: str, content: bytes
) -> ScoresImportResult:
    rows = [
        Score(
            organization=plan.organization,
            plan=plan,
            enrolment=p.enrolment,
            component=p.component,
            subscore=p.subscore or "",
            assessor=actor,
            outcome=p.outcome,
            value=p.value,
            source=Score.Source.IMPORT,
        )
        for p in planned
    ]
    scores = bulk_create_audited(Score, rows, actor=actor, reason=_("导入成绩表"))
    affected = {p.enrolment.pk: p.enrolment for p in planned}
    for enrolment in affected.values():
        result_refresh(enrolment=enrolment, plan=plan, actor=actor)
    result = ScoresImportResult(
        rows=len(planned) + len(blank),
        scores_created=len(scores),
        absent=sum(s.outcome == Score.Outcome.ABSENT for s in scores),
        disqualified=sum(s.outcome == Score.Outcome.DISQUALIFIED for s in scores),
        results_refreshed=len(affected),
        blank_rows=blank,
        scores=scores,
    )
    by_component = dict.fromkeys(sorted({s.component for s in scores}), 0)
    for score in scores:
        by_component[score.component] += 1
    audit_append(
        actor=actor,
        event_type=EventType.SCORES_IMPORTED,
        target=plan,
        organization=plan.organization,
        data={
            "filename": filename,
            "sha256": sha256(content),
            "rows": result.rows,
            "scores_created": result.scores_created,
            "by_component": by_component,
            "absent": result.absent,
            "disqualified": result.disqualified,
            "candidates": result.results_refreshed,
            "blank_rows": blank,
        },
    )
    return result


_REFERENCE_FILL = PatternFill("solid", fgColor="F2F2F2")


def _template_rows(plan: AssessmentPlan, assessor: User | None) -> list[list[Any]]:
    cfg = plan.standard_level
    components = cfg.components()
    recused: set[int] = set()
    submitted: set[tuple[int, str, str]] = set()
    if assessor is not None:
        duties = set(PlanAssessor.objects.filter(plan=plan, user=assessor).values_list("duty", flat=True))
        components = [c for c in components if DUTY_FOR[c] in duties]
        recused = set(
            RecusalRelation.objects.filter(assessor__plan=plan, assessor__user=assessor).values_list(
                "enrolment_id", flat=True
            )
        )
        submitted = set(
            Score.objects.filter(plan=plan, assessor=assessor, replaced_by__isnull=True).values_list(
                "enrolment_id", "component", "subscore"
            )
        )
    subscores = [s["name"] for s in cfg.review_subscores or []]
    enrolments = (
        Enrolment.objects.filter(plan=plan, status=Enrolment.Status.REGISTERED).select_related("person").order_by("pk")
    )
    rows = []
    for enrolment in enrolments:
        if not enrolment.admitted or enrolment.pk in recused:
            continue
        person = enrolment.person
        for component in components:
            for subscore in (subscores or [""]) if component == Score.Component.REVIEW else [""]:
                if (enrolment.pk, component, subscore) in submitted:
                    continue
                label = str(Score.Component(component).label)
                rows.append(
                    [
                        str(enrolment.pk),
                        enrolment.employee_number,
                        person.name,
                        person.id_number_masked,
                        label,
                        subscore,
                    ]
                )
    return rows


def scores_template(plan: AssessmentPlan, *, assessor: User | None = None) -> bytes:
    """The score sheet pre-filled with the plan's admitted candidates, one row per component (and
    review sub-score); ID numbers masked. With ``assessor``: only the components of their duties,
    without the candidates they declared a relation with and what they already submitted.

    The caller checks that the user may see the plan's candidates.
    """
    data = write_template(
        columns=score_columns(),
        sheet_title=_("成绩表"),
        notes=[
            _("评价计划：%(n)s %(t)s") % {"n": plan.number, "t": plan.title},
            _("「报名编号」由系统生成，用于核对考生，请勿修改；证件号码为脱敏显示。"),
            _("每行填写一项成绩：0–100，最多 1 位小数；缺考或违纪时在「情况」中选择，「成绩」留空。"),
            _("未填写成绩和情况的行不导入。成绩提交后不能修改，如有错误请逐条提交更正并说明原因。"),
            _("整份成绩表全部校验通过才会导入，有错误时一行也不导入。"),
        ],
    )
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    for row_number, values in enumerate(_template_rows(plan, assessor), start=2):
        for column_number, value in enumerate(values, start=1):
            sheet.cell(row=row_number, column=column_number, value=value or None)
        sheet.cell(row=row_number, column=1).fill = _REFERENCE_FILL
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
