"""Signed checkpoints of the audit chain head, and the JSON Lines file the bureau keeps offline.

Coverage rule: a checkpoint covers the chain up to AND INCLUDING its own ``audit.checkpoint``
event. ``checkpoint_create`` appends that event first, then signs the event's own ``seq``,
``hash`` and ``created_at``; so the checkpoint row always names an ``audit.checkpoint`` event and
the verifier compares the two directly. "Nothing new since the last checkpoint" is then simply
``chain head == last checkpoint``.

Signed bytes: canonical JSON (keys sorted, no white space, UTF-8) of
``{"created_at": …, "hash": …, "seq": …}`` with ``created_at`` in UTC, ISO 8601, microseconds
(``2026-11-25T02:00:00.123456+00:00``); Ed25519 with the audit key ring (``certify.signing``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.events import EventType
from audit.keys import audit_keyring
from audit.models import AuditCheckpoint, ChainHead
from audit.services import audit_append
from lib.chain import canonical_json, jsonable
from lib.keyring import ALG, b64url_decode

FILE_FORMAT = "skillcert.audit_checkpoints"
FILE_VERSION = 1
CONTENT_TYPE = "application/jsonl; charset=utf-8"

SIGNED_PAYLOAD_RECIPE = (
    "Ed25519 signature (base64url, no padding) over the UTF-8 bytes of the canonical JSON object "
    '{"created_at","hash","seq"}: keys sorted, no white space, created_at in UTC ISO 8601 with '
    "microseconds. The checkpoint covers the audit chain up to and including the audit.checkpoint "
    "event at seq; hash is that event's chain hash SHA-256(prev_hash + '|' + canonical JSON of the event)."
)


class CheckpointFileError(ValueError):
    """A checkpoints file that cannot be read; the message says what is wrong and what to do."""


def checkpoint_payload(*, seq: int, hash: str, created_at: dt.datetime | str) -> bytes:
    """The exact bytes a checkpoint signature covers."""
    stamp = created_at if isinstance(created_at, str) else jsonable(created_at)
    return canonical_json({"created_at": stamp, "hash": hash, "seq": int(seq)}).encode("utf-8")


# --- making checkpoints --------------------------------------------------------------------------


def checkpoint_create(*, actor) -> AuditCheckpoint | None:
    """Sign the chain head; ``None`` when nothing was appended since the last checkpoint.

    Writes one ``audit.checkpoint`` event, and the checkpoint covers that event (see the module
    docstring). Safe to run twice or concurrently: the chain head lock serialises the runs and the
    second one finds nothing new.
    """
    ring = audit_keyring()
    ring.ensure_active()  # the first checkpoint creates the ring's first key, like the first certificate
    with transaction.atomic():
        head = ChainHead.objects.select_for_update(of=("self",)).filter(pk=1).first()
        last = AuditCheckpoint.objects.order_by("-seq").first()
        if head is not None and last is not None and head.seq == last.seq:
            return None
        expected = (head.seq if head is not None else _newest_seq()) + 1
        event = audit_append(
            actor=actor,
            event_type=EventType.AUDIT_CHECKPOINT,
            target=("audit.auditcheckpoint", expected, _("审计检查点 #%(seq)s") % {"seq": expected}),
            data={"previous_checkpoint_seq": last.seq if last else None, "covers_this_event": True},
        )
        kid, signature = ring.sign(checkpoint_payload(seq=event.seq, hash=event.hash, created_at=event.created_at))
        checkpoint = AuditCheckpoint(
            seq=event.seq,
            hash=event.hash,
            created_at=event.created_at,
            key_id=kid,
            signature=signature,
            made_by=event.actor_repr,
        )
        checkpoint.save()
    return checkpoint


def _newest_seq() -> int:
    from audit.models import AuditEvent

    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def signature_valid(*, public_key: str | None, seq: int, hash: str, created_at, signature: str) -> bool:
    """Check one checkpoint's signature with a public key (base64url of the raw 32 bytes); never raises."""
    if not public_key or not isinstance(signature, str):
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(b64url_decode(public_key))
        key.verify(b64url_decode(signature), checkpoint_payload(seq=seq, hash=hash, created_at=created_at))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def audit_public_keys() -> dict[str, str]:
    """kid → public key of the audit ring (active and retired keys: both still verify)."""
    return {key["kid"]: key["public_key"] for key in audit_keyring().public_keys()}


def checkpoint_signature_ok(checkpoint: AuditCheckpoint, *, keys: dict[str, str] | None = None) -> bool:
    keys = audit_public_keys() if keys is None else keys
    return signature_valid(
        public_key=keys.get(checkpoint.key_id),
        seq=checkpoint.seq,
        hash=checkpoint.hash,
        created_at=checkpoint.created_at,
        signature=checkpoint.signature,
    )


# --- the downloaded file -------------------------------------------------------------------------


def checkpoint_line(checkpoint: AuditCheckpoint) -> dict:
    return {
        "type": "checkpoint",
        "seq": checkpoint.seq,
        "hash": checkpoint.hash,
        "created_at": jsonable(checkpoint.created_at),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
        "made_by": checkpoint.made_by,
    }


def checkpoints_export(*, actor, chunk_size: int = 1000) -> tuple[str, Iterator[str]]:
    """``(filename, lines)``: every checkpoint as JSON Lines, after one audited download event.

    The first line describes the file (format, recipe, the audit ring's public keys), so it can be
    checked offline with nothing but an Ed25519 library. The export stops at the newest checkpoint
    that existed when it started, so the count in the header is exact.
    """
    newest = AuditCheckpoint.objects.order_by("-seq").values_list("seq", flat=True).first()
    count = AuditCheckpoint.objects.filter(seq__lte=newest or 0).count()
    with transaction.atomic():
        audit_append(
            actor=actor,
            event_type=EventType.AUDIT_CHECKPOINTS_DOWNLOADED,
            target=("audit.auditcheckpoint", newest or 0, _("审计检查点（共 %(n)d 个）") % {"n": count}),
            data={"count": count, "newest_seq": newest},
        )
    now = timezone.now()
    header = {
        "type": "header",
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "exported_at": jsonable(now),
        "exported_by": str(actor),
        "site": getattr(settings, "SITE_URL", ""),
        "count": count,
        "newest_seq": newest,
        "alg": ALG,
        "signed_payload": SIGNED_PAYLOAD_RECIPE,
        "keys": audit_keyring().public_keys(),
    }
    filename = f"audit-checkpoints-{timezone.localtime(now):%Y%m%d-%H%M%S}.jsonl"
    return filename, _lines(header, newest, chunk_size)


def _lines(header: dict, newest: int | None, chunk_size: int) -> Iterator[str]:
    yield canonical_json(header) + "\n"
    if newest is None:
        return
    rows = AuditCheckpoint.objects.filter(seq__lte=newest).order_by("seq").iterator(chunk_size=chunk_size)
    for checkpoint in rows:
        yield canonical_json(checkpoint_line(checkpoint)) + "\n"


@dataclass
class CheckpointFile:
    header: dict
    keys: dict[str, str]  # kid → public key (base64url of the raw 32 bytes)
    entries: list[dict] = field(default_factory=list)


def checkpoints_file_read(lines: Iterable[str | bytes]) -> CheckpointFile:
    """Parse a downloaded checkpoints file; raises ``CheckpointFileError`` with a clerk-readable reason."""
    header: dict | None = None
    entries: list[dict] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        try:
            item = json.loads(text)
        except ValueError as exc:
            raise CheckpointFileError(
                _("检查点文件第 %(n)d 行不是有效的 JSON，请重新从系统下载该文件。") % {"n": number}
            ) from exc
        if header is None:
            if not isinstance(item, dict) or item.get("format") != FILE_FORMAT:
                raise CheckpointFileError(_("这不是本系统导出的审计检查点文件（首行说明缺失或格式不符）。"))
            if item.get("version") != FILE_VERSION:
                raise CheckpointFileError(
                    _("检查点文件版本 %(v)s 无法识别，请使用本系统当前版本重新下载。") % {"v": item.get("version")}
                )
            header = item
            continue
        entries.append(_entry(item, number))
    if header is None:
        raise CheckpointFileError(_("检查点文件是空的，请重新从系统下载该文件。"))
    keys = {}
    for key in header.get("keys") or []:
        if isinstance(key, dict) and isinstance(key.get("kid"), str) and isinstance(key.get("public_key"), str):
            keys[key["kid"]] = key["public_key"]
    return CheckpointFile(header=header, keys=keys, entries=entries)


def _entry(item, number: int) -> dict:
    fields = {"seq": int, "hash": str, "created_at": str, "key_id": str, "signature": str}
    if not isinstance(item, dict) or item.get("type") != "checkpoint":
        raise CheckpointFileError(_("检查点文件第 %(n)d 行不是检查点记录。") % {"n": number})
    for name, kind in fields.items():
        if not isinstance(item.get(name), kind) or isinstance(item.get(name), bool):
            raise CheckpointFileError(
                _("检查点文件第 %(n)d 行缺少字段 %(field)s 或类型不对。") % {"n": number, "field": name}
            )
    return item
