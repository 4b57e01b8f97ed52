"""Workflow fixtures built through the services: catalogue, filings, standards."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.services import system_actor
from certify.models import Occupation
from certify.services.catalogue import catalogue_import_builtin
from certify.services.filings import ScopeSpec, filing_create
from certify.services.standards import standard_draft_create, standard_publish


def occ(code: str) -> Occupation:
    return Occupation.objects.get(code=code)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def catalogue(world):
    catalogue_import_builtin(actor=world.bureau_admin)
    return Occupation.objects.all()


@pytest.fixture
def filings(world, catalogue, today):
    """org A: 车工 levels 5–3 (all 工种) and 电工/维修电工 levels 4–3; org B: 焊工 levels 5–4."""
    a = filing_create(
        actor=world.bureau_admin,
        organization=world.org_a,
        number="东人社评备〔2025〕001号",
        valid_from=today - dt.timedelta(days=365),
        valid_until=today + dt.timedelta(days=730),
        scopes=[
            ScopeSpec(occupation=occ("6-18-01-01"), work_type=None, levels=(5, 4, 3)),
            ScopeSpec(occupation=occ("6-31-01-03"), work_type="维修电工", levels=(4, 3)),
        ],
    )
    b = filing_create(
        actor=world.bureau_admin,
        organization=world.org_b,
        number="东人社评备〔2025〕002号",
        valid_from=today - dt.timedelta(days=365),
        valid_until=today + dt.timedelta(days=730),
        scopes=[ScopeSpec(occupation=occ("6-18-02-04"), work_type=None, levels=(5, 4))],
    )
    return a, b


@pytest.fixture
def draft(world, filings):
    """An enterprise standard draft of org A for 车工, levels 4 and 3."""
    return standard_draft_create(
        actor=world.a_operator,
        organization=world.org_a,
        occupation=occ("6-18-01-01"),
        work_type="数控车工",
        title="甲机械数控车工企业评价规范",
        levels=[4, 3],
    )


@pytest.fixture
def published(world, draft):
    return standard_publish(actor=world.a_operator, version=draft)


@pytest.fixture
def system():
    return system_actor("tests")
