"""What the Excel imports of a plan share: reading the upload, the row cap, choice lists with
the aliases clerks write, and the all-or-nothing refusal listing every bad row."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from django.conf import settings

from certify.errors import ImportRejected
from lib.excel import ParsedTable

H_NAME, H_ID_NUMBER = "姓名", "证件号码"


def max_rows() -> int:
    return settings.SKILLCERT_IMPORT_MAX_ROWS


def choices(enum: Any, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The enum's labels first (they head the drop-down lists), then the aliases clerks write."""
    return {**{str(label): value for value, label in enum.choices}, **(extra or {})}


def read_upload(file: Any, filename: str) -> tuple[bytes, str]:
    """(content, filename) of bytes, a path or an uploaded file."""
    if isinstance(file, bytes):
        return file, filename
    if isinstance(file, str | os.PathLike):
        return Path(file).read_bytes(), filename or str(file)
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read()
    return (data.encode("utf-8") if isinstance(data, str) else data), filename or str(getattr(file, "name", "") or "")


def rejected(table: ParsedTable) -> ImportRejected:
    return ImportRejected(sorted(table.errors, key=lambda e: e.row))


def message_error(table: ParsedTable, message: str) -> ImportRejected:
    table.add_error(0, "", message)
    return rejected(table)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
