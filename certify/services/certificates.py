"""A certificate's life after issue: revoke, suspend and reinstate, re-issue a lost one (补发), correct
a wrong field (a new version; the old QR then reports "replaced"), the organisation's seal."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organization, User
from accounts.permissions import can_view_org, can_view_personal_data, is_bureau, require
from accounts.roles import BureauRole
from audit.events import EventType
from audit.history import save_tracked
from audit.services import audit_append
from certify import dispatch
from certify.conf import conf
from certify.models import Certificate, IssuanceBatch, Seal
from certify.permissions import (
    CHANGE_STATUS_REFUSED,
    CORRECT_REFUSED,
    SEAL_REFUSED,
    can_change_certificates,
    can_issue,
    can_upload_seal,
)
from certify.services.payload import EMPTY_WORK_TYPE, sign
from certify.services.rendering import certificate_view_copy_pdf
from lib.chain import diff
from lib.images import ImageRejected, normalise_seal

C = Certificate.Status
REVOCATION_NEEDS_REQUEST = gettext_lazy("本机构撤销证书须经审核人或机构管理员批准，请提交撤销申请")
CORRECTABLE = ("holder_name", "work_type_name")


def _locked(certificate: Certificate) -> Certificate:
    return (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("organization", "person")
        .get(pk=certificate.pk)
    )


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("%(what)s须填写原因") % {"what": what}})
    return reason


def _current(certificate: Certificate) -> None:
    if certificate.status == C.REPLACED:
        raise ValidationError(_("该证书已更正，请在最新版本上操作"))


def _change(
    *,
    actor,
    certificate: Certificate,
    to: str,
    event_type: EventType,
    reason: str,
    category: str = "",
    extra: dict | None = None,
):
    old = certificate.status
    certificate.status, certificate.status_changed_at = to, timezone.now()
    certificate.revoked_at = certificate.status_changed_at if to == C.REVOKED else None
    certificate.reason_category, certificate.reason = category, reason
    save_tracked(
        certificate,
        actor=actor,
        reason=reason,
        fields=["status", "status_changed_at", "revoked_at", "reason_category", "reason"],
    )
    audit_append(
        actor=actor,
        event_type=event_type,
        target=certificate,
        organization=certificate.organization,
        data={"number": certificate.number, "changes": {"status": [old, to]}, "category": category, **(extra or {})},
        reason=reason,
    )
    return certificate


def revocation_needs_approval(actor: User, organization: Organization) -> bool:
    """Whether ``actor``'s revocation is a request a second person approves (certify.services.revocation):
    an organisation's, while SKILLCERT_REVOCATION_NEEDS_APPROVAL is on; never the bureau's own."""
    return bool(conf("REVOCATION_NEEDS_APPROVAL")) and not is_bureau(actor, BureauRole.BUREAU_ADMIN)


def revocable(certificate: Certificate, category: str) -> None:
    """What stops revoking this certificate now (its request, too)."""
    _current(certificate)
    if certificate.status == C.REVOKED:
        raise ValidationError(_("该证书已撤销"))
    if category not in Certificate.RevokeReason.values:
        raise ValidationError({"category": _("请选择撤销原因类别")})


@transaction.atomic
def certificate_revoke(*, actor: User, certificate: Certificate, category: str, reason: str) -> Certificate:
    """Revoke in one step: the bureau's own revocation, or anyone's while approval is switched off."""
    certificate = _locked(certificate)
    require(can_change_certificates(actor, certificate.organization), _("您没有撤销本机构证书的权限"))
    if revocation_needs_approval(actor, certificate.organization):
        raise ValidationError(REVOCATION_NEEDS_REQUEST)
    revocable(certificate, category)
    return _change(
        actor=actor,
        certificate=certificate,
        to=C.REVOKED,
        event_type=EventType.CERTIFICATE_REVOKED,
        reason=_reason(reason, _("撤销证书")),
        category=category,
    )


@transaction.atomic
def certificate_suspend(*, actor: User, certificate: Certificate, reason: str) -> Certificate:
    certificate = _locked(certificate)
    require(can_change_certificates(actor, certificate.organization), CHANGE_STATUS_REFUSED)
    _current(certificate)
    if certificate.status != C.VALID:
        raise ValidationError(_("只有有效的证书可以暂停"))
    return _change(
        actor=actor,
        certificate=certificate,
        to=C.SUSPENDED,
        event_type=EventType.CERTIFICATE_SUSPENDED,
        reason=_reason(reason, _("暂停证书")),
    )


@transaction.atomic
def certificate_reinstate(*, actor: User, certificate: Certificate, reason: str) -> Certificate:
    certificate = _locked(certificate)
    require(can_change_certificates(actor, certificate.organization), CHANGE_STATUS_REFUSED)
    if certificate.status != C.SUSPENDED:
        raise ValidationError(_("只有暂停的证书可以恢复"))
    return _change(
        actor=actor,
        certificate=certificate,
        to=C.VALID,
        event_type=EventType.CERTIFICATE_REINSTATED,
        reason=_reason(reason, _("恢复证书")),
    )


@transaction.atomic
def certificate_reissue(*, actor: User, certificate: Certificate, reason: str) -> Certificate:
    """补发 a lost certificate: same number and signature (its QR stays valid), a new print serial."""
    certificate = _locked(certificate)
    require(can_change_certificates(actor, certificate.organization), _("您没有补发本机构证书的权限"))
    _current(certificate)
    if certificate.status != C.VALID:
        raise ValidationError(_("只有有效的证书可以补发"))
    reason = _reason(reason, _("补发证书"))
    old_serial = certificate.print_serial
    certificate.print_serial += 1
    certificate.pdf_status, certificate.pdf_error, certificate.pdf_sha256 = Certificate.PdfStatus.PENDING, "", ""
    certificate.pdf.name = ""
    fields = ["print_serial", "pdf_status", "pdf_error", "pdf_sha256", "pdf"]
    data = {"number": certificate.number, "changes": {"print_serial": [old_serial, certificate.print_serial]}}
    if not certificate.check_code_token:
        # A version-1 certificate gets its 查验码 now: the new paper carries a version-2 signature,
        # and the first signature is kept so the QR on the lost paper still verifies.
        certificate.legacy_signature, certificate.legacy_key_id = certificate.signature, certificate.key_id
        sign(certificate)
        fields += ["check_code_token", "legacy_signature", "legacy_key_id", "signature", "key_id"]
        data["check_code_added"] = True
    save_tracked(certificate, actor=actor, reason=reason, fields=fields)
    audit_append(
        actor=actor,
        event_type=EventType.CERTIFICATE_REISSUED,
        target=certificate,
        organization=certificate.organization,
        data=data,
        reason=reason,
    )
    dispatch.render_certificates([certificate.pk], None)
    return certificate


@transaction.atomic
def certificate_correct(*, actor: User, certificate: Certificate, reason: str, **changes) -> Certificate:
    """A wrong printed field: a new version with the same number and a new signature; the old
    version is marked replaced, so its QR reports the correction."""
    certificate = _locked(certificate)
    require(can_change_certificates(actor, certificate.organization), CORRECT_REFUSED)
    _current(certificate)
    if certificate.status == C.REVOKED:
        raise ValidationError(_("已撤销的证书不能更正"))
    reason = _reason(reason, _("更正证书"))
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise ValueError(f"not correctable: {sorted(unknown)}")
    cleaned = {k: " ".join((v or "").split()) for k, v in changes.items()}
    if "work_type_name" in cleaned and not cleaned["work_type_name"]:
        cleaned["work_type_name"] = EMPTY_WORK_TYPE
    if "holder_name" in cleaned and not cleaned["holder_name"]:
        raise ValidationError({"holder_name": _("请填写姓名")})
    before = {f: getattr(certificate, f) for f in CORRECTABLE}
    after = dict(before, **cleaned)
    changed = diff(before, after)
    if not changed:
        raise ValidationError(_("没有需要更正的内容"))
    new = Certificate.objects.get(pk=certificate.pk)
    new.pk = None
    new._state.adding = True
    new.version = certificate.version + 1
    for field, value in after.items():
        setattr(new, field, value)
    new.status, new.status_changed_at, new.revoked_at, new.reason_category, new.reason = C.VALID, None, None, "", ""
    new.correction_note = reason
    new.pdf.name, new.pdf_sha256, new.pdf_status, new.pdf_error = "", "", Certificate.PdfStatus.PENDING, ""
    new.upload_status, new.upload_note, new.exported_at = Certificate.UploadStatus.PENDING, "", None
    new.print_serial, new.issued_by = 1, actor
    if "holder_name" in cleaned and certificate.person.name != cleaned["holder_name"]:
        person = certificate.person
        person.name = cleaned["holder_name"]
        save_tracked(person, actor=actor, reason=reason, fields=["name"])
    new.photo.name = certificate.photo.name
    # New paper, new 查验码; the replaced version's QR and code no longer open the holder's copy.
    new.check_code_token, new.legacy_signature, new.legacy_key_id = "", "", ""
    sign(new)
    save_tracked(new, actor=actor)
    certificate.status, certificate.status_changed_at = C.REPLACED, timezone.now()
    save_tracked(certificate, actor=actor, reason=reason, fields=["status", "status_changed_at"])
    audit_append(
        actor=actor,
        event_type=EventType.CERTIFICATE_CORRECTED,
        target=new,
        organization=certificate.organization,
        data={"number": certificate.number, "version": new.version, "replaces": certificate.pk, "changes": changed},
        reason=reason,
    )
    dispatch.render_certificates([new.pk], None)
    return new


@transaction.atomic
def seal_upload(*, actor: User, organization: Organization, data: bytes) -> Seal:
    """The seal printed on the organisation's certificates: checked and normalised with Pillow."""
    require(can_upload_seal(actor, organization), SEAL_REFUSED)
    try:
        png = normalise_seal(data)
    except ImageRejected as exc:
        raise ValidationError({"image": exc.message}) from exc
    seal = Seal.objects.select_for_update(of=("self",)).filter(organization=organization).first() or Seal(
        organization=organization
    )
    old = seal.image.name if seal.pk else ""
    seal.image.save(f"seal-{organization.pk}.png", ContentFile(png), save=False)
    seal.uploaded_by = actor
    save_tracked(seal, actor=actor)
    audit_append(
        actor=actor,
        event_type=EventType.SEAL_UPLOADED,
        target=seal,
        organization=organization,
        data={"changes": {"image": [old, seal.image.name]}, "bytes": len(png)},
    )
    return seal


# --- downloads ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Download:
    """What a download hands over: a stored file or bytes rendered now, and its name."""

    content: File | bytes
    filename: str
    view_only: bool = False


def certificate_download(*, actor: User, certificate: Certificate) -> Download:
    """The certificate's PDF for a signed-in reader, with one audit event.

    The full PDF carries the holder's full ID number and the 查验码, so it goes only to roles with
    the personal-data right, and is audited as a personal-data view. Everyone else who may read the
    organisation's records gets a copy rendered now with the ID masked, no 查验码 and the mark 仅供查阅.
    """
    organization = certificate.organization
    require(can_view_org(actor, organization), _("您没有查看本机构证书的权限"))
    if certificate.pdf_status != Certificate.PdfStatus.DONE or not certificate.pdf:
        raise ValidationError(_("证书文件尚未生成"))
    full = can_view_personal_data(actor, organization)
    data = {"number": certificate.number, "version": certificate.version}
    with transaction.atomic():
        if full:
            event, data = EventType.PERSONAL_DATA_VIEWED, {"field": "certificate_pdf", **data}
        else:
            event, data = EventType.CERTIFICATE_DOWNLOADED, {**data, "view_only": True}
        audit_append(actor=actor, event_type=event, target=certificate, organization=organization, data=data)
    if full:
        return Download(content=certificate.pdf.open("rb"), filename=f"{certificate.number}.pdf")
    return Download(
        content=certificate_view_copy_pdf(certificate),
        filename=f"{certificate.number}-{_('仅供查阅')}.pdf",
        view_only=True,
    )


def batch_download(*, actor: User, batch: IssuanceBatch) -> Download:
    """A batch's combined print file: every holder's full ID, so a personal-data view."""
    organization = batch.organization
    require(
        can_issue(actor, organization) and can_view_personal_data(actor, organization),
        _("您没有下载本机构合并打印文件的权限"),
    )
    if not batch.combined_pdf:
        raise ValidationError(_("合并打印文件尚未生成"))
    with transaction.atomic():
        audit_append(
            actor=actor,
            event_type=EventType.PERSONAL_DATA_VIEWED,
            target=batch,
            organization=organization,
            data={"field": "combined_pdf", "plan": batch.plan.number},
        )
    return Download(content=batch.combined_pdf.open("rb"), filename=f"{batch.plan.number}-certificates.pdf")
