"""The roster import (报名名册): every candidate of an Excel file registered in a draft plan, or none.

Every row is checked against the same rules as one-by-one registration (``check_candidate``)
before anything is written; any problem raises ``ImportRejected`` listing every bad row and
column, and the transaction writes nothing. A good file is written with bulk inserts whose history
rows are bound into the ONE audit event appended last.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.events import EventType
from audit.history import bulk_create_audited
from audit.services import audit_append
from certify.models import AssessmentPlan, Enrolment, Person, PriorCertificate
from certify.services.enrolments import (
    CandidateInput,
    Checked,
    PriorInput,
    check_candidate,
    describe_enrolment,
    new_enrolment_row,
    new_person_row,
    normalise_id_number,
    prior_certificate_rows,
    require_registration_open,
)
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
from certify.services.plan_panel import assessor_names, roster_changed
from certify.services.registry import registry_watch
from lib.eligibility import CertificateKind, Diploma
from lib.excel import Column, ParsedTable, RowError, read_table, write_template
from lib.identifiers import id_number_check_char
from lib.levels import all_levels

_PHONE_RE = re.compile(r"^[0-9+\-() ]{5,20}$")
# The template's example rows carry these numbers, so a sample left in the file is refused.
_EXAMPLE_IDS = tuple(body + id_number_check_char(body) for body in ("44190019900307001", "44190019881115002"))

H_ID_TYPE = "证件类型"
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


def _levelchoices() -> dict[str, str]:
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
            choices=choices(
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
            choices=choices(
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
                    "初中及以下": E.JUNIOR,  # the label before GB/T 4658's 小学 was offered
                    "小学": E.PRIMARY,
                    "其它": E.OTHER,
                },
            ),
        ),
        Column(
            "diploma",
            H_DIPLOMA,
            aliases=("毕业证书", "职业院校毕业证"),
            required=False,
            kind="choice",
            choices=choices(
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
            choices=choices(
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
            choices=_levelchoices(),
            help="已持有的本职业或相关职业证书；填写原证书任一项时，等级和取得日期必填",
        ),
        Column(
            "prior_kind",
            H_PRIOR_KIND,
            aliases=("已有证书类型",),
            required=False,
            kind="choice",
            choices=choices(
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
    declarations_voided: list[str] = field(default_factory=list)  # who must declare again, by name
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
    content, filename = read_upload(file, filename)
    with registry_watch(actor=actor, plan=plan) as mismatches, transaction.atomic():
        plan = lock_plan(plan)
        require_registration_open(actor, plan)
        table = read_table(content, columns=roster_columns(), filename=filename, max_rows=max_rows())
        accepted = _validate_roster(plan, table, mismatches)
        if not table.ok:
            raise rejected(table)
        if not accepted:
            raise message_error(table, _("文件中没有考生数据，请在模板第 2 行起逐行填写"))
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
    voided = roster_changed(plan, actor)
    result = RosterImportResult(
        rows=len(accepted),
        persons_created=len(new_people),
        persons_existing=len(accepted) - len(new_people),
        enrolments_created=len(enrolments),
        prior_certificates_created=len(priors),
        direct_pending=sum(e.direct_status == Enrolment.DirectStatus.PENDING for e in enrolments),
        declarations_reset=len(voided),
        declarations_voided=assessor_names(voided),
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
            "sha256": sha256(content),
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
