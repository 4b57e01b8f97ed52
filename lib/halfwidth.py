"""What a Chinese input method types into a number field, made plain: full-width digits
(７６．５), the ideographic full stop as a decimal point (76。5), full-width signs and spaces.

Pure: no Django, no app. ``normalize_number("７６．５") == "76.5"``.
"""

from __future__ import annotations

import unicodedata

# After NFKC: ．→.  ｡→。  ０–９→0–9  －→-  ＋→+  U+3000→space. The ideographic full stop and the
# other dots an IME offers stay, so they are mapped here.
_DECIMAL_POINTS = str.maketrans({"。": ".", "・": ".", "·": ".", "﹒": "."})


def normalize_number(text: object) -> str:
    """``text`` with full-width digits, decimal points and signs made ASCII, spaces removed.

    Anything that is not a number stays as typed (made half-width): the caller decides whether it
    parses; nothing is guessed (a comma is not taken for a decimal point)."""
    if text is None:
        return ""
    plain = unicodedata.normalize("NFKC", str(text)).translate(_DECIMAL_POINTS)
    return "".join(plain.split())
