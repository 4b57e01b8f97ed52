"""Canonical JSON and the hash chain. Pure functions, no Django models.

An event's hash is ``SHA-256(prev_hash || "|" || canonical_json(payload))``. Canonical JSON is
UTF-8 with sorted keys and no insignificant whitespace, so the same payload always gives the
same bytes on every machine and database.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

GENESIS_HASH = "0" * 64
# Exact types returned as they are; checked first, by type, because hashing a history row or an
# event walks every value (the bulk generator and audit_verify hash millions of them).
_PLAIN = frozenset({str, int, bool, float, type(None)})


def jsonable(value: Any) -> Any:
    """Turn a value into plain JSON types in one fixed way (the stored form is the hashed form)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {str(k): v if type(v) in _PLAIN else jsonable(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _PLAIN else jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=canonical_json) if isinstance(value, set | frozenset) else items
    if hasattr(value, "name") and hasattr(value, "storage"):  # FieldFile
        return value.name or ""
    if hasattr(value, "value") and hasattr(value, "label"):  # TextChoices member
        return jsonable(value.value)
    return str(value)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def chain_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    body = canonical_json(jsonable(payload)).encode("utf-8")
    return hashlib.sha256(prev_hash.encode("ascii") + b"|" + body).hexdigest()


def record_hash(payload: Mapping[str, Any]) -> str:
    """Hash of one stand-alone record (a history row) bound into the chain by an event."""
    return hashlib.sha256(canonical_json(jsonable(payload)).encode("utf-8")).hexdigest()


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value changed."""
    changes: dict[str, list[Any]] = {}
    for key in sorted(set(old) | set(new)):
        before, after = jsonable(old.get(key)), jsonable(new.get(key))
        if before != after:
            changes[key] = [before, after]
    return changes
