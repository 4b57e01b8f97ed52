"""Test data built through the services, so the audit trail in tests is the real one."""

from __future__ import annotations

import itertools
import random

from accounts.models import Organization, User
from accounts.roles import BureauRole, Role
from accounts.services import bureau_user_create, membership_add, organization_create
from audit.actors import system_actor
from lib.identifiers import CREDIT_CODE_ALPHABET, credit_code_check_char

PASSWORD = "Test@2026pw"
_seq = itertools.count(1)


def valid_credit_code(rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    body = "91441900" + "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(9))
    return body + credit_code_check_char(body)


def bureau_user(role: str = BureauRole.BUREAU_ADMIN, username: str | None = None) -> User:
    n = next(_seq)
    return bureau_user_create(
        actor=system_actor("tests"),
        username=username or f"{role}_{n}",
        full_name=f"局方{n}",
        password=PASSWORD,
        role=role,
        must_change_password=False,
    )


def organization(*, actor: User | None = None, name: str | None = None, **extra) -> Organization:
    n = next(_seq)
    actor = actor or User.objects.filter(groups__name=BureauRole.BUREAU_ADMIN, is_active=True).first() or bureau_user()
    return organization_create(
        actor=actor,
        name=name or f"东莞市测试{n}号制造有限公司",
        credit_code=extra.pop("credit_code", None) or valid_credit_code(random.Random(n)),
        province_sequence=extra.pop("province_sequence", None) or f"{900000 + n:06d}",
        **extra,
    )


def member(
    org: Organization, role: str = Role.VIEWER, *, actor: User | None = None, username: str | None = None
) -> User:
    n = next(_seq)
    actor = actor or User.objects.filter(groups__name=BureauRole.BUREAU_ADMIN, is_active=True).first() or bureau_user()
    membership = membership_add(
        actor=actor,
        organization=org,
        username=username or f"{role}_{n}",
        full_name=f"成员{n}",
        role=role,
        password=PASSWORD,
        must_change_password=False,
    )
    return membership.user
