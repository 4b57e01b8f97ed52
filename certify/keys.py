"""The certificate signing key ring, where the settings put it."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from lib.keyring import KeyRing


def certificate_keyring() -> KeyRing:
    return KeyRing(Path(settings.SKILLCERT_CERT_KEYS_DIR), purpose="certificate")
