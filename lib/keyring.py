"""Ed25519 key rings and the signed certificate payload. Pure module: no Django models.

A ring is a directory (mode 0700) holding:

- ``keys.json`` — the manifest: purpose and, per key, kid, public key, created_at, status. Public
  data only, so it can be published as it is.
- ``<kid>.pem`` — one private key each, PKCS8 PEM, unencrypted, mode 0600. Never printed, logged,
  stored in the database or committed.
- ``.lock`` — the ``flock`` target that serialises create/rotate between processes.

Every write goes to a temporary file in the same directory and is renamed into place, so a reader
sees the old file or the new one, never half of one. A private key is written before the manifest
that names it, so the manifest never points at a missing key.

Key ids are short for the QR code: purpose letter + ``yymm`` (Asia/Shanghai) + three random
characters, e.g. ``c2611k7q``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import logging
import re
import secrets
import threading
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.utils import timezone
from django.utils.translation import gettext as _

from lib.files import atomic_write, file_lock, private_dir

logger = logging.getLogger(__name__)

ALG = "Ed25519"
STATUS_ACTIVE = "active"
STATUS_RETIRED = "retired"
MANIFEST_NAME = "keys.json"
SIGNATURE_LENGTH = 86  # 64 bytes in base64url without padding

_LOCK_NAME = ".lock"
_MANIFEST_VERSION = 1
_PUBLIC_FIELDS = ("kid", "alg", "public_key", "created_at", "status")
# No i, l, o, 0, 1: a kid may be read aloud or typed from paper.
_KID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_KID_SUFFIX_LENGTH = 3
_KID_RE = re.compile(r"^[a-z0-9]{1,16}$")
_PURPOSE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_B64URL_RE = re.compile(r"^[A-Za-z0-9_-]*$")

_private_cache: dict[tuple[str, str, str], Ed25519PrivateKey] = {}
_private_cache_lock = threading.Lock()


class KeyRingError(Exception):
    """The ring cannot do what was asked (no active key, unreadable files); the message says what to do."""


# --- base64url ----------------------------------------------------------------------------------


def b64url_encode(data: bytes) -> str:
    """base64url (RFC 4648 §5) without ``=`` padding."""
    return base64.urlsafe_b64encode(bytes(data)).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Inverse of :func:`b64url_encode`; padding may be present or missing.

    Raises ``ValueError`` on any other character, an impossible length, or a non-canonical text
    (unused low bits set): otherwise several different texts would decode to the same bytes.
    """
    if not isinstance(text, str):
        raise ValueError("base64url input must be text")
    body = text.rstrip("=")
    padding = len(text) - len(body)
    if not _B64URL_RE.fullmatch(body) or len(body) % 4 == 1 or padding > 2:
        raise ValueError("not base64url text")
    if padding and (len(body) + padding) % 4:
        raise ValueError("wrong base64url padding")
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    if b64url_encode(data) != body:
        raise ValueError("non-canonical base64url text")
    return data


def make_kid(letter: str, *, taken: Collection[str]) -> str:
    """A new short key id: ``letter`` + yymm (Asia/Shanghai) + 3 random characters, not in ``taken``."""
    prefix = letter + timezone.localtime(timezone.now()).strftime("%y%m")
    for _attempt in range(1000):
        kid = prefix + "".join(secrets.choice(_KID_ALPHABET) for _i in range(_KID_SUFFIX_LENGTH))
        if kid not in taken:
            return kid
    raise KeyRingError(_("本月新建的密钥过多，无法生成新的密钥编号；请下月再试或清理密钥目录。"))


def _now_iso() -> str:
    return timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# --- the key ring -------------------------------------------------------------------------------


class KeyRing:
    """Ed25519 keys of one purpose in one directory: one active key signs, retired keys still verify."""

    def __init__(self, directory: Path, *, purpose: str):
        if not _PURPOSE_RE.fullmatch(purpose):
            raise ValueError(f"purpose must match {_PURPOSE_RE.pattern}: {purpose!r}")
        self.directory = Path(directory)
        self.purpose = purpose

    def __repr__(self) -> str:
        return f"KeyRing({str(self.directory)!r}, purpose={self.purpose!r})"

    @property
    def manifest_path(self) -> Path:
        return self.directory / MANIFEST_NAME

    # reading

    def active_kid(self) -> str | None:
        entry = _active_entry(self._read_manifest())
        return entry["kid"] if entry else None

    def public_keys(self) -> list[dict]:
        """``[{"kid", "alg", "public_key", "created_at", "status"}]`` in creation order: safe to publish."""
        return [{field: entry[field] for field in _PUBLIC_FIELDS} for entry in self._read_manifest()]

    # writing

    def create(self) -> str:
        """Add the ring's first key (or a new one when none is active); it becomes active.

        Refused while a key is active: replacing it is :meth:`rotate`, which keeps the old key published.
        """
        with self._locked():
            entries = self._read_manifest()
            active = _active_entry(entries)
            if active is not None:
                raise KeyRingError(
                    _("已有启用中的签名密钥 %(kid)s，不能再新建；如需更换，请使用 rotate（轮换）。")
                    % {"kid": active["kid"]}
                )
            return self._add_active_key(entries)

    def rotate(self) -> str:
        """Add a new active key; the previous active key becomes retired, stays published and still verifies."""
        with self._locked():
            entries = self._read_manifest()
            retired_at = _now_iso()
            for entry in entries:
                if entry["status"] == STATUS_ACTIVE:
                    entry["status"] = STATUS_RETIRED
                    entry["retired_at"] = retired_at
            return self._add_active_key(entries)

    def ensure_active(self) -> str:
        """The active kid, creating the first key if there is none (two racing processes create one key)."""
        kid = self.active_kid()
        if kid is not None:
            return kid
        with self._locked():
            entries = self._read_manifest()
            active = _active_entry(entries)
            if active is not None:
                return active["kid"]
            return self._add_active_key(entries)

    # signing

    def sign(self, payload: bytes) -> tuple[str, str]:
        """``(kid, signature)`` with the active key; the signature is base64url without padding (86 chars)."""
        if not isinstance(payload, bytes | bytearray | memoryview):
            raise TypeError("payload must be bytes")
        entry = _active_entry(self._read_manifest())
        if entry is None:
            raise KeyRingError(
                _(
                    "尚无启用中的签名密钥（用途：%(purpose)s）。"
                    "请先运行 python manage.py signing_keys create --purpose %(purpose)s。"
                )
                % {"purpose": self.purpose}
            )
        signature = self._private_key(entry).sign(bytes(payload))
        return entry["kid"], b64url_encode(signature)

    def bulk_signer(self) -> Callable[[bytes], tuple[str, str]]:
        """:meth:`sign` with the manifest read once: for signing many payloads in one go (a bulk
        generator), where reading the manifest for each of a million signatures would dominate.
        The key it holds stays the one active when it was made, even if the ring rotates."""
        entry = _active_entry(self._read_manifest())
        if entry is None:
            self.sign(b"")  # raises the ring's own "no active key" error
        kid, private = entry["kid"], self._private_key(entry)

        def sign(payload: bytes) -> tuple[str, str]:
            return kid, b64url_encode(private.sign(bytes(payload)))

        return sign

    def verify(self, *, kid: str, payload: bytes, signature: str) -> bool:
        """True only if ``signature`` is a valid signature of ``payload`` by key ``kid`` of this ring.

        Active and retired keys both verify. Any problem (unknown kid, junk text, unreadable
        manifest, wrong types) gives False; this never raises.
        """
        try:
            if not isinstance(kid, str) or not isinstance(signature, str):
                return False
            if not isinstance(payload, bytes | bytearray | memoryview) or len(signature) != SIGNATURE_LENGTH:
                return False
            raw_signature = b64url_decode(signature)
            entry = next((e for e in self._read_manifest() if e["kid"] == kid), None)
            if entry is None:
                return False
            public = Ed25519PublicKey.from_public_bytes(b64url_decode(entry["public_key"]))
            public.verify(raw_signature, bytes(payload))
        except (InvalidSignature, ValueError):
            return False
        except Exception:
            logger.warning("signature check failed on key ring %s", self.directory, exc_info=True)
            return False
        return True

    # internals

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            private_dir(self.directory)
        except OSError as exc:
            raise KeyRingError(
                _("无法创建或使用密钥目录 %(path)s：%(error)s。请检查目录权限。")
                % {"path": self.directory, "error": exc.strerror}
            ) from exc
        with file_lock(self.directory / _LOCK_NAME):
            yield

    def _read_manifest(self) -> list[dict[str, Any]]:
        try:
            raw = self.manifest_path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise KeyRingError(
                _("无法读取密钥清单 %(path)s：%(error)s。请检查文件权限。")
                % {"path": self.manifest_path, "error": exc.strerror}
            ) from exc
        try:
            document = json.loads(raw)
            purpose = document["purpose"]
            entries = [_checked_entry(entry) for entry in document["keys"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyRingError(
                _("密钥清单 %(path)s 内容损坏，无法使用；请从备份恢复该文件。") % {"path": self.manifest_path}
            ) from exc
        if purpose != self.purpose:
            raise KeyRingError(
                _("密钥目录 %(path)s 属于用途“%(found)s”，不是“%(purpose)s”；请为每种用途配置单独的目录。")
                % {"path": self.directory, "found": purpose, "purpose": self.purpose}
            )
        return entries

    def _write_manifest(self, entries: list[dict[str, Any]]) -> None:
        document = {"version": _MANIFEST_VERSION, "purpose": self.purpose, "keys": entries}
        text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        atomic_write(self.manifest_path, text.encode("utf-8"))

    def _add_active_key(self, entries: list[dict[str, Any]]) -> str:
        taken = {entry["kid"] for entry in entries} | {path.stem for path in self.directory.glob("*.pem")}
        kid = make_kid(self.purpose[0], taken=taken)
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        atomic_write(self.directory / f"{kid}.pem", pem)
        entries.append(
            {
                "kid": kid,
                "alg": ALG,
                "public_key": b64url_encode(_raw_public(private.public_key())),
                "created_at": _now_iso(),
                "status": STATUS_ACTIVE,
            }
        )
        self._write_manifest(entries)
        logger.info("signing key %s created (purpose %s, directory %s)", kid, self.purpose, self.directory)
        return kid

    def _private_key(self, entry: dict[str, Any]) -> Ed25519PrivateKey:
        cache_key = (str(self.directory.resolve()), entry["kid"], entry["public_key"])
        with _private_cache_lock:
            cached = _private_cache.get(cache_key)
        if cached is not None:
            return cached
        private = self._load_private_key(entry)
        with _private_cache_lock:
            _private_cache[cache_key] = private
        return private

    def _load_private_key(self, entry: dict[str, Any]) -> Ed25519PrivateKey:
        path = self.directory / f"{entry['kid']}.pem"
        try:
            if path.stat().st_mode & 0o077:
                logger.warning("private key file %s is readable by others; run chmod 600 on it", path)
            private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise KeyRingError(
                _("无法读取签名私钥 %(path)s；请从备份恢复该文件，或轮换密钥。") % {"path": path}
            ) from exc
        if (
            not isinstance(private, Ed25519PrivateKey)
            or b64url_encode(_raw_public(private.public_key())) != entry["public_key"]
        ):
            raise KeyRingError(
                _("签名私钥 %(path)s 与密钥清单中的公钥不一致；请从备份恢复，或轮换密钥。") % {"path": path}
            )
        return private


def _checked_entry(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict) or not _KID_RE.fullmatch(entry["kid"]):
        raise ValueError("bad key entry")
    if entry["alg"] != ALG or entry["status"] not in (STATUS_ACTIVE, STATUS_RETIRED):
        raise ValueError("bad key entry")
    if len(b64url_decode(entry["public_key"])) != 32 or not isinstance(entry["created_at"], str):
        raise ValueError("bad key entry")
    return dict(entry)


def _active_entry(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    # The newest active key wins should a hand-edited manifest ever hold two.
    return next((entry for entry in reversed(entries) if entry["status"] == STATUS_ACTIVE), None)
