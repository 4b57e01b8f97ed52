"""Excel imports of a plan's roster (报名名册) and of an assessor's score sheet (成绩表).

Both are all or nothing: every row is checked against the same rules as the one-by-one services
(``check_candidate`` for registration, ``_check_can_score`` and ``parse_score`` for scores) before
anything is written; any problem raises ``ImportRejected`` listing every bad row and column, and the
transaction writes nothing. A good file is written with bulk inserts whose history rows are bound
into the ONE audit event appended last.

Score sheet template: the assessor never receives full ID numbers. ``scores_template`` lists each
candidate with the 报名编号 (the enrolment's reference inside this plan), 工号, 姓名 and the masked
证件号码. On import a row is matched by its 报名编号 when present (and its masked or full 证件号码
must agree), otherwise by the full 证件号码 through the keyed lookup hash; 姓名 must always match.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.styles import PatternFill

from accounts.models import User
from accounts.permissions import require
from audit.events import EventType
from audit.history import bulk_create_audited
from audit.services import audit_append
from certify.errors import ImportRejected
from certify.models import AssessmentPlan, Enrolment, Person, PlanAssessor, PriorCertificate, RecusalRelation, Score
from certify.permissions import can_score_plan
from certify.services.enrolments import (
    CandidateInput,
    Checked,
    PriorInput,
    _locked_plan,
    _require_registration_open,
    check_candidate,
    describe_enrolment,
    new_enrolment_row,
    new_person_row,
    normalise_id_number,
    prior_certificate_rows,
)
from certify.services.plans import roster_changed
from certify.services.registry import registry_watch
from certify.services.scoring import DUTY_FOR, _check_can_score, parse_score, result_refresh
from certify.services.scoring import _locked_plan as _locked_scoring_plan
from lib import pii
from lib.eligibility import CertificateKind, Diploma
from lib.excel import Column, ParsedTable, RowError, read_table, write_template
from lib.identifiers import id_number_check_char, mask_id_number, mask_name
from lib.levels import all_levels

DEFAULT_MAX_ROWS = 5000
_PHONE_RE = re.compile(r"^[0-9+\-() ]{5,20}$")
# The template's example rows carry these numbers, so a sample left in the file is refused.
_EXAMPLE_IDS = tuple(body + id_number_check_char(body) for body in ("44190019900307001", "44190019881115002"))


def _max_rows() -> int:
    return int(getattr(settings, "SKILLCERT_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def _choices(enum: Any, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The enum's labels first (they head the drop-down lists), then the aliases clerks write."""
    return {**{str(label): value for value, label in enum.choices}, **(extra or {})}


def _content(file: Any, filename: str) -> tuple[bytes, str]:
    if isinstance(file, bytes):
        return file, filename
    if isinstance(file, str | os.PathLike):
        return Path(file).read_bytes(), filename or str(file)
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read()
    return (data.encode("utf-8") if isinstance(data, str) else data), filename or str(getattr(file, "name", "") or "")


def _rejected(table: ParsedTable) -> ImportRejected:
    return ImportRejected(sorted(table.errors, key=lambda e: e.row))


def _message_error(table: ParsedTable, message: str) -> ImportRejected:
    table.add_error(0, "", message)
    return _rejected(table)


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# === 1. Roster ====================================================================================
H_NAME, H_ID_TYPE, H_ID_NUMBER = "姓名", "证件类型", "证件号码"
H_YEARS, H_EDUCATION, H_DIPLOMA, H_ROUTE, H_DIRECT = (
    "从事本职业年限",
    "文化程度",
    "职业院校毕业证书",
    "申报方式",
    "定级说明",
)
H_HIRE, H_PHONE = "入职日期", "手机号码"
H_PRIOR_LEVEL, H_PRIOR_KIND, H_PRIOR_NUMBER, H_PRIOR_DATE = "原证书等级", "原证书类型", "原证书编号", "原证书取得日期"

# check_candidate's field keys → the column the clerk corrects.
_ROSTER_FIELD_COLUMNS = {
    "name": H_NAME,
    "id_type": H_ID_TYPE,
    "id_number": H_ID_NUMBER,
    "years_in_occupation": H_YEARS,
    "education": H_EDUCATION,
    "diploma": H_DIPLOMA,
    "direct_justification": H_DIRECT,
}


def _level_choices() -> dict[str, str]:
    choices: dict[str, str] = {}
    for item in all_levels():
        code = str(item.code)
        for label in (item.short, code, f"{code}级", item.wording, item.title):
            choices.setdefault(label, code)
    return choices


def roster_columns() -> list[Column]:
    R, D = Person.IdType, Diploma
    E = Enrolment.Education
    return [
        Column("name", H_NAME, aliases=("考生姓名", "人员姓名"), max_length=60, example="张三"),
        Column(
            "id_type",
            H_ID_TYPE,
            required=False,
            kind="choice",
            choices=_choices(
                R,
                {
                    "身份证": R.RESIDENT,
                    "二代身份证": R.RESIDENT,
                    "港澳居民居住证": R.HKMOTW_RESIDENCE,
                    "台湾居民居住证": R.HKMOTW_RESIDENCE,
                    "港澳通行证": R.HKMO_PERMIT,
                    "回乡证": R.HKMO_PERMIT,
                    "台胞证": R.TW_PERMIT,
                    "外国人永久居留证": R.FOREIGN_PR,
                },
            ),
            help="不填时为居民身份证",
            example="居民身份证",
        ),
        Column(
            "id_number",
            H_ID_NUMBER,
            aliases=("身份证号码", "身份证号", "证件号", "公民身份号码"),
            kind="id_number",
            max_length=30,
            help="居民身份证为 18 位，末位 X 大写",
        ),
        Column("employee_number", "工号", aliases=("员工编号", "员工号", "工号/学号"), required=False, max_length=40),
        Column("hire_date", H_HIRE, aliases=("入职时间", "入职年月日"), required=False, kind="date"),
        Column(
            "dispatched",
            "劳务派遣",
            aliases=("劳务派遣人员", "是否劳务派遣"),
            required=False,
            kind="bool",
            example="否",
        ),
        Column(
            "years_in_occupation",
            H_YEARS,
            aliases=("本职业工作年限", "从事本职业工作年限", "本职业年限", "工作年限"),
            kind="decimal",
            min_value=Decimal("0"),
            max_value=Decimal("60"),
            decimals=1,
            help="累计从事本职业或相关职业工作的年数",
            example="7",
        ),
        Column(
            "education",
            H_EDUCATION,
            aliases=("学历",),
            required=False,
            kind="choice",
            choices=_choices(
                E,
                {
                    "博士": E.POSTGRADUATE,
                    "硕士": E.POSTGRADUATE,
                    "本科": E.BACHELOR,
                    "大专": E.COLLEGE,
                    "专科": E.COLLEGE,
                    "高职": E.COLLEGE,
                    "中专": E.SECONDARY_VOCATIONAL,
                    "中职": E.SECONDARY_VOCATIONAL,
                    "职高": E.SECONDARY_VOCATIONAL,
                    "技校": E.TECHNICAL_SCHOOL,
                    "高中": E.HIGH_SCHOOL,
                    "初中": E.JUNIOR,
                    "小学": E.JUNIOR,
                },
            ),
        ),
        Column(
            "diploma",
            H_DIPLOMA,
            aliases=("毕业证书", "职业院校毕业证"),
            required=False,
            kind="choice",
            choices=_choices(
                D,
                {
                    "技工学校": D.TECHNICAL_SCHOOL,
                    "技校": D.TECHNICAL_SCHOOL,
                    "中等职业学校": D.TECHNICAL_SCHOOL,
                    "中专": D.TECHNICAL_SCHOOL,
                    "高技": D.SENIOR_TECHNICAL_SCHOOL,
                    "预备技师": D.PREPARATORY_TECHNICIAN,
                    "本科": D.BACHELOR,
                },
            ),
            help="仅在以学历申报时填写",
        ),
        Column(
            "diploma_in_field",
            "本专业",
            aliases=("本专业或相关专业", "是否本专业"),
            required=False,
            kind="bool",
            help="毕业证书是否为本专业或相关专业；不填时为“是”",
        ),
        Column("final_year_student", "在校应届", aliases=("在校应届毕业生", "应届毕业生"), required=False, kind="bool"),
        Column("apprenticeship_completed", "学徒期满", aliases=("是否学徒期满",), required=False, kind="bool"),
        Column(
            "route",
            H_ROUTE,
            aliases=("申报类型",),
            required=False,
            kind="choice",
            choices=_choices(
                Enrolment.Route, {"晋级申报": Enrolment.Route.PROMOTION, "定级申报": Enrolment.Route.DIRECT}
            ),
            help="不填时为晋级；定级须本计划接受定级申报",
            example="晋级",
        ),
        Column(
            "direct_justification",
            H_DIRECT,
            aliases=("定级理由", "定级申报说明", "定级申报理由"),
            required=False,
            max_length=1000,
            help="定级申报时必填：写明技能水平、工作业绩等理由",
        ),
        Column("phone", H_PHONE, aliases=("手机", "手机号", "联系电话", "联系方式"), required=False, max_length=20),
        Column(
            "prior_level",
            H_PRIOR_LEVEL,
            aliases=("已有证书等级", "原证书级别"),
            required=False,
            kind="choice",
            choices=_level_choices(),
            help="已持有的本职业或相关职业证书；填写原证书任一项时，等级和取得日期必填",
        ),
        Column(
            "prior_kind",
            H_PRIOR_KIND,
            aliases=("已有证书类型",),
            required=False,
            kind="choice",
            choices=_choices(
                CertificateKind,
                {
                    "技能等级证书": CertificateKind.SKILL_LEVEL,
                    "等级证书": CertificateKind.SKILL_LEVEL,
                    "资格证书": CertificateKind.QUALIFICATION,
                },
            ),
            help="不填时为职业技能等级证书",
        ),
        Column("prior_number", H_PRIOR_NUMBER, aliases=("已有证书编号",), required=False, max_length=40),
        Column(
            "prior_date",
            H_PRIOR_DATE,
            aliases=("已有证书取得日期", "原证书发证日期", "发证日期"),
            required=False,
            kind="date",
        ),
    ]


@dataclass
class RosterImportResult:
    rows: int = 0
    persons_created: int = 0
    persons_existing: int = 0
    enrolments_created: int = 0
    prior_certificates_created: int = 0
    direct_pending: int = 0
    declarations_reset: int = 0
    warnings: list[RowError] = field(default_factory=list)
    enrolments: list[Enrolment] = field(default_factory=list)

    @property
    def created(self) -> int:
        return self.enrolments_created


def _prior(row: dict) -> list[PriorInput]:
    if not (row["prior_level"] and row["prior_date"]):
        return []
    return [
        PriorInput(
            level=int(row["prior_level"]),
            obtained_on=row["prior_date"],
            kind=row["prior_kind"] or CertificateKind.SKILL_LEVEL,
            number=row["prior_number"],
        )
    ]


def _candidate(row: dict) -> CandidateInput:
    def flag(key: str, default: bool) -> bool:
        return default if row[key] is None else row[key]

    return CandidateInput(
        name=row["name"],
        id_number=row["id_number"],
        id_type=row["id_type"] or Person.IdType.RESIDENT,
        employee_number=row["employee_number"],
        hire_date=row["hire_date"],
        dispatched=flag("dispatched", False),
        phone=row["phone"],
        education=row["education"],
        diploma=row["diploma"],
        diploma_in_field=flag("diploma_in_field", True),
        final_year_student=flag("final_year_student", False),
        apprenticeship_completed=flag("apprenticeship_completed", False),
        years_in_occupation=row["years_in_occupation"],
        route=row["route"] or Enrolment.Route.PROMOTION,
        direct_justification=row["direct_justification"],
        prior_certificates=_prior(row),
    )


def _row_problems(plan: AssessmentPlan, row: dict) -> list[tuple[str, str]]:
    """What a row can get wrong that ``check_candidate`` does not see (it has no columns)."""
    problems = []
    given = [row[k] for k in ("prior_level", "prior_kind", "prior_number", "prior_date")]
    if any(value not in (None, "") for value in given):
        if not row["prior_level"]:
            problems.append((H_PRIOR_LEVEL, _("填写了原证书信息时须填写原证书等级")))
        if not row["prior_date"]:
            problems.append((H_PRIOR_DATE, _("填写了原证书信息时须填写原证书取得日期")))
    if row["hire_date"] and row["hire_date"] > plan.exam_date:
        problems.append((H_HIRE, _("入职日期晚于考核日期，请核对")))
    if row["phone"] and not _PHONE_RE.match(row["phone"]):
        problems.append((H_PHONE, _("只能包含数字、空格、+ 和 -，请核对")))
    if normalise_id_number(row["id_number"]) in _EXAMPLE_IDS:
        problems.append((H_ID_NUMBER, _("这是模板中的示例行，请删除后重新上传")))
    return problems


def _column_for(key: str, data: CandidateInput, plan: AssessmentPlan) -> str:
    if key == "route":
        # Eligibility concerns the whole row (years, certificates, diploma), not the route cell.
        return "" if data.route == Enrolment.Route.PROMOTION else H_ROUTE
    if key == "prior_certificates":
        late = any(p.obtained_on > plan.exam_date for p in data.prior_certificates)
        return H_PRIOR_DATE if late else H_PRIOR_LEVEL
    return _ROSTER_FIELD_COLUMNS.get(key, "")


def _validate_roster(plan: AssessmentPlan, table: ParsedTable, mismatches: list) -> list[tuple[int, Checked]]:
    accepted: list[tuple[int, Checked]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in table.rows:
        data = _candidate(row)
        problems = _row_problems(plan, row)
        key = (data.id_type, normalise_id_number(data.id_number))
        if key in seen:
            problems.append(
                (
                    H_ID_NUMBER,
                    _("与第 %(row)s 行的证件号码重复，同一人只能报名一次，请删除重复的行") % {"row": seen[key]},
                )
            )
            for column, message in problems:
                table.add_error(number, column, message)
            continue
        seen[key] = number
        checked = check_candidate(plan, data)
        if checked.mismatch:
            mismatches.append(number)
        problems += [(_column_for(k, data, plan), message) for k, message in checked.errors]
        for column, message in problems:
            table.add_error(number, column, message)
        if not problems:
            accepted.append((number, checked))
    return accepted


def roster_import(*, actor: User, plan: AssessmentPlan, file: Any, filename: str = "") -> RosterImportResult:
    """Register every candidate of the file in ``plan`` (a draft), or none.

    Raises ``PermissionDenied`` (no right to register), ``ValidationError`` (plan no longer a
    draft) or ``ImportRejected`` listing every bad row, and then writes nothing.
    """
    content, filename = _content(file, filename)
    with registry_watch(actor=actor, plan=plan) as mismatches, transaction.atomic():
        plan = _locked_plan(plan)
        _require_registration_open(actor, plan)
        table = read_table(content, columns=roster_columns(), filename=filename, max_rows=_max_rows())
        accepted = _validate_roster(plan, table, mismatches)
        if not table.ok:
            raise _rejected(table)
        if not accepted:
            raise _message_error(table, _("文件中没有考生数据，请在模板第 2 行起逐行填写"))
        return _write_roster(actor=actor, plan=plan, accepted=accepted, filename=filename, content=content)


def _write_roster(
    *, actor: User, plan: AssessmentPlan, accepted: list[tuple[int, Checked]], filename: str, content: bytes
) -> RosterImportResult:
    reason = _("导入报名名册")
    new_people = {number: new_person_row(c.data, c.id_hash) for number, c in accepted if c.person is None}
    bulk_create_audited(Person, list(new_people.values()), actor=actor, reason=reason)
    enrolments = [
        new_enrolment_row(plan, checked, checked.person or new_people[number], actor) for number, checked in accepted
    ]
    bulk_create_audited(Enrolment, enrolments, actor=actor, reason=reason)
    priors: list[PriorCertificate] = []
    for enrolment, (_number, checked) in zip(enrolments, accepted, strict=True):
        priors += prior_certificate_rows(enrolment, checked.data)
    bulk_create_audited(PriorCertificate, priors, actor=actor, reason=reason)
    result = RosterImportResult(
        rows=len(accepted),
        persons_created=len(new_people),
        persons_existing=len(accepted) - len(new_people),
        enrolments_created=len(enrolments),
        prior_certificates_created=len(priors),
        direct_pending=sum(e.direct_status == Enrolment.DirectStatus.PENDING for e in enrolments),
        declarations_reset=roster_changed(plan, actor),
        enrolments=enrolments,
    )
    warned = []
    for enrolment, (number, checked) in zip(enrolments, accepted, strict=True):
        result.warnings += [RowError(row=number, column="", message=text) for text in checked.warnings]
        if checked.warnings:
            warned.append({"row": number, **describe_enrolment(enrolment, checked)})
    audit_append(
        actor=actor,
        event_type=EventType.ROSTER_IMPORTED,
        target=plan,
        organization=plan.organization,
        data={
            "filename": filename,
            "sha256": _sha256(content),
            "rows": result.rows,
            "persons_created": result.persons_created,
            "persons_existing": result.persons_existing,
            "enrolments_created": result.enrolments_created,
            "prior_certificates_created": result.prior_certificates_created,
            "direct_pending": result.direct_pending,
            "declarations_reset": result.declarations_reset,
            "warnings": warned,
        },
    )
    return result


def roster_template() -> bytes:
    """The roster template: every column with its rules, two example rows and filling notes."""
    first, second = _EXAMPLE_IDS
    examples = [
        {
            "name": "张三",
            "id_type": Person.IdType.RESIDENT,
            "id_number": first,
            "employee_number": "A0012",
            "hire_date": dt.date(2018, 3, 1),
            "dispatched": False,
            "years_in_occupation": Decimal("7"),
            "education": Enrolment.Education.HIGH_SCHOOL,
            "route": Enrolment.Route.PROMOTION,
            "phone": "13800000000",
        },
        {
            "name": "李四",
            "id_number": second,
            "employee_number": "A0137",
            "hire_date": dt.date(2019, 7, 15),
            "dispatched": True,
            "years_in_occupation": Decimal("4.5"),
            "education": Enrolment.Education.TECHNICAL_SCHOOL,
            "diploma": Diploma.TECHNICAL_SCHOOL,
            "diploma_in_field": True,
            "route": Enrolment.Route.PROMOTION,
            "prior_level": "5",
            "prior_kind": CertificateKind.SKILL_LEVEL,
            "prior_number": "Y000044001234205000031",
            "prior_date": dt.date(2020, 12, 20),
        },
    ]
    return write_template(
        columns=roster_columns(),
        sheet_title=_("报名名册"),
        example_rows=examples,
        notes=[
            _("每行一名考生；同一证件号码只能出现一次。整份名册全部校验通过才会导入，有错误时一行也不导入。"),
            _("申报方式为晋级时，系统按评价规范的申报条件逐人审查；不符合条件的考生会列出所缺条件。"),
            _("每行可填写一本已持有的证书（原证书等级、类型、编号、取得日期）；填写任一项时等级和取得日期必填。"),
            _("示例行的证件号码仅作演示，上传前请删除示例行。"),
        ],
    )


# === 2. Score sheet ===============================================================================
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
            choices=_choices(
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
                **_choices(Outcome),
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
                _check_can_score(actor, plan, enrolment, component, subscore)
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
    content, filename = _content(file, filename)
    with transaction.atomic():
        plan = _locked_scoring_plan(plan)
        require(can_score_plan(actor, plan), _("只有被指派到本计划的考评员可以录入成绩"))
        if plan.status != AssessmentPlan.Status.SCORING:
            raise ValidationError(_("评价计划不在评分阶段，不能录入成绩"))
        table = read_table(content, columns=score_columns(), filename=filename, max_rows=_max_rows())
        planned, blank = _validate_scores(actor, plan, table)
        if not table.ok:
            raise _rejected(table)
        if not planned:
            raise _message_error(table, _("文件中没有可导入的成绩，请在「成绩」或「情况」列填写后重新上传"))
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
            "sha256": _sha256(content),
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
