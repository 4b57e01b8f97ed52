"""The one scenario builder: organisations, their people, filings and standards, and plans walked
through their whole life — used by the demo, the benchmarks (bench/) and the tests.

Everything is made by the same service calls a clerk's clicks end in, so every row has its
history and its audit event. Rosters and score sheets go in through ``roster_import`` and
``scores_import`` (CSV), which is what makes a plan of a few hundred candidates quick to build.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from accounts.models import Organization, User
from accounts.roles import BureauRole, Role
from accounts.services import bureau_user_create, membership_add, organization_create
from audit.actors import system_actor
from certify.models import AssessmentPlan, Enrolment, Occupation
from certify.services import calendar
from certify.services.catalogue import catalogue_import_builtin
from certify.services.certificates import seal_upload
from certify.services.enrolments import enrolment_set_photo
from certify.services.filings import ScopeSpec, filing_create
from certify.services.imports import roster_import, scores_import
from certify.services.plans import (
    assessor_add,
    plan_approve_results,
    plan_begin_scoring,
    plan_close,
    plan_create,
    plan_file,
    plan_start,
    plan_start_publicity,
    recusal_declare,
)
from certify.services.standards import standard_draft_create, standard_publish
from lib import pii
from lib.identifiers import CREDIT_CODE_ALPHABET, credit_code_check_char, id_number_check_char
from lib.seal_art import draw_seal

PASSWORD = "Bench@2026pw"  # noqa: S105 - accounts of throw-away benchmark and test databases
TURNER = "6-18-01-01"  # 车工, in the built-in catalogue
ROOT = Path(__file__).resolve().parent.parent
PHOTO = ROOT / "static" / "certify" / "example" / "photo.jpg"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅飞鹏辉晓燕海波宇浩然嘉俊凯"

_serial = itertools.count(1)


def unique() -> int:
    """A number never handed out before in this run (usernames, ID numbers, sequences)."""
    return next(_serial)


def chinese_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def resident_id(index: int) -> str:
    """A valid 18-character resident ID number, different for every index below 12,000,000."""
    born = dt.date(1970, 1, 1) + dt.timedelta(days=index % 12000)
    body = f"441900{born:%Y%m%d}{(index // 12000) % 1000:03d}"
    return body + id_number_check_char(body)


def credit_code(rng: random.Random) -> str:
    body = "91441900" + "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(9))
    return body + credit_code_check_char(body)


@dataclass
class OrgSetup:
    """An organisation with its people, its filing and a published standard (levels 5–3) for each
    filed occupation; ``standard`` is the first one's (车工 unless told otherwise)."""

    org: Organization
    admin: User
    operator: User
    reviewer: User
    filing: object = None
    standards: dict = field(default_factory=dict)  # occupation code → StandardVersion
    practical: list[User] = field(default_factory=list)
    theory: list[User] = field(default_factory=list)

    @property
    def standard(self):
        return next(iter(self.standards.values()))


def plan_walk(
    plan,
    *,
    operator: User,
    until: str,
    reviewer: User | None = None,
    score=None,
    filed_on: dt.date | None = None,
    publicity_on: dt.date | None = None,
    photo: bytes | None = None,
):
    """Take a draft plan whose panel has declared along its lifecycle, through the services, as far
    as ``until`` (filed, in_progress, scoring, publicity or closed) and return it.

    Filed on ``filed_on`` (default: two weeks before the exam), started on the exam date;
    ``score(plan)`` enters the marks once scoring begins; ``reviewer`` approves the results;
    publicity starts on ``publicity_on`` (default: the exam date); with ``photo`` every candidate
    gets that photo; the plan closes the day after its publicity ends.
    """
    S = AssessmentPlan.Status
    steps = [S.FILED, S.IN_PROGRESS, S.SCORING, S.PUBLICITY, S.CLOSED]
    if until not in steps:
        raise ValueError(f"plan_walk cannot stop at {until!r}")
    wanted = steps[: steps.index(until) + 1]
    plan = plan_file(actor=operator, plan=plan, today=filed_on or plan.exam_date - dt.timedelta(days=14))
    if S.IN_PROGRESS in wanted:
        plan = plan_start(actor=operator, plan=plan, today=plan.exam_date)
    if S.SCORING in wanted:
        plan = plan_begin_scoring(actor=operator, plan=plan)
        if score is not None:
            score(plan)
    if S.PUBLICITY in wanted:
        plan_approve_results(actor=reviewer, plan=plan)
        plan = plan_start_publicity(actor=operator, plan=plan, today=publicity_on or plan.exam_date)
        if photo is not None:
            for enrolment in plan.enrolments.all():
                enrolment_set_photo(actor=operator, enrolment=enrolment, data=photo)
    if S.CLOSED in wanted:
        plan = plan_close(actor=operator, plan=plan, today=plan.publicity_end + dt.timedelta(days=1))
    return plan


class Scenario:
    """The bureau, the catalogue and organisations, built once per run (``prefix`` names its
    accounts, ``actor`` is the system actor that creates the bureau's users)."""

    def __init__(self, today: dt.date, *, prefix: str = "bench", actor: str = "bench"):
        self.today = today
        self.prefix = prefix
        self.rng = random.Random(20260101)  # noqa: S311 - reproducible made-up data, not secrets
        self.system = system_actor(actor)
        self.bureau_admin = bureau_user_create(
            actor=self.system,
            username=f"{self.prefix}_bureau_admin",
            full_name="基准局管理员",
            password=PASSWORD,
            role=BureauRole.BUREAU_ADMIN,
            must_change_password=False,
        )
        self.bureau_auditor = bureau_user_create(
            actor=self.system,
            username=f"{self.prefix}_bureau_auditor",
            full_name="基准局审计员",
            password=PASSWORD,
            role=BureauRole.BUREAU_AUDITOR,
            must_change_password=False,
        )
        catalogue_import_builtin(actor=self.bureau_admin)
        self.orgs: dict[str, OrgSetup] = {}

    # --- organisations -------------------------------------------------------------------------
    def organization(
        self, key: str, *, name: str, seal: bool = False, occupations: tuple[str, ...] = (TURNER,)
    ) -> OrgSetup:
        """An organisation with admin, operator and reviewer, filed for ``occupations`` (levels 5–3)
        and a published standard for each."""
        if key in self.orgs:
            return self.orgs[key]
        n = unique()
        org = organization_create(
            actor=self.bureau_admin,
            name=name,
            credit_code=credit_code(self.rng),
            province_sequence=f"{100000 + n:06d}",
        )

        def member(role: str, label: str) -> User:
            return membership_add(
                actor=self.bureau_admin,
                organization=org,
                username=f"{self.prefix}_{key}_{label}",
                full_name=f"{label}{n}",
                role=role,
                password=PASSWORD,
                must_change_password=False,
            ).user

        setup = OrgSetup(
            org=org,
            admin=member(Role.ORG_ADMIN, "admin"),
            operator=member(Role.OPERATOR, "operator"),
            reviewer=member(Role.REVIEWER, "reviewer"),
        )
        filed = [Occupation.objects.get(code=code) for code in occupations]
        setup.filing = filing_create(
            actor=self.bureau_admin,
            organization=org,
            number=f"东人社评备〔2025〕B{n:04d}号",
            # Three years back, so synthetic certificates of the last three years are covered too.
            valid_from=self.today - dt.timedelta(days=1200),
            valid_until=self.today + dt.timedelta(days=730),
            scopes=[ScopeSpec(occupation=o, work_type=None, levels=(5, 4, 3)) for o in filed],
        )
        for occupation in filed:
            draft = standard_draft_create(
                actor=setup.operator,
                organization=org,
                occupation=occupation,
                work_type=None,
                title=f"{name}{occupation.name}企业评价规范",
                levels=[5, 4, 3],
                effective_from=self.today - dt.timedelta(days=1200),
            )
            setup.standards[occupation.code] = standard_publish(actor=setup.operator, version=draft)
        if seal:
            seal_upload(actor=setup.admin, organization=org, data=draw_seal(name))
        self.orgs[key] = setup
        return setup

    def _assessors(self, setup: OrgSetup, *, practical: int, theory: int) -> None:
        def add(duty: str, panel: list[User], wanted: int) -> None:
            while len(panel) < wanted:
                n = unique()
                panel.append(
                    membership_add(
                        actor=self.bureau_admin,
                        organization=setup.org,
                        username=f"{self.prefix}_{setup.org.pk}_{duty}{n}",
                        full_name=f"考评员{n}",
                        role=Role.ASSESSOR,
                        password=PASSWORD,
                        must_change_password=False,
                    ).user
                )

        add("practical", setup.practical, practical)
        add("theory", setup.theory, theory)

    # --- plans ---------------------------------------------------------------------------------
    def closed_plan(self, setup: OrgSetup, *, candidates: int, fail_every: int = 0):
        """A level-4 plan of ``candidates`` people, examined two months ago, scored, approved, publicised
        and closed, with photos.

        With ``fail_every=k`` every k-th candidate fails the practical (and gets no certificate).
        The panel follows the default rules: ≥3 practical assessors and ≥1 per 5 candidates (odd),
        ≥2 invigilators and ≥1 per 15 candidates.
        """
        practical = max(3, math.ceil(candidates / 5))
        practical += 1 - practical % 2
        theory = max(2, math.ceil(candidates / 15))
        self._assessors(setup, practical=practical, theory=theory)
        operator = setup.operator
        plan = plan_create(
            actor=operator,
            organization=setup.org,
            standard_version=setup.standard,
            level=4,
            # Two months ago, so publicity is long over and today is a valid issue date.
            exam_date=calendar.add_working_days(self.today - dt.timedelta(days=60), 1),
            venue="实训车间",
        )
        people = [(chinese_name(self.rng), resident_id(unique() * 7 + 3)) for _ in range(candidates)]
        roster = "姓名,证件号码,从事本职业年限\n" + "".join(f"{name},{number},7\n" for name, number in people)
        roster_import(actor=operator, plan=plan, file=roster.encode("utf-8"), filename="roster.csv")
        panel = [
            assessor_add(actor=operator, plan=plan, user=u, duty="practical", grade="assessor")
            for u in setup.practical[:practical]
        ]
        panel += [
            assessor_add(actor=operator, plan=plan, user=u, duty="theory", grade="assessor")
            for u in setup.theory[:theory]
        ]
        for member in panel:
            recusal_declare(actor=member.user, assessor=member, relations=[])

        def score(plan) -> None:
            enrolments = list(Enrolment.objects.filter(plan=plan).select_related("person").order_by("pk"))

            def sheet(component: str, mark) -> bytes:
                lines = ["报名编号,姓名,证件号码,考核项目,成绩"]
                for i, e in enumerate(enrolments, start=1):
                    number = pii.decrypt(e.person.id_number_token)
                    lines.append(f"{e.pk},{e.person.name},{number},{component},{mark(i)}")
                return ("\n".join(lines) + "\n").encode("utf-8")

            def practical_mark(i: int) -> Decimal:
                return Decimal("50") if fail_every and i % fail_every == 0 else Decimal(70 + i % 25)

            for user in setup.practical[:practical]:
                scores_import(actor=user, plan=plan, file=sheet("操作技能", practical_mark), filename="practical.csv")
            scores_import(
                actor=setup.theory[0], plan=plan, file=sheet("理论知识", lambda i: 75 + i % 20), filename="theory.csv"
            )

        return plan_walk(
            plan,
            operator=operator,
            reviewer=setup.reviewer,
            until=AssessmentPlan.Status.CLOSED,
            score=score,
            filed_on=plan.exam_date - dt.timedelta(days=21),
            photo=PHOTO.read_bytes(),
        )
