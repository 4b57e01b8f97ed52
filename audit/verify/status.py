"""The cheap summary pages show: the chain head, the newest checkpoint and the last full verification."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.checkpoints import audit_public_keys, signature_valid
from audit.models import AuditCheckpoint, AuditEvent, ChainHead
from audit.verify.checkpoints import event_hashes
from audit.verify.report import VerifyReport
from lib.chain import GENESIS_HASH, jsonable
from lib.files import atomic_write, private_dir

logger = logging.getLogger("audit.verify")


@dataclass
class ChainStatus:
    ok: bool | None  # None: no full verification on record and no problem seen by the cheap checks
    text: str
    head_seq: int = 0
    last_checkpoint_seq: int | None = None
    last_checkpoint_at: dt.datetime | None = None
    events_since_checkpoint: int = 0
    verified_at: dt.datetime | None = None
    verified_ok: bool | None = None
    problems: list[str] = field(default_factory=list)


def status_path() -> Path:
    return Path(settings.VAR_DIR) / "audit" / "last_verify.json"


def record_outcome(report: VerifyReport) -> None:
    first = report.first_problem
    summary = {
        "finished_at": jsonable(timezone.now()),
        "ok": report.ok,
        "events": report.events,
        "last_seq": report.last_seq,
        "problems": len(report.problems) + report.problems_not_listed,
        "first_problem": first.describe() if first else "",
        "first_kind": first.kind if first else "",
        "first_seq": first.seq if first else None,
        "seconds": round(report.seconds, 3),
    }
    path = status_path()
    try:
        private_dir(path.parent)
        atomic_write(path, json.dumps(summary, ensure_ascii=False).encode("utf-8"), mode=0o640)
    except OSError:
        logger.warning("could not record the verification result in %s", path, exc_info=True)


def last_verification() -> dict | None:
    try:
        return json.loads(status_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _local(stamp: dt.datetime | None) -> str:
    return timezone.localtime(stamp).strftime("%Y-%m-%d %H:%M") if stamp else ""


def chain_status() -> ChainStatus:
    """A summary for pages, without walking the chain.

    Cost: four indexed single-row queries (chain head, newest event, newest checkpoint, the event
    it signs), one read of the audit key manifest, one Ed25519 verification (≈0.1 ms) and one read
    of the small file the last ``audit_verify`` left: about a millisecond whatever the chain's size.
    It catches a deleted or appended newest event and a newest checkpoint that no longer matches;
    everything else is the last full verification's verdict, with its date.
    """
    head = ChainHead.objects.filter(pk=1).first()
    newest = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    status = ChainStatus(ok=None, text="", head_seq=head.seq if head else (newest[0] if newest else 0))
    if head is not None and (newest or (0, GENESIS_HASH)) != (head.seq, head.hash):
        status.problems.append(
            _("链头（第 %(h)d 号）与最新事件（第 %(n)d 号）不一致") % {"h": head.seq, "n": newest[0] if newest else 0}
        )
    checkpoint = AuditCheckpoint.objects.order_by("-seq").first()
    if checkpoint is not None:
        status.last_checkpoint_seq, status.last_checkpoint_at = checkpoint.seq, checkpoint.created_at
        status.events_since_checkpoint = max(status.head_seq - checkpoint.seq, 0)
        signed = signature_valid(
            public_key=audit_public_keys().get(checkpoint.key_id),
            seq=checkpoint.seq,
            hash=checkpoint.hash,
            created_at=checkpoint.created_at,
            signature=checkpoint.signature,
        )
        if not signed:
            status.problems.append(_("最新检查点 #%(seq)d 签名无效") % {"seq": checkpoint.seq})
        elif event_hashes([checkpoint.seq]).get(checkpoint.seq) != checkpoint.hash:
            status.problems.append(_("最新检查点 #%(seq)d 与第 %(seq)d 号事件不符") % {"seq": checkpoint.seq})
    last = last_verification()
    if last is not None:
        status.verified_ok = bool(last.get("ok"))
        status.verified_at = _parse_time(last.get("finished_at"))
    status.ok = False if status.problems or status.verified_ok is False else status.verified_ok
    status.text = _status_text(status, last)
    return status


def _parse_time(text) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


def _status_text(status: ChainStatus, last: dict | None) -> str:
    parts = []
    if status.problems:
        parts.append(_("发现问题：%(p)s，请通知系统管理员立即进行完整校验") % {"p": "；".join(status.problems)})
    if last is None:
        parts.append(_("尚未进行过完整校验（系统每晚自动校验一次）"))
    elif status.verified_ok:
        parts.append(
            _("最近一次完整校验于 %(at)s 完成，全部 %(n)s 条记录校验通过，未发现改动")
            % {"at": _local(status.verified_at), "n": f"{last.get('events', 0):,}"}
        )
    else:
        parts.append(
            _("最近一次完整校验（%(at)s）发现问题：%(first)s")
            % {"at": _local(status.verified_at), "first": last.get("first_problem", "")}
        )
    if status.last_checkpoint_seq is None:
        parts.append(_("尚无检查点"))
    else:
        parts.append(
            _("最新签名检查点 #%(seq)d（%(at)s），其后新增 %(n)d 条记录")
            % {
                "seq": status.last_checkpoint_seq,
                "at": _local(status.last_checkpoint_at),
                "n": status.events_since_checkpoint,
            }
        )
    return "；".join(parts) + "。"
