"""The key ring that signs audit checkpoints, where the settings put it."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from lib.keyring import KeyRing


def audit_keyring() -> KeyRing:
    return KeyRing(Path(settings.SKILLCERT_AUDIT_KEYS_DIR), purpose="audit")
