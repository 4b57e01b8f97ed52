"""Revocation by request and approval: revocation cannot be undone, so an organisation's revocation
is a request that a second person — a reviewer or the organisation's admin, never the requester —
approves or refuses, as a 定级 application is (SKILLCERT_REVOCATION_NEEDS_APPROVAL, on by default).
The bureau's own revocation stays one step (``certificates.certificate_revoke``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import require
from audit.events import EventType
from audit.history import save_tracked
from audit.services import audit_append
from certify.models import Certificate, RevocationRequest
from certify.permissions import (
    CHANGE_CERTIFICATES_REFUSED,
    REVOCATION_DECIDE_REFUSED,
    can_change_certificates,
    can_decide_revocations,
)
from certify.services.certificates import _change, _locked, _reason, revocable, revocation_needs_approval

R = RevocationRequest.Status


@transaction.atomic
def revocation_request(*, actor: User, certificate: Certificate, category: str, reason: str) -> RevocationRequest:
    """Ask for a certificate to be revoked; nothing changes on it until a second person approves."""
    certificate = _locked(certificate)
    require(can_change_certificates(actor, certificate.organization), CHANGE_CERTIFICATES_REFUSED)
    if not revocation_needs_approval(actor, certificate.organization):
        raise ValidationError(_("撤销证书无须申请，请直接撤销"))
    revocable(certificate, category)
    reason = _reason(reason, _("申请撤销证书"))
    if RevocationRequest.objects.filter(certificate=certificate, status=R.PENDING).exists():
        raise ValidationError(_("该证书已有待审批的撤销申请"))
    request = RevocationRequest(
        certificate=certificate,
        organization=certificate.organization,
        category=category,
        reason=reason,
        requested_by=actor,
    )
    save_tracked(request, actor=actor, reason=reason)
    audit_append(
        actor=actor,
        event_type=EventType.CERTIFICATE_REVOCATION_REQUESTED,
        target=certificate,
        organization=certificate.organization,
        data={"number": certificate.number, "category": category},
        reason=reason,
    )
    return request


@transaction.atomic
def revocation_decide(*, actor: User, request: RevocationRequest, approve: bool, note: str = "") -> RevocationRequest:
    """Approve (the certificate is revoked now, with the request's category and reason) or refuse
    (with a reason; the certificate stays as it is)."""
    request = RevocationRequest.objects.select_for_update().get(pk=request.pk)
    certificate = _locked(request.certificate)
    require(can_decide_revocations(actor, request.organization), REVOCATION_DECIDE_REFUSED)
    if request.status != R.PENDING:
        raise ValidationError(_("该撤销申请已审批"))
    if request.requested_by_id == actor.pk:
        raise ValidationError(_("撤销申请须由申请人以外的第二人审批"))
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("不批准时须写明理由")})
    if approve:
        revocable(certificate, request.category)
    request.status = R.APPROVED if approve else R.REJECTED
    request.decided_by, request.decided_at, request.decision_note = actor, timezone.now(), note
    save_tracked(request, actor=actor, reason=note, fields=["status", "decided_by", "decided_at", "decision_note"])
    if approve:
        # One event: the revocation itself, naming who asked and who approved.
        _change(
            actor=actor,
            certificate=certificate,
            to=Certificate.Status.REVOKED,
            event_type=EventType.CERTIFICATE_REVOKED,
            reason=request.reason,
            category=request.category,
            extra={"requested_by": request.requested_by.get_full_name(), "approval_note": note},
        )
        return request
    audit_append(
        actor=actor,
        event_type=EventType.CERTIFICATE_REVOCATION_REFUSED,
        target=certificate,
        organization=certificate.organization,
        data={"number": certificate.number, "category": request.category},
        reason=note,
    )
    return request
