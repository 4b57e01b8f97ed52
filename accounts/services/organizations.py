"""Organisations (the tenants): created, edited and suspended by the bureau."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.permissions import (
    ORGANIZATION_CREATE_REFUSED,
    ORGANIZATION_EDIT_REFUSED,
    ORGANIZATION_STATUS_REFUSED,
    can_manage_organizations,
    require,
)
from accounts.roles import Role
from accounts.services.common import _save_validated, _snapshot
from accounts.services.members import _membership_create, _user_for_membership
from audit.events import EventType
from audit.history import save_tracked
from audit.services import audit_append
from lib.chain import diff

# Also the fields of the bureau's organisation form, in the order it shows them.
ORGANIZATION_EDITABLE_FIELDS = (
    "name",
    "credit_code",
    "kind",
    "number_type",
    "region_code",
    "region_name",
    "ministry_code",
    "province_sequence",
    "contact_name",
    "contact_phone",
    "address",
)


# --- organisations ----------------------------------------------------------------------
@transaction.atomic
def organization_create(
    *,
    actor: User,
    name: str,
    credit_code: str,
    province_sequence: str,
    kind: str = Organization.Kind.ENTERPRISE,
    region_code: str = "",
    region_name: str = "",
    ministry_code: str = "0000",
    number_type: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    address: str = "",
    admin_username: str = "",
    admin_full_name: str = "",
    admin_password: str = "",
) -> Organization:
    require(can_manage_organizations(actor), ORGANIZATION_CREATE_REFUSED)
    org = Organization(
        name=name.strip(),
        credit_code=credit_code.strip().upper(),
        kind=kind,
        province_sequence=province_sequence.strip(),
        ministry_code=ministry_code.strip() or "0000",
        number_type=number_type
        or (
            Organization.NumberType.EMPLOYER if kind == Organization.Kind.ENTERPRISE else Organization.NumberType.SOCIAL
        ),
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
        address=address.strip(),
    )
    if region_code:
        org.region_code = region_code.strip()
    if region_name:
        org.region_name = region_name.strip()
    _save_validated(org, actor=actor)
    admin = None
    if admin_username:
        admin, _created = _user_for_membership(
            username=admin_username, full_name=admin_full_name, phone="", password=admin_password
        )
        _membership_create(actor=actor, organization=org, user=admin, role=Role.ORG_ADMIN)
    audit_append(
        actor=actor,
        event_type=EventType.ORGANIZATION_CREATED,
        target=org,
        organization=org,
        data={"new": _snapshot(org, ORGANIZATION_EDITABLE_FIELDS), "org_admin": admin.username if admin else None},
    )
    return org


@transaction.atomic
def organization_update(*, actor: User, organization: Organization, reason: str = "", **changes) -> Organization:
    require(can_manage_organizations(actor), ORGANIZATION_EDIT_REFUSED)
    unknown = set(changes) - set(ORGANIZATION_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    org = Organization.objects.select_for_update(of=("self",)).get(pk=organization.pk)
    before = _snapshot(org, ORGANIZATION_EDITABLE_FIELDS)
    for field, value in changes.items():
        setattr(org, field, value.strip() if isinstance(value, str) else value)
    org.credit_code = org.credit_code.upper()
    changed = diff(before, _snapshot(org, ORGANIZATION_EDITABLE_FIELDS))
    if not changed:
        raise ValidationError(_("没有需要保存的修改"))
    _save_validated(org, actor=actor, reason=reason)
    audit_append(
        actor=actor,
        event_type=EventType.ORGANIZATION_UPDATED,
        target=org,
        organization=org,
        data={"changes": changed},
        reason=reason,
    )
    return org


@transaction.atomic
def organization_set_status(*, actor: User, organization: Organization, status: str, reason: str) -> Organization:
    require(can_manage_organizations(actor), ORGANIZATION_STATUS_REFUSED)
    if status not in Organization.Status.values:
        raise ValidationError(_("未知的机构状态"))
    reason = (reason or "").strip()
    if status != Organization.Status.ACTIVE and not reason:
        raise ValidationError({"reason": _("暂停或注销评价机构须填写原因")})
    org = Organization.objects.select_for_update(of=("self",)).get(pk=organization.pk)
    if org.status == status:
        raise ValidationError(_("机构已处于该状态"))
    old = org.status
    org.status, org.status_reason = status, reason
    save_tracked(org, actor=actor, reason=reason, fields=["status", "status_reason", "updated_at"])
    audit_append(
        actor=actor,
        event_type=EventType.ORGANIZATION_STATUS_CHANGED,
        target=org,
        organization=org,
        data={"changes": {"status": [old, status]}},
        reason=reason,
    )
    return org
