"""Workflow fixtures built through the services: catalogue, filings, standards, plans, certificates.

Imported by tests/conftest.py, so every test package (certify, audit, e2e) can use them.
"""

import datetime as dt

import pytest
from django.utils import timezone

from audit.actors import system_actor
from certify.models import AssessmentPlan, Occupation
from certify.scenarios import plan_walk
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


# --- plans ------------------------------------------------------------------------------------
def valid_id(body17: str) -> str:
    from lib.identifiers import id_number_check_char

    return body17 + id_number_check_char(body17)


def candidate_ids(n: int, *, start: int = 1) -> list[str]:
    """n distinct valid resident ID numbers (Dongguan, born 1990–1999)."""
    ids = []
    for i in range(start, start + n):
        body = f"441900{1990 + i % 10}{(i % 12) + 1:02d}{(i % 28) + 1:02d}{i % 1000:03d}"
        ids.append(valid_id(body))
    return ids


def candidate(name: str, id_number: str, **extra):
    from decimal import Decimal

    from certify.services.enrolments import CandidateInput

    extra.setdefault("years_in_occupation", Decimal("7"))
    return CandidateInput(name=name, id_number=id_number, **extra)


@pytest.fixture
def plan_factory(world, published, today):
    """``plan_factory(**fields)`` → a draft plan of org A for level 4 of the published standard."""
    from certify.services import calendar
    from certify.services.plans import plan_create

    def make(**fields):
        fields.setdefault("exam_date", calendar.add_working_days(today, 10))
        fields.setdefault("venue", "甲机械二号厂房实训车间")
        fields.setdefault("level", 4)
        return plan_create(actor=world.a_operator, organization=world.org_a, standard_version=published, **fields)

    return make


@pytest.fixture
def assessors(world):
    """Three more assessors of org A besides ``a_assessor`` (five in all, for panels of 3 and 5)."""
    from accounts.roles import Role
    from tests import factories

    extra = [
        factories.member(world.org_a, Role.ASSESSOR, actor=world.bureau_admin, username=f"a_assessor{i}")
        for i in (2, 3, 4, 5)
    ]
    return [world.a_assessor, *extra]


@pytest.fixture
def ready_plan(world, plan_factory, assessors):
    """A draft plan with 4 eligible candidates, 3 practical assessors and 2 invigilators, all declared:
    it can be filed."""
    from certify.services.enrolments import enrolment_register
    from certify.services.plans import assessor_add, recusal_declare

    plan = plan_factory()
    names = ["张伟", "王芳", "李娜", "刘洋"]
    for name, number in zip(names, candidate_ids(4), strict=True):
        enrolment_register(actor=world.a_operator, plan=plan, data=candidate(name, number))
    panel = []
    for user in assessors[:3]:
        panel.append(assessor_add(actor=world.a_operator, plan=plan, user=user, duty="practical", grade="assessor"))
    for user in assessors[3:5]:
        panel.append(assessor_add(actor=world.a_operator, plan=plan, user=user, duty="theory", grade="assessor"))
    for member in panel:
        recusal_declare(actor=member.user, assessor=member, relations=[])
    plan.refresh_from_db()
    return plan


@pytest.fixture
def scoring_plan(world, ready_plan, today):
    """The ready plan filed today, started on its exam date and in scoring."""
    return plan_walk(ready_plan, operator=world.a_operator, until=AssessmentPlan.Status.SCORING, filed_on=today)


def score_everyone(plan, values: dict[str, tuple]):
    """values: candidate name → (theory, practical) given by every assessor of that duty."""
    from certify.models import PlanAssessor
    from certify.services.scoring import score_submit

    for enrolment in plan.enrolments.select_related("person"):
        theory, practical = values[enrolment.person.name]
        for member in PlanAssessor.objects.filter(plan=plan).select_related("user"):
            if member.duty == "practical":
                score_submit(actor=member.user, enrolment=enrolment, component="practical", value=practical)
        marker = PlanAssessor.objects.filter(plan=plan, duty="theory").first().user
        score_submit(actor=marker, enrolment=enrolment, component="theory", value=theory)


# --- certificates -------------------------------------------------------------------------------
def photo_bytes() -> bytes:
    from pathlib import Path

    return (Path(__file__).resolve().parents[1] / "static" / "certify" / "example" / "photo.jpg").read_bytes()


# (theory, practical) per candidate: 张伟, 王芳 and 刘洋 pass, 李娜 fails the practical.
CLOSED_PLAN_MARKS = {"张伟": (80, 82), "王芳": (75, 70.5), "李娜": (65, 59.9), "刘洋": (90, 88)}


@pytest.fixture
def closed_plan(world, ready_plan, today, monkeypatch):
    """The ready plan walked to closed (``certify.scenarios.plan_walk``): filed today, scored with
    ``CLOSED_PLAN_MARKS``, results approved, publicity from the exam date, closed the day after it
    ended. Everyone has a photo."""
    closed = plan_walk(
        ready_plan,
        operator=world.a_operator,
        reviewer=world.a_reviewer,
        until=AssessmentPlan.Status.CLOSED,
        filed_on=today,
        score=lambda plan: score_everyone(plan, CLOSED_PLAN_MARKS),
        photo=photo_bytes(),
    )
    # The clock moves past the publicity: from here on "today" is the day after it ended.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: closed.publicity_end + dt.timedelta(days=1))
    return closed


@pytest.fixture
def issued(world, closed_plan, django_capture_on_commit_callbacks):
    """Certificates of the closed plan, issued through the batch job with their PDFs rendered."""
    from certify.models import Certificate
    from certify.services.issuing import issuance_request

    with django_capture_on_commit_callbacks(execute=True):
        issuance_request(actor=world.a_operator, plan=closed_plan)
    return list(Certificate.objects.filter(plan=closed_plan).order_by("number"))


@pytest.fixture
def certs(world, closed_plan, django_capture_on_commit_callbacks, monkeypatch):
    """The closed plan's three certificates, issued through the batch job, without rendering PDFs."""
    from certify import dispatch
    from certify.models import Certificate
    from certify.services.issuing import issuance_request

    monkeypatch.setattr(dispatch, "render_certificates", lambda ids, batch_id: None)
    with django_capture_on_commit_callbacks(execute=True):
        issuance_request(actor=world.a_operator, plan=closed_plan)
    certificates = list(Certificate.objects.filter(plan=closed_plan).select_related("person").order_by("number"))
    assert len(certificates) == 3
    return certificates


@pytest.fixture
def cert(certs):
    """The first of ``certs``."""
    return certs[0]


@pytest.fixture
def frozen_clock(monkeypatch):
    """Rate-limit windows that cannot roll over in the middle of a test."""
    from types import SimpleNamespace

    from lib import ratelimit

    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))


def revoke_by_request(world, *, certificate, category: str, reason: str):
    """An organisation's revocation as it goes by default (SKILLCERT_REVOCATION_NEEDS_APPROVAL): the
    operator asks, the reviewer approves. The certificate, revoked."""
    from certify.services.revocation import revocation_decide, revocation_request

    request = revocation_request(actor=world.a_operator, certificate=certificate, category=category, reason=reason)
    revocation_decide(actor=world.a_reviewer, request=request, approve=True)
    certificate.refresh_from_db()
    return certificate
