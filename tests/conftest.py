"""Personas in two tenants, built once per test through the services.

org A: admin, operator, assessor, reviewer, viewer; org B: admin and operator (the outsiders);
the bureau: admin, auditor, supervisor; and anonymous.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from accounts.roles import BureauRole, Role
from audit.models import AuditEvent
from tests import factories


@pytest.fixture(autouse=True)
def _fast_and_clean(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    # A request in English leaves English active in the thread; every test starts in Chinese.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
    cache.clear()


@pytest.fixture
def world(db):
    bureau_admin = factories.bureau_user(BureauRole.BUREAU_ADMIN, "bureau_admin")
    bureau_auditor = factories.bureau_user(BureauRole.BUREAU_AUDITOR, "bureau_auditor")
    supervisor = factories.bureau_user(BureauRole.SUPERVISOR, "supervisor")
    org_a = factories.organization(actor=bureau_admin, name="东莞市甲机械有限公司")
    org_b = factories.organization(actor=bureau_admin, name="东莞市乙电子有限公司")
    w = SimpleNamespace(
        bureau_admin=bureau_admin,
        bureau_auditor=bureau_auditor,
        supervisor=supervisor,
        org_a=org_a,
        org_b=org_b,
    )
    for role in Role:
        setattr(w, f"a_{role.value}", factories.member(org_a, role, actor=bureau_admin, username=f"a_{role.value}"))
    w.b_org_admin = factories.member(org_b, Role.ORG_ADMIN, actor=bureau_admin, username="b_org_admin")
    w.b_operator = factories.member(org_b, Role.OPERATOR, actor=bureau_admin, username="b_operator")
    return w


@pytest.fixture
def as_user(db):
    """``as_user(user)`` → a test client signed in as that user (``None`` → anonymous)."""

    def make(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


class AuditProbe:
    """Counts the audit events appended after it was created."""

    def __init__(self):
        self.start = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    def events(self, *, include_auth: bool = False):
        qs = AuditEvent.objects.filter(seq__gt=self.start).order_by("seq")
        if not include_auth:
            qs = qs.exclude(event_type__startswith="auth.")
        return list(qs)


@pytest.fixture
def audit_probe(db):
    return AuditProbe


# Workflow fixtures (catalogue, filings, standards, plans, certificates) for every test package.
from tests.workflow import *  # noqa: E402, F403


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's database set-up, plus: on PostgreSQL, the TEST database (only it) lets
    TRUNCATE through the append-only triggers, because pytest-django empties tables with TRUNCATE
    after every transactional test (audit/triggers.py, docs/audit.md)."""
    from django.db import connections

    with django_db_blocker.unblock():
        for conn in connections.all():
            if conn.vendor != "postgresql":
                continue
            name = conn.settings_dict["NAME"]
            if not name.startswith("test_"):
                raise RuntimeError(f"refusing to allow TRUNCATE on {name!r}: not a test database")
            with conn.cursor() as cursor:
                cursor.execute(f"ALTER DATABASE {conn.ops.quote_name(name)} SET skillcert.allow_truncate = 'on'")
                cursor.execute("SET skillcert.allow_truncate = 'on'")
