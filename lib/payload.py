"""The signed payload of a certificate: the canonical bytes of its printed fields (and, from version
2, its 查验码). Pure: anyone can rebuild these bytes from the paper (docs/verification.md).

Version 2 (every certificate issued since the 查验码 was introduced) covers the 查验码 too:
``check_code`` in canonical form (16 characters of Crockford base32, no hyphens, see
``certify.checkcode``) and ``"v": 2``. Without the paper, nobody can rebuild those bytes, so
the signature in the QR link cannot be used to test guesses of the hidden ID digits.
Version 1 (no ``check_code`` given) is the recipe below without that field and with ``"v": 1``.

Recipe (version 1; version 2 adds ``check_code`` in step 1 and writes ``"v": 2`` in step 5),
for anyone re-implementing the check from the paper:

1. Take each field as printed: 证书编号 ``number``, 姓名 ``holder_name``, 证件类型 ``id_type``
   (the printed wording, e.g. ``居民身份证``), 证件号码 ``id_number`` (in full), 职业名称
   ``occupation``, 工种/职业方向 ``work_type``, 职业技能等级 ``level_wording`` (e.g.
   ``三级/高级工``), 评价机构名称 ``organization_name``.
2. Normalise each to Unicode NFC, then remove leading and trailing whitespace (any Unicode
   white space, including the full-width space U+3000). Inner spaces stay as they are.
3. If 工种/职业方向 is then empty, use ``--`` (two ASCII hyphen-minus), as printed.
4. 发证日期 ``issue_date`` is written ``YYYY-MM-DD``.
5. Add ``"v": 1`` (the number one, not a string).
6. Serialise as one JSON object: keys sorted by code point, no white space between tokens
   (``,`` and ``:`` only), non-ASCII characters written as themselves (no ``\\u`` escapes),
   the only escapes being ``\\"`` and ``\\\\``. Encode as UTF-8, no BOM, no trailing newline.

The signature is Ed25519 over those bytes; the QR carries it base64url-encoded without padding
(``s=``) with the key id (``k=``), and the key is looked up in /.well-known/skillcert-keys.json.

Example: ``Y000044001234263000017``, ``张三丰``, ``居民身份证``, ``44190019900307123X``, ``车工``,
no 工种, ``三级/高级工``, ``东莞市华科精密制造有限公司``, 2026-03-15 gives (one line)::

    {"holder_name":"张三丰","id_number":"44190019900307123X","id_type":"居民身份证",
    "issue_date":"2026-03-15","level_wording":"三级/高级工","number":"Y000044001234263000017",
    "occupation":"车工","organization_name":"东莞市华科精密制造有限公司","v":1,"work_type":"--"}

The same certificate with 查验码 ``7KQ2-M9XD-4TBN-HC3R`` (version 2) gives::

    {"check_code":"7KQ2M9XD4TBNHC3R","holder_name":"张三丰",…,"v":2,"work_type":"--"}
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from typing import Any

from lib.checkcode import normalise_check_code

# Version 2 adds the 查验码 printed on the paper; version-1 certificates (issued before it) still verify.
PAYLOAD_VERSION = 2
PAYLOAD_VERSIONS = (1, 2)
EMPTY_WORK_TYPE = "--"


def certificate_payload(
    *,
    number: str,
    holder_name: str,
    id_type: str,
    id_number: str,
    occupation: str,
    work_type: str,
    level_wording: str,
    organization_name: str,
    issue_date: dt.date,
    check_code: str = "",
) -> bytes:
    """The exact bytes a certificate signature covers, rebuilt from the printed certificate (the
    recipe is the module's docstring).

    Raises ``ValueError`` for an empty mandatory field, a control character (nothing printable
    could carry it) or a malformed 查验码, ``TypeError`` for a non-text field or an issue date
    that is not a plain date.
    """
    if isinstance(issue_date, dt.datetime) or not isinstance(issue_date, dt.date):
        raise TypeError("issue_date must be a datetime.date, not a datetime")
    fields: dict[str, Any] = {
        name: _printed_text(value, name=name)
        for name, value in (
            ("number", number),
            ("holder_name", holder_name),
            ("id_type", id_type),
            ("id_number", id_number),
            ("occupation", occupation),
            ("level_wording", level_wording),
            ("organization_name", organization_name),
        )
    }
    for name, value in fields.items():
        if not value:
            raise ValueError(f"certificate field {name} is empty")
    fields["work_type"] = _printed_text(work_type or "", name="work_type") or EMPTY_WORK_TYPE
    fields["issue_date"] = issue_date.isoformat()
    fields["v"] = 1
    if check_code:
        code = normalise_check_code(check_code)
        if code is None or code != check_code:
            raise ValueError("check_code must be 16 characters of Crockford base32 in canonical form")
        fields["check_code"] = code
        fields["v"] = 2
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _printed_text(value: str, *, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"certificate field {name} must be text")
    text = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in text):
        raise ValueError(f"certificate field {name} contains a control character")
    return text
