"""Public verification of a certificate, by its QR code or by number and full name.

Three separate checks, in the manner of OpenCerts:

- **integrity** — the signature verifies with the published key against the canonical payload
  rebuilt from the fields stored here (never from text in the request);
- **issuer** — the organisation held a filing covering the occupation, 工种 and level on the issue
  date, as the bureau's records show it;
- **status** — valid, suspended, revoked (date and reason category) or replaced by a corrected
  version. Status is live: it is not part of the signature.

Every way of failing to find a genuine certificate — an unknown or malformed number, a wrong
signature or key id, a wrong name, stored fields that no longer match their signature — gives one
and the same ``NOT_FOUND`` answer, so a prober learns nothing about which part was wrong.

Only the worker's own copy writes anything: one audit event per attempt.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import unicodedata
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from certify.keys import certificate_keyring
from certify.models import Certificate, Filing
from certify.pdf import CERTIFICATE_LOOKUP_URL, ORGANIZATION_LOOKUP_URL
from certify.services.filings import filing_coverage
from certify.services.payload import EMPTY_WORK_TYPE, id_number_of, payload_of
from lib import numbering
from lib.identifiers import mask_id_number, mask_name
from lib.keyring import ALG
from lib.payload import PAYLOAD_VERSION, PAYLOAD_VERSIONS

logger = logging.getLogger(__name__)

VALID = "valid"
SUSPENDED = "suspended"
REVOKED = "revoked"
REPLACED = "replaced"
NOT_FOUND = "not_found"

# Whether the national database (全国职业技能等级证书查询系统) can find the certificate: the shown
# version was accepted there, only an earlier version was (before a correction), or none yet.
NATIONAL_LISTED = "listed"
NATIONAL_EARLIER = "earlier"
NATIONAL_PENDING = "pending"

KEYS_PATH = "/.well-known/skillcert-keys.json"
# Anything longer cannot be a number, a signature, a key id or a name: refused before any work.
_MAX_INPUT = 120
_CORRECTABLE_LABELS = {"holder_name": gettext_noop("姓名"), "work_type_name": gettext_noop("工种/职业方向")}


@dataclass(frozen=True)
class Check:
    """One line under the banner: ``ok`` is the answer, ``state`` its word (通过, 已撤销 …), ``tone``
    its colour (ok / warn / bad / none)."""

    ok: bool
    label: str
    detail: str
    tone: str = "ok"
    state: str = ""

    def as_json(self) -> dict:
        return {"ok": self.ok, "label": self.label, "state": self.state, "detail": self.detail}


@dataclass(frozen=True)
class Verification:
    """The answer to one verification. ``certificate`` is the version whose facts are shown (the
    current one); ``matched`` the version the QR code or name matched (older when replaced)."""

    result: str
    integrity: Check
    issuer: Check
    status: Check
    certificate: Certificate | None = None
    matched: Certificate | None = None
    filing_number: str = ""
    facts: dict = field(default_factory=dict)
    legacy: bool = False  # matched the version-1 signature of a paper since re-issued with a 查验码
    national: str = ""  # NATIONAL_*: what the national lookup finds (found certificates only)

    @property
    def found(self) -> bool:
        return self.result != NOT_FOUND

    @property
    def banner(self) -> tuple[str, str]:
        """(title, one line under it)."""
        return _banner(self)

    def as_json(self) -> dict:
        facts = self.facts
        certificate = None
        if self.found:
            certificate = {
                "number": facts["number"],
                "version": facts["version"],
                "name_masked": facts["name_masked"],
                "id_type": facts["id_type"],
                "id_masked": facts["id_masked"],
                "occupation": facts["occupation"],
                "work_type": facts["work_type"],
                "level": facts["level"],
                "organization": facts["organization"],
                "issue_date": facts["issue_date"].isoformat(),
                "status": facts["status"],
                "revoked_at": facts["revoked_at"].isoformat() if facts["revoked_at"] else None,
                "reason_category": facts["reason_category"] or None,
                "reason_category_label": facts["reason_category_label"] or None,
                "filing_number": self.filing_number or None,
                "national_lookup": self.national,
            }
        replaced = None
        if self.result == REPLACED:
            replaced = {"version": self.matched.version, "current_version": self.certificate.version}
        return {
            "result": self.result,
            "checks": {
                "integrity": self.integrity.as_json(),
                "issuer": self.issuer.as_json(),
                "status": self.status.as_json(),
            },
            "certificate": certificate,
            "replaced": replaced,
            "lookup_urls": {"certificate": CERTIFICATE_LOOKUP_URL, "organization": ORGANIZATION_LOOKUP_URL},
        }


# --- the public entry points --------------------------------------------------------------------


def verification_by_signature(*, number: str, signature: str, key_id: str) -> Verification:
    """The QR code's question: is ``signature`` (by key ``key_id``) ours, over one version of ``number``?"""
    number = _normalised_number(number)
    if number is None or not _plausible(signature) or not _plausible(key_id):
        return not_found()
    versions = _versions(number)
    # The stored signature picks the version (and, for a version-1 certificate re-issued with a
    # 查验码, the first paper's legacy signature); the cryptographic check below proves integrity.
    matched, payload_version = None, PAYLOAD_VERSION
    for candidate in versions:
        if same_text(candidate.signature, signature) and same_text(candidate.key_id, key_id):
            matched = candidate
            break
        legacy = candidate.legacy_signature
        if legacy and same_text(legacy, signature) and same_text(candidate.legacy_key_id, key_id):
            matched, payload_version = candidate, 1
            break
    if matched is None or not _signature_holds(matched, signature=signature, key_id=key_id, version=payload_version):
        return not_found()
    return _verified(matched, versions, via_name=False, legacy=payload_version == 1)


def verification_by_name(*, number: str, name: str) -> Verification:
    """The lookup form's question: does ``number``'s current version belong to ``name`` (exactly)?"""
    number = _normalised_number(number)
    name = unicodedata.normalize("NFC", name or "").strip()
    if number is None or not name or len(name) > _MAX_INPUT:
        return not_found()
    versions = _versions(number)
    current = _current_of(versions)
    if current is None or not same_text(unicodedata.normalize("NFC", current.holder_name).strip(), name):
        return not_found()
    if not _signature_holds(current, signature=current.signature, key_id=current.key_id):
        return not_found()
    return _verified(current, versions, via_name=True)


def not_found() -> Verification:
    """The one answer for everything that is not a genuine certificate of ours. It carries nothing
    from the request, so all such answers are byte-for-byte the same."""
    detail, state = _("未能核验"), _("无法核验")
    return Verification(
        result=NOT_FOUND,
        integrity=Check(False, _("内容未被篡改"), detail, "none", state),
        issuer=Check(False, _("发证机构已备案"), detail, "none", state),
        status=Check(False, _("证书状态"), detail, "none", state),
    )


_PAYLOAD_FIELDS_V1 = [
    "holder_name",
    "id_number",
    "id_type",
    "issue_date",
    "level_wording",
    "number",
    "occupation",
    "organization_name",
    "v",
    "work_type",
]


def public_key_document() -> dict:
    """What /.well-known/skillcert-keys.json publishes: every key that ever signed, and the recipe."""
    return {
        "keys": certificate_keyring().public_keys(),
        "payload": {
            "version": PAYLOAD_VERSION,
            "versions": list(PAYLOAD_VERSIONS),
            "alg": ALG,
            "fields": sorted([*_PAYLOAD_FIELDS_V1, "check_code"]),
            "fields_v1": _PAYLOAD_FIELDS_V1,
            "description": (
                "UTF-8 JSON object of the printed fields, each NFC-normalised and trimmed; work_type '--' "
                "when none; issue_date YYYY-MM-DD; check_code: the 查验码 printed on the certificate, "
                '16 characters without hyphens; "v": 2; keys sorted, no whitespace, no \\u escapes. '
                'Certificates issued before the 查验码 (version 1) have no check_code and "v": 1. '
                "Signature: Ed25519 over those bytes, base64url without padding (s=), key id k=. "
                "Status is not signed: it is looked up live at /v/<number>."
            ),
        },
    }


# --- building the answer ------------------------------------------------------------------------


def _verified(
    matched: Certificate, versions: list[Certificate], *, via_name: bool, legacy: bool = False
) -> Verification:
    current = _current_of(versions) or matched
    shown = current if matched.status == Certificate.Status.REPLACED else matched
    issuer, filing_number = certificate_issuer_check(shown)
    result, status = _status_check(matched, current)
    if via_name:
        integrity_detail = _("本平台保存的证书内容与发证时的电子签名一致")
    elif matched.status == Certificate.Status.REPLACED:
        integrity_detail = _("二维码中的电子签名与第 %(v)d 版证书内容一致") % {"v": matched.version}
    else:
        integrity_detail = _("二维码中的电子签名与本平台保存的证书内容一致")
    return Verification(
        result=result,
        integrity=Check(True, _("内容未被篡改"), integrity_detail, "ok", _("通过")),
        issuer=issuer,
        status=status,
        certificate=shown,
        matched=matched,
        filing_number=filing_number,
        facts=_facts(shown),
        legacy=legacy,
        national=_national(shown, versions),
    )


def _national(shown: Certificate, versions: list[Certificate]) -> str:
    """Only a certificate the national database has accepted (upload results) can be found there."""
    accepted = Certificate.UploadStatus.ACCEPTED
    if shown.upload_status == accepted:
        return NATIONAL_LISTED
    if any(v.upload_status == accepted and v.version < shown.version for v in versions):
        return NATIONAL_EARLIER
    return NATIONAL_PENDING


def _facts(certificate: Certificate) -> dict:
    work_type = certificate.work_type_name or EMPTY_WORK_TYPE
    occupation = certificate.occupation_name
    revoked_at = timezone.localtime(certificate.revoked_at) if certificate.revoked_at else None
    return {
        "number": certificate.number,
        "version": certificate.version,
        "name_masked": mask_name(certificate.holder_name),
        "id_type": certificate.id_type_label,
        "id_masked": mask_id_number(id_number_of(certificate.person)),
        "occupation": occupation,
        "work_type": work_type,
        "occupation_display": occupation if work_type == EMPTY_WORK_TYPE else f"{occupation}（{work_type}）",
        "level": certificate.level_wording,
        "organization": certificate.organization_name,
        "issue_date": certificate.issue_date,
        "status": certificate.status,
        "revoked_at": revoked_at,
        "status_changed_at": certificate.status_changed_at,
        "reason_category": certificate.reason_category,
        "reason_category_label": certificate.get_reason_category_display() if certificate.reason_category else "",
        "print_serial": certificate.print_serial,
    }


def _status_check(matched: Certificate, current: Certificate) -> tuple[str, Check]:
    label = _("证书状态")
    if matched.status == Certificate.Status.REPLACED:
        detail = _(
            "本二维码对应第 %(old)d 版，已于%(day)s更正为第 %(new)d 版（更正项目：%(what)s）；现行版本状态：%(status)s"
        ) % {
            "old": matched.version,
            "day": _day(matched.status_changed_at),
            "new": current.version,
            "what": "、".join(_changed_fields(matched, current)) or _("其他"),
            "status": current.get_status_display(),
        }
        return REPLACED, Check(False, label, detail, "none", _("已更正"))
    if matched.status == Certificate.Status.REVOKED:
        detail = _("已于%(day)s撤销，原因类别：%(category)s") % {
            "day": _day(matched.revoked_at),
            "category": matched.get_reason_category_display() or _("其他原因"),
        }
        return REVOKED, Check(False, label, detail, "bad", _("已撤销"))
    if matched.status == Certificate.Status.SUSPENDED:
        detail = _("自%(day)s起暂停，暂停期间不能作为有效证书使用") % {"day": _day(matched.status_changed_at)}
        return SUSPENDED, Check(False, label, detail, "warn", _("已暂停"))
    detail = _("有效，未被撤销、暂停或更正")
    if matched.print_serial > 1:
        detail = _("有效（已补发，现为第 %(n)d 次打印；原证书二维码仍可查验）") % {"n": matched.print_serial}
    return VALID, Check(True, label, detail, "ok", _("有效"))


def certificate_issuer_check(certificate: Certificate) -> tuple[Check, str]:
    """Did a filing cover this certificate on its issue date?

    A filing that lapsed, was suspended or was revoked AFTER the certificate was issued does not
    undo the check: the records as they stood when the certificate was issued decide it (its
    simple-history row at that moment), and the detail says what became of the filing since.
    Whether the certificate itself still stands is the status check's business.
    """
    label = _("发证机构已备案")
    org = certificate.organization_name
    day = _day(certificate.issue_date)
    coverage = filing_coverage(
        organization=certificate.organization,
        occupation=certificate.occupation,
        work_type=certificate.work_type,
        level=certificate.level,
        on=certificate.issue_date,
    )
    if coverage.ok:
        detail = _("%(org)s在发证日期（%(day)s）持有有效备案，备案编号 %(filing)s") % {
            "org": org,
            "day": day,
            "filing": coverage.filing.number,
        }
        return Check(True, label, detail, "ok", _("通过")), coverage.filing.number
    filing = coverage.filing
    if filing is not None and _filing_active_at_issue(filing, certificate):
        detail = _(
            "%(org)s在发证日期（%(day)s）持有有效备案，备案编号 %(filing)s；该备案现状态为“%(now)s”（%(since)s起），"
            "此后该机构不得再颁发此类证书，已颁发证书是否有效以“证书状态”为准"
        ) % {
            "org": org,
            "day": day,
            "filing": filing.number,
            "now": filing.get_status_display(),
            "since": _filing_since(filing),
        }
        return Check(True, label, detail, "warn", _("通过")), filing.number
    detail = _(
        "未查到%(org)s在发证日期（%(day)s）覆盖该职业（工种）和等级的有效备案，请向当地人力资源社会保障部门核实"
    ) % {
        "org": org,
        "day": day,
    }
    return Check(False, label, detail, "bad", _("未通过")), ""


def _filing_active_at_issue(filing: Filing, certificate: Certificate) -> bool:
    # A corrected version is a new row created at correction time: the first issue is what counts.
    first = (
        Certificate.objects.filter(number=certificate.number).order_by("version").values_list("issued_at", flat=True)
    ).first()
    issued_at = min(filter(None, (first, certificate.issued_at)), default=None)
    if issued_at is None:
        return False
    record = filing.history.filter(history_date__lte=issued_at).order_by("-history_date").first()
    return (
        record is not None
        and record.status == Filing.Status.ACTIVE
        and record.valid_from <= certificate.issue_date <= record.valid_until
    )


def _filing_since(filing: Filing) -> str:
    if filing.status in (Filing.Status.SUSPENDED, Filing.Status.REVOKED) and filing.status_changed_at:
        return _day(filing.status_changed_at)
    return _day(filing.valid_until + dt.timedelta(days=1))


def _banner(verification: Verification) -> tuple[str, str]:
    facts = verification.facts
    if verification.result == VALID:
        if not verification.issuer.ok:
            return _("证书有效"), _("证书状态有效，但发证机构备案未能核实，请向当地人力资源社会保障部门核实")
        return _("证书有效"), _("经核验，该证书由%(org)s颁发，真实有效") % {"org": facts["organization"]}
    if verification.result == REVOKED:
        return _("证书已撤销"), _("撤销日期：%(day)s　原因类别：%(category)s") % {
            "day": _day(facts["revoked_at"]),
            "category": facts["reason_category_label"] or _("其他原因"),
        }
    if verification.result == SUSPENDED:
        return _("证书已暂停"), _("自%(day)s起暂停；暂停期间不能作为有效证书使用，请向发证机构了解情况") % {
            "day": _day(facts["status_changed_at"])
        }
    if verification.result == REPLACED:
        return _("证书已更正"), _("本二维码对应旧版本，请以现行第 %(v)d 版为准（现行版本：%(status)s）") % {
            "v": verification.certificate.version,
            "status": verification.certificate.get_status_display(),
        }
    return _("未查询到该证书或校验未通过"), _("请核对证书编号、姓名，或重新扫描证书上的二维码")


# --- small helpers ------------------------------------------------------------------------------


def _normalised_number(text: str) -> str | None:
    if not isinstance(text, str) or len(text) > _MAX_INPUT:
        return None
    number = numbering.normalise_number(text)
    if numbering.validate_number(number):
        return None
    return number


def _plausible(text: str) -> bool:
    return isinstance(text, str) and 0 < len(text) <= _MAX_INPUT


def same_text(a: str, b: str) -> bool:
    # compare_digest refuses non-ASCII str, and names are Chinese: compare the UTF-8 bytes.
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _versions(number: str) -> list[Certificate]:
    return list(
        Certificate.objects.filter(number=number)
        .select_related("person", "organization", "occupation", "work_type")
        .order_by("-version")
    )


def _current_of(versions: list[Certificate]) -> Certificate | None:
    return next((v for v in versions if v.status != Certificate.Status.REPLACED), None)


def _signature_holds(certificate: Certificate, *, signature: str, key_id: str, version: int = PAYLOAD_VERSION) -> bool:
    try:
        payload = payload_of(certificate, version=version)
    except Exception:  # an undecryptable ID number or a broken stored field: not verifiable
        logger.exception("certificate %s: payload cannot be rebuilt", certificate.number)
        return False
    if certificate_keyring().verify(kid=key_id, payload=payload, signature=signature):
        return True
    # The stored signature was chosen by equality, so this means stored fields or keys changed.
    logger.error(
        "certificate %s v%s: stored fields do not match their signature", certificate.number, certificate.version
    )
    return False


def _changed_fields(old: Certificate, new: Certificate) -> list[str]:
    return [_(label) for name, label in _CORRECTABLE_LABELS.items() if getattr(old, name) != getattr(new, name)]


def _day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return _("%(y)d年%(m)d月%(d)d日") % {"y": value.year, "m": value.month, "d": value.day}
