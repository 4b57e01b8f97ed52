"""The province's answers to an upload: 接收, or 退回 with a reason — one certificate at a time, or
from the feedback file the provincial system returns."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.permissions import require
from audit.events import EventType
from audit.history import bulk_update_audited, save_tracked
from audit.services import audit_append
from certify.errors import ImportRejected
from certify.models import Certificate
from certify.permissions import UPLOAD_RESULTS_REFUSED, can_export
from lib import numbering
from lib.excel import Column, ParsedTable, RowError, read_table

U = Certificate.UploadStatus


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
    require(can_export(actor, certificate.organization), UPLOAD_RESULTS_REFUSED)
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
    require(can_export(actor, organization), UPLOAD_RESULTS_REFUSED)
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
    bulk_update_audited(
        Certificate,
        [c for c, _a in matched],
        ["upload_status", "upload_note"],
        actor=actor,
        reason=_("导入上报结果反馈"),
    )
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
