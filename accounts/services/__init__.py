"""Writes for users, organisations and memberships. Each checks permission, writes, and appends
one audit event in the same transaction. Import them from here: ``from accounts.services import …``."""

from accounts.services.members import (
    membership_add,
    membership_change_role,
    membership_invitation_accept,
    membership_invitation_cancel,
    membership_invitation_decline,
    membership_remove,
)
from accounts.services.organizations import (
    ORGANIZATION_EDITABLE_FIELDS,
    organization_create,
    organization_set_status,
    organization_update,
)
from accounts.services.security import (
    login_unlock_address,
    login_unlock_user,
    two_factor_disable,
    two_factor_enable,
    two_factor_reset,
    two_factor_verify,
)
from accounts.services.users import (
    audit_auth_event,
    bureau_user_create,
    user_change_password,
)

__all__ = [
    "ORGANIZATION_EDITABLE_FIELDS",
    "audit_auth_event",
    "bureau_user_create",
    "login_unlock_address",
    "login_unlock_user",
    "membership_add",
    "membership_change_role",
    "membership_invitation_accept",
    "membership_invitation_cancel",
    "membership_invitation_decline",
    "membership_remove",
    "organization_create",
    "organization_set_status",
    "organization_update",
    "two_factor_disable",
    "two_factor_enable",
    "two_factor_reset",
    "two_factor_verify",
    "user_change_password",
]
