"""Signed checkpoints, from the database and from a downloaded file, against the chain as it is now."""

from __future__ import annotations

from django.utils.translation import gettext as _

from audit.checkpoints import CheckpointFile, audit_public_keys, signature_valid
from audit.models import AuditCheckpoint, AuditEvent
from audit.verify.report import Damage, Problem, VerifyReport, chunks
from lib.chain import jsonable


def check_checkpoints(report: VerifyReport, *, checkpoints_file: CheckpointFile | None) -> None:
    keys = audit_public_keys()
    last_good = 0
    for chunk in chunks(AuditCheckpoint.objects.order_by("seq").iterator(chunk_size=1000), 1000):
        hashes = event_hashes([cp.seq for cp in chunk])
        for cp in chunk:
            report.checkpoints += 1
            if not signature_valid(
                public_key=keys.get(cp.key_id),
                seq=cp.seq,
                hash=cp.hash,
                created_at=cp.created_at,
                signature=cp.signature,
            ):
                report.add(
                    Problem(
                        Damage.CHECKPOINT_INVALID,
                        cp.seq,
                        _("数据库中的检查点 #%(seq)d 无法用审计公钥验证签名：检查点被伪造或改动。") % {"seq": cp.seq},
                    )
                )
                continue
            if _against_chain(report, seq=cp.seq, hash=cp.hash, hashes=hashes, since=last_good):
                last_good = cp.seq
    if checkpoints_file is not None:
        _check_file(report, checkpoints_file, keys)


def _check_file(report: VerifyReport, checkpoints_file: CheckpointFile, keys: dict[str, str]) -> None:
    last_good = 0
    entries = sorted(checkpoints_file.entries, key=lambda e: e["seq"])
    for kid in sorted({e["key_id"] for e in entries} & set(checkpoints_file.keys) - set(keys)):
        report.notes.append(_("文件中的密钥 %(kid)s 不在本系统的审计密钥清单中，仅按文件所附公钥验证。") % {"kid": kid})
    for chunk in chunks(entries, 1000):
        seqs = [e["seq"] for e in chunk]
        stored = {cp.seq: cp for cp in AuditCheckpoint.objects.filter(seq__in=seqs)}
        hashes = event_hashes(seqs)
        for entry in chunk:
            report.file_checkpoints += 1
            seq, kid = entry["seq"], entry["key_id"]
            file_key, local_key = checkpoints_file.keys.get(kid), keys.get(kid)
            if file_key and local_key and file_key != local_key:
                reason = _("文件中密钥 %(kid)s 的公钥与本系统的审计公钥不一致。") % {"kid": kid}
                report.add(Problem(Damage.CHECKPOINT_INVALID, seq, reason))
                continue
            if not signature_valid(public_key=file_key or local_key, **{k: entry[k] for k in _SIGNED}):
                reason = _("下载文件中的检查点 #%(seq)d 签名无效：文件被改动，或不是本系统签发。") % {"seq": seq}
                report.add(Problem(Damage.CHECKPOINT_INVALID, seq, reason))
                continue
            row = stored.get(seq)
            if row is None:
                reason = _("下载文件中的检查点 #%(seq)d 在数据库中已不存在。") % {"seq": seq}
                report.add(Problem(Damage.CHECKPOINT_TAMPERED, seq, reason))
            elif (row.hash, row.key_id, row.signature, jsonable(row.created_at)) != (
                entry["hash"],
                kid,
                entry["signature"],
                entry["created_at"],
            ):
                reason = _("数据库中的检查点 #%(seq)d 与下载文件不一致。") % {"seq": seq}
                report.add(Problem(Damage.CHECKPOINT_TAMPERED, seq, reason))
            if _against_chain(report, seq=seq, hash=entry["hash"], hashes=hashes, since=last_good):
                last_good = seq


_SIGNED = ("seq", "hash", "created_at", "signature")


def event_hashes(seqs: list[int]) -> dict[int, str]:
    return dict(AuditEvent.objects.filter(seq__in=seqs).values_list("seq", "hash"))


def _against_chain(report: VerifyReport, *, seq: int, hash: str, hashes: dict[int, str], since: int) -> bool:
    actual = hashes.get(seq)
    if actual is None:
        first_missing = report.last_seq + 1 if report.chain_complete and seq > report.last_seq else seq
        report.add(
            Problem(
                Damage.EVENT_DELETED,
                first_missing,
                _("检查点 #%(seq)d 证明审计链曾有第 %(seq)d 号事件，现在该事件已不存在。") % {"seq": seq},
            )
        )
        return False
    if actual != hash:
        report.add(
            Problem(
                Damage.CHAIN_REWRITTEN,
                seq,
                _(
                    "检查点 #%(seq)d 签名的哈希与现存第 %(seq)d 号事件不符：第 %(since)d 至 %(seq)d 号之间的"
                    "事件被改写后重新计算了哈希（检查点之后的改写无法由链内哈希发现）。"
                )
                % {"seq": seq, "since": since + 1},
            )
        )
        return False
    return True
