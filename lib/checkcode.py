"""The 查验码: a random code printed on each certificate, never shown anywhere else. Pure module.

16 characters of Crockford's base32 (digits and capital letters without I, L, O, U): 80 random
bits, printed in four groups ``7KQ2-M9XD-4TBN-HC3R``. It is part of the signed payload (version 2),
so the QR signature cannot be used to test guesses of the holder's ID number without the paper,
and the holder types it (with their name) to download their own copy.

Typing is forgiving the way Crockford's alphabet intends: case, spaces, hyphens and full-width
characters are ignored, ``O`` reads as ``0`` and ``I``/``L`` as ``1``.
"""

from __future__ import annotations

import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16  # 16 × 5 bits = 80 bits
GROUP = 4
_READS_AS = {"O": "0", "I": "1", "L": "1"}
_IGNORED = frozenset(" -_\u3000")


def new_check_code() -> str:
    """A fresh code in canonical form (16 characters, no separators)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_check_code(text: str) -> str | None:
    """The canonical code for what a person typed, or None when it cannot be one."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    folded = unicodedata.normalize("NFKC", text).upper()
    code = "".join(_READS_AS.get(char, char) for char in folded if char not in _IGNORED)
    if len(code) != LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def format_check_code(code: str) -> str:
    """``7KQ2M9XD4TBNHC3R`` → ``7KQ2-M9XD-4TBN-HC3R`` as printed."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))
