"""ID numbers encrypted at rest (AES-256-GCM) and found again by keyed hash (HMAC-SHA256). Pure module.

Token format: ``v1.<kid>.<base64url(nonce[12] || ciphertext || tag[16])>`` — the key id travels
with the value, so old rows keep decrypting after a rotation. The associated data is
``skillcert-pii|v1|<purpose>|<kid>`` (UTF-8): a token made for one purpose (``id_number``) does
not decrypt as another, and cannot be relabelled with another key id.

Key material comes from settings, all three together:

- ``SKILLCERT_PII_KEYS`` — dict kid → base64 (standard or url-safe) of 32 random bytes;
- ``SKILLCERT_PII_ACTIVE_KID`` — the kid that encrypts new values;
- ``SKILLCERT_PII_HMAC_KEY`` — base64 of at least 32 random bytes, for :func:`lookup_hash`.

When none is set (the embedded default) the keys live in ``VAR_DIR/keys/pii.json`` (mode 0600),
created on first use as ``{"active": kid, "keys": {kid: b64}, "hmac": b64}``. Losing that file or
those settings loses every encrypted ID number: back them up apart from the database.

Rotation: add a key, make it active, then run ``manage.py pii_rotate``, which re-encrypts every
token under the active key in batches while the app runs. A new HMAC key goes in with the old one
kept as ``SKILLCERT_PII_HMAC_KEY_PREVIOUS`` (``hmac_previous`` in the key file): lookups try both
until ``pii_rotate`` has rebuilt every stored hash, after which the previous key is removed. Keep
an old AES key as long as history rows written before the rotation must stay readable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from lib.files import atomic_write, file_lock, private_dir
from lib.keyring import b64url_decode, b64url_encode, make_kid

logger = logging.getLogger(__name__)

TOKEN_VERSION = "v1"  # noqa: S105  (format tag, not a secret)
KEY_FILE_NAME = "pii.json"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_BYTES = 32
_MIN_HMAC_BYTES = 32
_KID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_PURPOSE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_SETTING_NAMES = frozenset(
    {
        "SKILLCERT_PII_KEYS",
        "SKILLCERT_PII_ACTIVE_KID",
        "SKILLCERT_PII_HMAC_KEY",
        "SKILLCERT_PII_HMAC_KEY_PREVIOUS",
        "VAR_DIR",
    }
)


class PiiError(Exception):
    """A token cannot be decrypted or read; the message says why, never what the value was."""


@dataclass(frozen=True)
class _Material:
    active_kid: str
    ciphers: dict[str, AESGCM]
    hmac_key: bytes
    # While ``manage.py pii_rotate`` rebuilds the lookup index after a new HMAC key, rows not yet
    # rebuilt still carry hashes under the previous key: lookups try both.
    previous_hmac_key: bytes | None = None


_cache: dict[str, _Material] = {}
_cache_lock = threading.Lock()


def reset_key_cache() -> None:
    """Forget loaded keys; the next call reads settings (or the key file) again."""
    with _cache_lock:
        _cache.clear()


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    # Test overrides of the key settings take effect without every test remembering to reset.
    if setting in _SETTING_NAMES:
        reset_key_cache()


# --- encryption ---------------------------------------------------------------------------------


def encrypt(plaintext: str, *, purpose: str = "id_number") -> str:
    """``v1.<kid>.<base64url(nonce || ciphertext+tag)>`` with the active key and a fresh random nonce."""
    if not isinstance(plaintext, str):
        raise TypeError("plaintext must be text")
    material = _material()
    kid = material.active_kid
    nonce = os.urandom(_NONCE_BYTES)
    sealed = material.ciphers[kid].encrypt(nonce, plaintext.encode("utf-8"), _aad(purpose=purpose, kid=kid))
    return f"{TOKEN_VERSION}.{kid}.{b64url_encode(nonce + sealed)}"


def decrypt(token: str, *, purpose: str = "id_number") -> str:
    """The plaintext of ``token``; ``PiiError`` if it was altered, its key is unknown or the purpose differs."""
    kid, blob = _parse(token)
    cipher = _material().ciphers.get(kid)
    if cipher is None:
        raise PiiError(
            _("加密数据使用的密钥 %(kid)s 未配置，无法解密；请在个人信息加密密钥中恢复该密钥。") % {"kid": kid}
        )
    try:
        plaintext = cipher.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _aad(purpose=purpose, kid=kid))
    except InvalidTag as exc:
        raise PiiError(_("加密数据校验失败（数据被改动或用途不符），无法解密；请从备份核对该记录。")) from exc
    return plaintext.decode("utf-8")


def token_kid(token: str) -> str:
    """The key id a token was encrypted with (``PiiError`` if it is not a token)."""
    return _parse(token)[0]


def lookup_hash(*, id_type: str, number: str) -> str:
    """Hex HMAC-SHA256 over ``f"{id_type}:{number}"`` for exact lookup and duplicate detection.

    Both parts are NFC-normalised and stripped and the number upper-cased first, so ``…123x`` and
    ``…123X`` find the same person. ``id_type`` is the stored code and must not contain ``:``.
    New rows store this hash (under the current HMAC key); to find a row, use :func:`lookup_hashes`.
    """
    return _hash(_material().hmac_key, id_type=id_type, number=number)


def lookup_hashes(*, id_type: str, number: str) -> list[str]:
    """Every hash a stored row of this number may carry: the current key's, and during a rotation
    of the HMAC key the previous key's (``id_number_hash__in=lookup_hashes(...)``)."""
    material = _material()
    hashes = [_hash(material.hmac_key, id_type=id_type, number=number)]
    if material.previous_hmac_key:
        hashes.append(_hash(material.previous_hmac_key, id_type=id_type, number=number))
    return hashes


def active_kid() -> str:
    """The key id new values are encrypted with."""
    return _material().active_kid


def _hash(key: bytes, *, id_type: str, number: str) -> str:
    kind = unicodedata.normalize("NFC", id_type).strip()
    value = unicodedata.normalize("NFC", number).strip().upper()
    if not kind or ":" in kind:
        raise ValueError("id_type must be a non-empty code without ':'")
    message = f"{kind}:{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def rotate_local_key(*, hmac_key: bool = False) -> str:
    """Add a new active key to ``VAR_DIR/keys/pii.json`` (embedded default only); returns its kid.
    With ``hmac_key`` the lookup key is replaced too, the old one kept as ``hmac_previous`` until
    ``manage.py pii_rotate`` has rebuilt every stored hash.

    Keys from settings are rotated in the environment: add the key to ``SKILLCERT_PII_KEYS`` and
    point ``SKILLCERT_PII_ACTIVE_KID`` at it; for the lookup key, move the old value to
    ``SKILLCERT_PII_HMAC_KEY_PREVIOUS`` and set a new ``SKILLCERT_PII_HMAC_KEY``.
    """
    if _settings_values() != (None, None, None):
        raise ImproperlyConfigured(
            "PII keys come from settings: rotate by adding a key to SKILLCERT_PII_KEYS "
            "and setting SKILLCERT_PII_ACTIVE_KID to it."
        )
    path = _key_file_path()
    _load_or_create_key_file(path)
    with file_lock(path.with_name(KEY_FILE_NAME + ".lock")):
        document = _read_key_file(path)
        kid = make_kid("p", taken=document["keys"])
        document["keys"][kid] = base64.b64encode(os.urandom(_KEY_BYTES)).decode("ascii")
        document["active"] = kid
        if hmac_key:
            document["hmac_previous"] = document["hmac"]
            document["hmac"] = base64.b64encode(os.urandom(_KEY_BYTES)).decode("ascii")
        atomic_write(path, (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    reset_key_cache()
    logger.info("personal-data key %s created and made active in %s", kid, path)
    return kid


def forget_previous_local_hmac_key() -> None:
    """After ``pii_rotate`` rebuilt every hash: drop ``hmac_previous`` from the local key file."""
    if _settings_values() != (None, None, None):
        raise ImproperlyConfigured("PII keys come from settings: unset SKILLCERT_PII_HMAC_KEY_PREVIOUS instead.")
    path = _key_file_path()
    with file_lock(path.with_name(KEY_FILE_NAME + ".lock")):
        document = _read_key_file(path)
        if document.pop("hmac_previous", None) is not None:
            atomic_write(path, (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    reset_key_cache()


def previous_hmac_key_configured() -> bool:
    return _material().previous_hmac_key is not None


# --- internals ----------------------------------------------------------------------------------


def _aad(*, purpose: str, kid: str) -> bytes:
    if not isinstance(purpose, str) or not _PURPOSE_RE.fullmatch(purpose):
        raise ValueError(f"purpose must match {_PURPOSE_RE.pattern}")
    return f"skillcert-pii|{TOKEN_VERSION}|{purpose}|{kid}".encode()


def _parse(token: str) -> tuple[str, bytes]:
    unreadable = PiiError(_("加密数据格式不正确，无法解密；请从备份核对该记录。"))
    if not isinstance(token, str):
        raise unreadable
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != TOKEN_VERSION or not _KID_RE.fullmatch(parts[1]):
        raise unreadable
    try:
        blob = b64url_decode(parts[2])
    except ValueError as exc:
        raise unreadable from exc
    if len(blob) < _NONCE_BYTES + _TAG_BYTES:
        raise unreadable
    return parts[1], blob


def _material() -> _Material:
    material = _cache.get("material")
    if material is not None:
        return material
    with _cache_lock:
        if "material" not in _cache:
            _cache["material"] = _load_material()
        return _cache["material"]


def _settings_values() -> tuple[Any, Any, Any]:
    return (
        settings.SKILLCERT_PII_KEYS or None,
        settings.SKILLCERT_PII_ACTIVE_KID or None,
        settings.SKILLCERT_PII_HMAC_KEY or None,
    )


def _load_material() -> _Material:
    keys, active, hmac_key = _settings_values()
    if (keys, active, hmac_key) == (None, None, None):
        path = _key_file_path()
        document = _load_or_create_key_file(path)
        return _build(
            keys=document["keys"],
            active=document["active"],
            hmac_key=document["hmac"],
            previous_hmac_key=document.get("hmac_previous"),
            source=str(path),
        )
    if keys is None or active is None or hmac_key is None:
        raise ImproperlyConfigured(
            "Set SKILLCERT_PII_KEYS, SKILLCERT_PII_ACTIVE_KID and SKILLCERT_PII_HMAC_KEY together, or none of them."
        )
    previous = settings.SKILLCERT_PII_HMAC_KEY_PREVIOUS or None
    return _build(keys=keys, active=active, hmac_key=hmac_key, previous_hmac_key=previous, source="settings")


def _build(*, keys: Any, active: Any, hmac_key: Any, source: str, previous_hmac_key: Any = None) -> _Material:
    # Messages name the setting or file, never a key value.
    if not isinstance(keys, dict) or not keys:
        raise ImproperlyConfigured(f"PII keys ({source}): SKILLCERT_PII_KEYS must be a non-empty dict kid → base64.")
    ciphers: dict[str, AESGCM] = {}
    for kid, encoded in keys.items():
        if not isinstance(kid, str) or not _KID_RE.fullmatch(kid):
            raise ImproperlyConfigured(f"PII keys ({source}): key id {kid!r} must match {_KID_RE.pattern}.")
        raw = _decode_key(encoded)
        if raw is None or len(raw) != _KEY_BYTES:
            raise ImproperlyConfigured(f"PII keys ({source}): key {kid} must be base64 of exactly 32 bytes.")
        ciphers[kid] = AESGCM(raw)
    if active not in ciphers:
        raise ImproperlyConfigured(f"PII keys ({source}): the active key id {active!r} is not among the keys.")
    raw_hmac = _decode_key(hmac_key)
    if raw_hmac is None or len(raw_hmac) < _MIN_HMAC_BYTES:
        raise ImproperlyConfigured(f"PII keys ({source}): SKILLCERT_PII_HMAC_KEY must be base64 of ≥32 bytes.")
    raw_previous = None
    if previous_hmac_key:
        raw_previous = _decode_key(previous_hmac_key)
        if raw_previous is None or len(raw_previous) < _MIN_HMAC_BYTES:
            raise ImproperlyConfigured(
                f"PII keys ({source}): SKILLCERT_PII_HMAC_KEY_PREVIOUS must be base64 of ≥32 bytes."
            )
    return _Material(active_kid=active, ciphers=ciphers, hmac_key=raw_hmac, previous_hmac_key=raw_previous)


def _decode_key(encoded: Any) -> bytes | None:
    if not isinstance(encoded, str):
        return None
    text = encoded.strip().rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _key_file_path() -> Path:
    return Path(settings.VAR_DIR) / "keys" / KEY_FILE_NAME


def _read_key_file(path: Path) -> dict[str, Any]:
    if path.stat().st_mode & 0o077:
        logger.warning("PII key file %s is readable by others; run chmod 600 on it", path)
    try:
        document = json.loads(path.read_bytes())
    except ValueError as exc:
        raise ImproperlyConfigured(f"PII key file {path} is damaged; restore it from a backup.") from exc
    if not isinstance(document, dict) or not {"active", "keys", "hmac"} <= document.keys():
        raise ImproperlyConfigured(f"PII key file {path} is damaged; restore it from a backup.")
    return document


def _load_or_create_key_file(path: Path) -> dict[str, Any]:
    """Read the key file, creating it first if missing; two racing creators end up with one file."""
    if path.exists():
        return _read_key_file(path)
    private_dir(path.parent)
    with file_lock(path.with_name(KEY_FILE_NAME + ".lock")):
        if path.exists():
            return _read_key_file(path)
        kid = make_kid("p", taken=())
        document = {
            "active": kid,
            "keys": {kid: base64.b64encode(os.urandom(_KEY_BYTES)).decode("ascii")},
            "hmac": base64.b64encode(os.urandom(_KEY_BYTES)).decode("ascii"),
        }
        atomic_write(path, (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    logger.info("personal-data key file created at %s (back it up apart from the database)", path)
    return document
