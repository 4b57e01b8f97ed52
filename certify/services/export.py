"""Certificate data for the provincial/national database (上报): export profiles, the export itself,
and the province's answers (接收 or 退回 with a reason).

No current official upload template is public, the older national software matched columns by
header name, and code tables differ between systems. So the file's layout is a *profile* —
columns, header names, code tables and date format — chosen by name from ``EXPORT_PROFILES``;
the code that writes the file knows none of it. A new layout is a new profile, registered with
``profile_register``, never an edit of the writer.

The export holds full ID numbers: only roles with ``OrgPerm.EXPORT_DATA`` may export or download
it, and every export and every download is written to the audit trail (never the numbers).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organization, User
from accounts.permissions import has_org_perm, require
from accounts.roles import OrgPerm
from audit.events import EventType
from audit.history import bulk_update_audited, save_tracked
from audit.services import audit_append
from certify.errors import ImportRejected
from certify.models import Certificate, ExportBatch
from certify.services.payload import EMPTY_WORK_TYPE, id_number_of
from lib import numbering
from lib.excel import Column, ParsedTable, RowError, read_table, write_table

U = Certificate.UploadStatus
NEW, UPDATE = "new", "update"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the profile ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportRecord:
    """One certificate's facts for the upload file, as stored, before a profile's code tables."""

    plan_number: str
    holder_name: str
    id_type: str  # Person.IdType value
    id_number: str
    sex: str  # Person.Sex value (GB/T 2261.1 digits)
    birth_date: dt.date | None
    education: str  # Enrolment.Education value, "" when not given
    occupation_code: str
    occupation_name: str
    work_type_name: str
    level: int
    theory: Decimal | None
    practical: Decimal | None
    review: Decimal | None
    outcome: str  # Result.Outcome value
    exam_date: dt.date
    number: str
    issue_date: dt.date
    organization_name: str
    filing_number: str
    action: str = NEW  # NEW, or UPDATE of a number the province already holds


@dataclass(frozen=True)
class ExportColumn:
    """One column: the record field it shows, its header, and the code table applied (if any)."""

    field: str
    header: str
    codes: str = ""

    def __post_init__(self) -> None:
        if self.field not in {f.name for f in dataclasses.fields(ExportRecord)}:
            raise ValueError(f"unknown export field {self.field!r}")


class UnmappedCode(Exception):
    """A stored value the profile's code table has no code for: sending it blank would be wrong."""

    def __init__(self, header: str, value: str):
        super().__init__(f"{header}: {value!r}")
        self.header, self.value = header, value


def _frozen(tables: Mapping[str, Mapping[str, str]]) -> Mapping[str, Mapping[str, str]]:
    return MappingProxyType({name: MappingProxyType(dict(table)) for name, table in tables.items()})


@dataclass(frozen=True, eq=False)  # compared by identity: its code tables are read-only mappings
class ExportProfile:
    """An upload file layout. ``date_format`` is a strftime pattern (dates go out as text), or
    ``None`` for real Excel dates."""

    name: str
    label: Any  # shown to clerks (a lazy translation); headers and codes are never translated
    columns: tuple[ExportColumn, ...]
    code_tables: Mapping[str, Mapping[str, str]]
    date_format: str | None = "%Y-%m-%d"
    empty_work_type: str = EMPTY_WORK_TYPE
    sheet_title: str = "证书信息"
    description: Any = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "code_tables", _frozen(self.code_tables))
        missing = {c.codes for c in self.columns if c.codes} - set(self.code_tables)
        if missing:
            raise ValueError(f"profile {self.name!r} lacks code tables {sorted(missing)}")

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def row(self, record: ExportRecord) -> list[Any]:
        """The cells of one record; raises ``UnmappedCode`` for a value without a code."""
        return [self._cell(column, getattr(record, column.field)) for column in self.columns]

    def _cell(self, column: ExportColumn, value: Any) -> Any:
        if column.field == "work_type_name" and value in ("", None, EMPTY_WORK_TYPE):
            return self.empty_work_type
        if column.codes:
            return self._code(column, value)
        if isinstance(value, dt.date):
            return value.strftime(self.date_format) if self.date_format else value
        if value is None or isinstance(value, Decimal):
            return value
        return str(value)

    def _code(self, column: ExportColumn, value: Any) -> str:
        text = "" if value is None else str(value)
        table = self.code_tables[column.codes]
        if text in table:
            return table[text]
        if text == "":  # not given (e.g. 文化程度 left empty): stays empty rather than guessed
            return ""
        raise UnmappedCode(column.header, text)


# Codes seen in the national systems (domain.md §10). 性别 GB/T 2261.1 — never 0/1 for male/female.
SEX_CODES = {"1": "1", "2": "2", "0": "0", "9": "9"}
# The old national software knows 1 身份证, 5 护照, 21 其它; the other types have no published code
# there, so they go out as 其它 until the province names one (a profile can map them).
ID_TYPE_CODES = {
    "resident_id": "1",
    "passport": "5",
    "hkmotw_residence": "21",
    "hkmo_permit": "21",
    "tw_permit": "21",
    "foreign_pr": "21",
    "other": "21",
}
# GB/T 4658-2006 学历代码. Enrolment.Education stores 45 for 技工学校, which in GB/T 4658-2006 is
# 职业高中结业; 技工学校毕业 is 47, so the upload sends 47.
EDUCATION_CODES = {"10": "10", "20": "20", "30": "30", "40": "40", "47": "47", "60": "60", "70": "70"}
LEVEL_CODES = {str(level): str(level) for level in numbering.LEVELS}
RESULT_CODES = {"pass": "1", "fail": "2"}
ACTION_CODES = {NEW: "新增", UPDATE: "更新"}

DEFAULT_PROFILE = ExportProfile(
    name="default",
    label=gettext_lazy("通用上报格式（按表头名称匹配）"),
    description=gettext_lazy(
        "评价计划编号、姓名、证件、成绩、证书编号等 21 列；性别按 GB/T 2261.1，证件类型按原国家鉴定软件代码，"
        "文化程度按 GB/T 4658，日期为 2026-11-25 形式的文本，更正过的证书标为“更新”。"
    ),
    columns=(
        ExportColumn("plan_number", "评价计划编号"),
        ExportColumn("holder_name", "姓名"),
        ExportColumn("id_type", "证件类型", codes="id_type"),
        ExportColumn("id_number", "证件号码"),
        ExportColumn("sex", "性别", codes="sex"),
        ExportColumn("birth_date", "出生日期"),
        ExportColumn("education", "文化程度", codes="education"),
        ExportColumn("occupation_code", "职业编码"),
        ExportColumn("occupation_name", "职业名称"),
        ExportColumn("work_type_name", "工种/职业方向"),
        ExportColumn("level", "职业技能等级", codes="level"),
        ExportColumn("theory", "理论知识成绩"),
        ExportColumn("practical", "操作技能成绩"),
        ExportColumn("review", "综合评审成绩"),
        ExportColumn("outcome", "评定结果", codes="result"),
        ExportColumn("exam_date", "考核日期"),
        ExportColumn("number", "证书编号"),
        ExportColumn("issue_date", "发证日期"),
        ExportColumn("organization_name", "评价机构名称"),
        ExportColumn("filing_number", "备案编号"),
        ExportColumn("action", "上报类型", codes="action"),
    ),
    code_tables={
        "sex": SEX_CODES,
        "id_type": ID_TYPE_CODES,
        "education": EDUCATION_CODES,
        "level": LEVEL_CODES,
        "result": RESULT_CODES,
        "action": ACTION_CODES,
    },
)

EXPORT_PROFILES: dict[str, ExportProfile] = {DEFAULT_PROFILE.name: DEFAULT_PROFILE}


def profile_register(profile: ExportProfile) -> ExportProfile:
    """Make a profile selectable by name (call from an AppConfig.ready or a settings hook)."""
    EXPORT_PROFILES[profile.name] = profile
    return profile


def profile_get(name: str) -> ExportProfile:
    try:
        return EXPORT_PROFILES[name or DEFAULT_PROFILE.name]
    except KeyError:
        raise ValidationError({"profile": _("未知的导出格式「%(name)s」，请重新选择") % {"name": name}}) from None


def profile_choices() -> list[tuple[str, str]]:
    return [(p.name, p.label) for p in EXPORT_PROFILES.values()]


# --- who may, and what goes out -----------------------------------------------------------------
def can_export(user, organization: Organization) -> bool:
    """Full ID numbers leave the system: only roles holding EXPORT_DATA."""
    return has_org_perm(user, OrgPerm.EXPORT_DATA, organization)


def _current(organization: Organization) -> QuerySet[Certificate]:
    # A revoked certificate is no longer one to report as issued; a replaced one has a newer version.
    return Certificate.objects.filter(organization=organization).exclude(
        status__in=[Certificate.Status.REPLACED, Certificate.Status.REVOKED]
    )


def export_candidates(organization: Organization, *, only_rejected: bool = False) -> QuerySet[Certificate]:
    """Current versions waiting to go out. ``only_rejected``: those the province sent back — the
    rejected version itself, or its correction (a newer version of a rejected number)."""
    qs = _current(organization)
    if not only_rejected:
        return qs.filter(upload_status=U.PENDING)
    earlier_rejected = Certificate.objects.filter(
        organization=organization, number=OuterRef("number"), version__lt=OuterRef("version"), upload_status=U.REJECTED
    )
    return qs.filter(Q(upload_status=U.REJECTED) | (Q(upload_status=U.PENDING) & Exists(earlier_rejected)))


def upload_counts(organization: Organization) -> dict[str, int]:
    """Current certificates per upload status, and how many rejected ones are ready to resend."""
    counts = dict.fromkeys(U.values, 0)
    for row in _current(organization).order_by().values("upload_status").annotate(n=Count("pk")):
        counts[row["upload_status"]] = row["n"]
    counts["rejected_ready"] = export_candidates(organization, only_rejected=True).count()
    return counts


def awaiting_result(organization: Organization) -> QuerySet[Certificate]:
    """Every version exported and still without the province's answer (a replaced one too)."""
    return Certificate.objects.filter(organization=organization, upload_status=U.EXPORTED).order_by(
        "exported_at", "number", "version"
    )


def rejected_current(organization: Organization) -> QuerySet[Certificate]:
    return _current(organization).filter(upload_status=U.REJECTED).order_by("number")


def _accepted_numbers(organization: Organization, certificates: list[Certificate]) -> set[str]:
    """Numbers the province already holds through another version: these go out as updates."""
    return set(
        Certificate.objects.filter(
            organization=organization, number__in={c.number for c in certificates}, upload_status=U.ACCEPTED
        )
        .exclude(pk__in=[c.pk for c in certificates])
        .values_list("number", flat=True)
    )


def export_record(certificate: Certificate, *, action: str = NEW) -> ExportRecord:
    """The upload facts of one certificate: the signed snapshot for printed fields, the person
    and the application for the rest."""
    person, enrolment, plan = certificate.person, certificate.enrolment, certificate.plan
    result = getattr(enrolment, "result", None)
    return ExportRecord(
        plan_number=plan.number,
        holder_name=certificate.holder_name,
        id_type=person.id_type,
        id_number=id_number_of(person),
        sex=person.sex,
        birth_date=person.birth_date,
        education=enrolment.education,
        occupation_code=certificate.occupation_code,
        occupation_name=certificate.occupation_name,
        work_type_name=certificate.work_type_name,
        level=certificate.level,
        theory=result.theory if result else None,
        practical=result.practical if result else None,
        review=result.review if result else None,
        outcome=result.outcome if result else "",
        exam_date=plan.exam_date,
        number=certificate.number,
        issue_date=certificate.issue_date,
        organization_name=certificate.organization_name,
        filing_number=plan.filing.number if plan.filing_id else "",
        action=action,
    )


def export_rows(profile: ExportProfile, certificates: Iterable[Certificate], updates: set[str]) -> list[list]:
    """Every row, or a ValidationError naming each certificate whose value has no code."""
    rows, problems = [], []
    for certificate in certificates:
        record = export_record(certificate, action=UPDATE if certificate.number in updates else NEW)
        try:
            rows.append(profile.row(record))
        except UnmappedCode as exc:
            problems.append(
                _("证书 %(n)s：「%(h)s」的值「%(v)s」在导出格式「%(p)s」中没有对应代码，请联系管理员补充代码表")
                % {"n": certificate.number, "h": exc.header, "v": exc.value, "p": profile.label}
            )
    if problems:
        raise ValidationError(problems)
    return rows


def _pick(organization: Organization, *, only_rejected: bool, certificate_ids) -> list[int]:
    """Lock what goes out. A second export running at the same time waits, then finds these no
    longer pending."""
    qs = export_candidates(organization, only_rejected=only_rejected)
    ids = list(qs.select_for_update().values_list("pk", flat=True))
    if certificate_ids is not None:
        wanted = {int(pk) for pk in certificate_ids}
        ids = [pk for pk in ids if pk in wanted]
        if len(ids) != len(wanted):
            raise ValidationError(
                _("所选证书中有 %(n)d 张不在待上报之列（可能已导出、已撤销或已更正），请刷新页面后重新选择")
                % {"n": len(wanted) - len(ids)}
            )
    if not ids:
        if only_rejected:
            raise ValidationError(_("没有需要重新上报的被退回证书。请先按退回原因更正证书，再重新导出。"))
        raise ValidationError(_("没有待上报的证书：新核发或更正的证书会自动列入待上报。"))
    return ids


def _export_name(organization: Organization, profile: ExportProfile, only_rejected: bool) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    kind = "resend" if only_rejected else "upload"
    return f"{organization.pk}-{kind}-{profile.name}-{stamp}.xlsx"


def _mark(certificates: list[Certificate], *, actor: User, fields: list[str], reason: str) -> None:
    """One UPDATE for the lot, with a history row per certificate bound into the next event."""
    bulk_update_audited(Certificate, certificates, fields, actor=actor, reason=reason)


@transaction.atomic
def certificates_export(
    *,
    actor: User,
    organization: Organization,
    profile: str = DEFAULT_PROFILE.name,
    only_rejected: bool = False,
    certificate_ids: Iterable[int] | None = None,
) -> ExportBatch:
    """Write the upload file of what is waiting (or only what came back rejected), store it, mark
    those certificates exported, and record one event. Nothing waiting is a ValidationError."""
    require(can_export(actor, organization), _("您没有导出本机构上报数据的权限"))
    chosen = profile_get(profile)
    ids = _pick(organization, only_rejected=only_rejected, certificate_ids=certificate_ids)
    certificates = list(
        Certificate.objects.filter(pk__in=ids)
        .select_related("person", "enrolment__result", "plan__filing")
        .order_by("plan__number", "number", "version")
    )
    updates = _accepted_numbers(organization, certificates)
    data = write_table(sheets=[(chosen.sheet_title, chosen.headers, export_rows(chosen, certificates, updates))])
    digest = hashlib.sha256(data).hexdigest()
    batch = ExportBatch(
        organization=organization,
        profile=chosen.name,
        sha256=digest,
        certificate_count=len(certificates),
        only_rejected=only_rejected,
        created_by=actor,
    )
    batch.file.save(_export_name(organization, chosen, only_rejected), ContentFile(data), save=False)
    try:
        save_tracked(batch, actor=actor)
        now = timezone.now()
        for certificate in certificates:
            certificate.upload_status, certificate.exported_at, certificate.upload_note = U.EXPORTED, now, ""
        _mark(certificates, actor=actor, fields=["upload_status", "exported_at", "upload_note"], reason=_("导出上报"))
        update_count = sum(1 for c in certificates if c.number in updates)
        audit_append(
            actor=actor,
            event_type=EventType.CERTIFICATES_EXPORTED,
            target=batch,
            organization=organization,
            data={
                "export": batch.pk,
                "profile": chosen.name,
                "only_rejected": only_rejected,
                "certificates": len(certificates),
                "new": len(certificates) - update_count,
                "updates": update_count,
                "sha256": digest,
                "bytes": len(data),
                "file": batch.file.name,
            },
        )
    except BaseException:
        batch.file.delete(save=False)  # the rows roll back; the file must not outlive them
        raise
    return batch


# --- the province's answer ------------------------------------------------------------------------
def _result_problem(certificate: Certificate, *, accepted: bool, note: str) -> tuple[str, str] | None:
    """(field, message) when this result cannot be recorded."""
    if certificate.upload_status != U.EXPORTED:
        return "", _("证书 %(n)s 当前为「%(s)s」，只有已导出的证书可以登记上报结果") % {
            "n": certificate.number,
            "s": certificate.get_upload_status_display(),
        }
    if not accepted and not note:
        return "note", _("被退回的证书须填写退回原因，以便更正后重新上报")
    return None


def _apply_result(certificate: Certificate, *, accepted: bool, note: str) -> tuple[str, str]:
    old = certificate.upload_status
    certificate.upload_status = U.ACCEPTED if accepted else U.REJECTED
    certificate.upload_note = note
    return old, certificate.upload_status


@transaction.atomic
def upload_result_record(*, actor: User, certificate: Certificate, accepted: bool, note: str = "") -> Certificate:
    """The province accepted (接收) or rejected (退回, with its reason) one exported certificate."""
    certificate = (
        Certificate.objects.select_for_update(of=("self",)).select_related("organization").get(pk=certificate.pk)
    )
    require(can_export(actor, certificate.organization), _("您没有登记本机构上报结果的权限"))
    note = (note or "").strip()
    problem = _result_problem(certificate, accepted=accepted, note=note)
    if problem:
        field_name, message = problem
        raise ValidationError({field_name: message} if field_name else message)
    old, new = _apply_result(certificate, accepted=accepted, note=note)
    save_tracked(certificate, actor=actor, reason=note, fields=["upload_status", "upload_note"])
    audit_append(
        actor=actor,
        event_type=EventType.CERTIFICATE_UPLOAD_STATUS,
        target=certificate,
        organization=certificate.organization,
        data={"number": certificate.number, "version": certificate.version, "changes": {"upload_status": [old, new]}},
        reason=note,
    )
    return certificate


FEEDBACK_COLUMNS = [
    Column("number", "证书编号", aliases=("证书号", "证书号码"), max_length=40),
    Column(
        "result",
        "结果",
        aliases=("上报结果", "处理结果", "审核结果", "校验结果"),
        kind="choice",
        choices={
            "接收": U.ACCEPTED,
            "已接收": U.ACCEPTED,
            "通过": U.ACCEPTED,
            "成功": U.ACCEPTED,
            "退回": U.REJECTED,
            "被退回": U.REJECTED,
            "已退回": U.REJECTED,
            "不通过": U.REJECTED,
            "失败": U.REJECTED,
        },
    ),
    Column("note", "退回原因", aliases=("原因", "失败原因", "退回说明"), required=False, max_length=500),
]


@dataclass
class FeedbackResult:
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    numbers: list[str] = field(default_factory=list)


def _feedback_matches(organization: Organization, table: ParsedTable) -> list[tuple[Certificate, dict]]:
    """Each row's certificate (the newest exported version of its number), or row errors on the
    table. Runs inside the transaction: the certificates stay locked until the answers are written."""
    numbers = {numbering.normalise_number(row["number"]) for _n, row in table.rows}
    by_number: dict[str, list[Certificate]] = {}
    for certificate in (
        Certificate.objects.select_for_update()
        .filter(organization=organization, number__in=numbers)
        .order_by("-version")
    ):
        by_number.setdefault(certificate.number, []).append(certificate)
    seen: dict[str, int] = {}
    matched = []
    for row_number, row in table.rows:
        number = numbering.normalise_number(row["number"])
        note = (row.get("note") or "").strip()
        if number in seen:
            table.add_error(row_number, "证书编号", _("与第 %(row)d 行重复，每张证书只填一行") % {"row": seen[number]})
            continue
        seen[number] = row_number
        versions = by_number.get(number)
        if not versions:
            table.add_error(row_number, "证书编号", _("本机构没有证书编号为 %(n)s 的证书，请核对") % {"n": number})
            continue
        certificate = next((c for c in versions if c.upload_status == U.EXPORTED), versions[0])
        problem = _result_problem(certificate, accepted=row["result"] == U.ACCEPTED, note=note)
        if problem:
            table.add_error(row_number, "退回原因" if problem[0] else "证书编号", problem[1])
            continue
        matched.append((certificate, {"accepted": row["result"] == U.ACCEPTED, "note": note}))
    return matched


def upload_feedback_import(*, actor: User, organization: Organization, file, filename: str = "") -> FeedbackResult:
    """The province's answer file (证书编号, 结果 接收/退回, 退回原因). All or nothing: any bad row
    raises ImportRejected listing every problem, and nothing is written. One event for the file."""
    require(can_export(actor, organization), _("您没有登记本机构上报结果的权限"))
    content = file.read() if hasattr(file, "read") else Path(file).read_bytes()
    name = filename or str(getattr(file, "name", "") or "")
    table = read_table(io.BytesIO(content), columns=FEEDBACK_COLUMNS, filename=name)
    if any(error.row <= 0 for error in table.errors):  # the file itself is unreadable: rows say nothing
        raise ImportRejected(table.errors)
    if table.ok and not table.rows:
        raise ImportRejected([RowError(0, "", _("文件中没有数据行，请核对后重新上传"))])
    # Rows that parsed are checked against the certificates too, so the clerk sees every problem at once.
    return _feedback_apply(actor=actor, organization=organization, table=table, filename=name, content=content)


@transaction.atomic
def _feedback_apply(
    *, actor: User, organization: Organization, table: ParsedTable, filename: str, content: bytes
) -> FeedbackResult:
    matched = _feedback_matches(organization, table)
    if not table.ok:
        raise ImportRejected(sorted(table.errors, key=lambda e: e.row))
    result = FeedbackResult(rows=len(matched))
    for certificate, answer in matched:
        _apply_result(certificate, accepted=answer["accepted"], note=answer["note"])
        certificate._change_reason = answer["note"] or None  # the province's reason, in the history row
        if answer["accepted"]:
            result.accepted += 1
        else:
            result.rejected += 1
        result.numbers.append(certificate.number)
    _mark([c for c, _a in matched], actor=actor, fields=["upload_status", "upload_note"], reason=_("导入上报结果反馈"))
    audit_append(
        actor=actor,
        event_type=EventType.CERTIFICATE_UPLOAD_STATUS,
        target=("certify.certificate", "feedback", _("上报结果反馈文件 %(f)s") % {"f": filename}),
        organization=organization,
        data={
            "filename": filename,
            "sha256": hashlib.sha256(content).hexdigest(),
            "rows": result.rows,
            "accepted": result.accepted,
            "rejected": result.rejected,
        },
    )
    return result


def export_download_record(*, actor: User, batch: ExportBatch) -> None:
    """A download of an export puts full ID numbers in someone's hands: log who, like any look."""
    require(can_export(actor, batch.organization), _("您没有下载本机构上报数据的权限"))
    with transaction.atomic():
        audit_append(
            actor=actor,
            event_type=EventType.PERSONAL_DATA_VIEWED,
            target=batch,
            organization=batch.organization,
            data={
                "field": "export_file",
                "export": batch.pk,
                "certificates": batch.certificate_count,
                "sha256": batch.sha256,
            },
        )
