"""SYNTHETIC certificates for the read benchmarks, bulk-inserted into the bench database only.

!! This bypasses the services on purpose. Organisations, members, filings and standards are made
!! through the services; the plans, persons, enrolments, results and certificates under them are
!! written with ``audit.history.bulk_create_audited`` in chunks: every row gets its history row,
!! and each chunk's history rows are bound into ONE audit event (``certificate.issued`` with target
!! ``bench.synthetic`` and ``"synthetic": true`` in its data) instead of one event per change.
!! No eligibility check, numbering lock, score or PDF is involved. Never point this at a database
!! that is not a throw-away bench database (bench/run.py refuses any name without "bench").

What it looks like: five organisations holding 40 / 25 / 15 / 12 / 8 % of the certificates, four
occupations each (levels 5–3), closed plans of 20–80 candidates examined over the last three years
(issue date 18–30 days after the exam), 90 % of candidates pass (8 % fail, 2 % absent); of the
certificates 1 % are revoked, 1 % suspended and 0.5 % corrected (a second version with the same
number). Numbers follow the real format, per organisation, year and level; every certificate is
signed with the bench key ring, so public verification works on it; the number counters are left
at the last serial used.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.events import EventType
from audit.history import bulk_create_audited
from audit.services import audit_append
from bench.common import Context, timer
from bench.world import OrgSetup, chinese_name, resident_id, world
from certify.keys import certificate_keyring
from certify.models import AssessmentPlan, Certificate, Enrolment, NumberCounter, Occupation, Person, Result
from lib import numbering, pii
from lib.identifiers import id_number_birth_date, id_number_sex, mask_id_number
from lib.levels import level_wording
from lib.payload import certificate_payload

ORG_SHARES = (0.40, 0.25, 0.15, 0.12, 0.08)
ORG_NAMES = ("甲", "乙", "丙", "丁", "戊")
OCCUPATIONS_PER_ORG = 4
LEVELS = ((5, 0.45), (4, 0.35), (3, 0.20))
CHUNK = 5000  # certificates per transaction and per audit event
BATCH = 1000  # rows per INSERT
PERSON_OFFSET = 1_000_000  # ID numbers of synthetic people start here (see world.resident_id)
REASON = "基准测试合成数据（bench/synthetic.py），非真实证书"
ID_TYPE_LABEL = "居民身份证"

BANNER = (
    "!! SYNTHETIC DATA for the read benchmarks: {n:,} certificates bulk-inserted with bulk_create_audited\n"
    "!! (history rows written, one audit event per {chunk:,} certificates), bypassing the services.\n"
    "!! Bench database only; nothing here is a real certificate."
)


@dataclass
class SyntheticSet:
    orgs: list[OrgSetup]
    certificates: int = 0
    rows: int = 0  # certificate rows, versions included
    plans: int = 0
    persons: int = 0
    history_rows: int = 0
    events: int = 0
    seconds: float = 0.0
    counters: dict = field(default_factory=dict)


@dataclass
class _OrgPlan:
    """What a synthetic plan of one organisation needs: its standards, levels and filing."""

    setup: OrgSetup
    occupations: list[Occupation]
    levels: dict  # (occupation code, level) → StandardLevel


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


class _Generator:
    def __init__(self, ctx: Context, orgs: list[_OrgPlan]):
        self.ctx = ctx
        self.today = ctx.today
        self.rng = random.Random(1_700_000)
        self.orgs = orgs
        self.system = world(ctx).system
        self.ring = certificate_keyring()
        self.ring.ensure_active()
        self.serials: dict[tuple[int, int, int], int] = defaultdict(int)
        self.plan_serials: dict[tuple[int, int], int] = defaultdict(int)
        self.person_index = PERSON_OFFSET
        self.province = settings.SKILLCERT_PROVINCE_CODE

    # --- one plan -----------------------------------------------------------------------------
    def plan(self, chunk: dict) -> int:
        rng = self.rng
        target = rng.choices(self.orgs, weights=ORG_SHARES[: len(self.orgs)])[0]
        setup, org = target.setup, target.setup.org
        occupation = rng.choice(target.occupations)
        level = rng.choices([lv for lv, _w in LEVELS], weights=[w for _lv, w in LEVELS])[0]
        standard_level = target.levels[(occupation.code, level)]
        exam = self.today - dt.timedelta(days=rng.randint(30, 1095))
        issue = min(self.today, exam + dt.timedelta(days=rng.randint(18, 30)))
        self.plan_serials[(org.pk, exam.year)] += 1
        plan = AssessmentPlan(
            organization=org,
            number=f"{org.province_sequence}-{exam.year}-{self.plan_serials[(org.pk, exam.year)]:03d}",
            title=f"{occupation.name}{level_wording(level)}评价（合成数据）",
            standard_version=standard_level.version,
            standard_level=standard_level,
            occupation=occupation,
            level=level,
            filing=setup.filing,
            exam_date=exam,
            venue="合成数据",
            status=AssessmentPlan.Status.CLOSED,
            filed_at=_at(exam - dt.timedelta(days=14)),
            filed_by=setup.operator,
            filed_lead_days=10,
            started_at=_at(exam),
            scoring_at=_at(exam, 15),
            approved_at=_at(exam + dt.timedelta(days=2)),
            approved_by=setup.reviewer,
            publicity_start=exam + dt.timedelta(days=3),
            publicity_end=exam + dt.timedelta(days=10),
            closed_at=_at(exam + dt.timedelta(days=14)),
            created_by=setup.operator,
        )
        chunk["plans"].append(plan)
        issued = 0
        for _ in range(rng.randint(20, 80)):
            issued += self.candidate(chunk, plan, target, occupation, level, issue)
        return issued

    def candidate(self, chunk, plan, target: _OrgPlan, occupation, level: int, issue: dt.date) -> int:
        rng, setup = self.rng, target.setup
        self.person_index += 1
        id_number = resident_id(self.person_index)
        person = Person(
            id_type=Person.IdType.RESIDENT,
            id_number_token=pii.encrypt(id_number),
            id_number_hash=pii.lookup_hash(id_type=Person.IdType.RESIDENT, number=id_number),
            id_number_masked=mask_id_number(id_number),
            name=chinese_name(rng),
            sex=id_number_sex(id_number),
            birth_date=id_number_birth_date(id_number),
        )
        enrolment = Enrolment(
            organization=setup.org,
            plan=plan,
            person=person,
            employee_number=f"E{self.person_index:08d}",
            years_in_occupation=Decimal("7"),
            eligible=True,
            education=Enrolment.Education.TECHNICAL_SCHOOL,
            registered_by=setup.operator,
        )
        roll = rng.random()
        outcome = Result.Outcome.PASS if roll < 0.90 else Result.Outcome.FAIL if roll < 0.98 else Result.Outcome.ABSENT
        theory = Decimal(rng.randint(60, 98)) if outcome != Result.Outcome.ABSENT else None
        practical = Decimal(rng.randint(60, 98) if outcome == Result.Outcome.PASS else rng.randint(30, 59))
        result = Result(
            organization=setup.org,
            plan=plan,
            enrolment=enrolment,
            theory=theory,
            practical=practical if outcome != Result.Outcome.ABSENT else None,
            outcome=outcome,
            detail="" if outcome == Result.Outcome.PASS else "合成数据",
            computed_at=plan.scoring_at,
        )
        chunk["persons"].append(person)
        chunk["enrolments"].append(enrolment)
        chunk["results"].append(result)
        if outcome != Result.Outcome.PASS:
            return 0
        chunk["certificates"].extend(
            self.certificates(plan, setup, person, enrolment, id_number, occupation, level, issue)
        )
        return 1

    def certificates(self, plan, setup, person, enrolment, id_number, occupation, level, issue) -> list[Certificate]:
        org = setup.org
        key = (org.pk, issue.year, level)
        self.serials[key] += 1
        number = numbering.format_number(
            type_letter=org.number_type,
            ministry_code=org.ministry_code,
            province_code=self.province,
            org_sequence=org.province_sequence,
            year=issue.year,
            level=level,
            serial=self.serials[key],
        )
        exported = issue < self.today - dt.timedelta(days=60)
        first = Certificate(
            number=number,
            organization=org,
            person=person,
            enrolment=enrolment,
            plan=plan,
            standard_version=plan.standard_version,
            occupation=occupation,
            level=level,
            holder_name=person.name,
            id_type_label=ID_TYPE_LABEL,
            occupation_name=occupation.name,
            occupation_code=occupation.code,
            work_type_name="--",
            level_wording=level_wording(level),
            organization_name=org.name,
            issue_date=issue,
            pdf_status=Certificate.PdfStatus.DONE,
            upload_status=Certificate.UploadStatus.ACCEPTED if exported else Certificate.UploadStatus.PENDING,
            exported_at=_at(issue + dt.timedelta(days=7)) if exported else None,
            issued_by=setup.operator,
        )
        self.sign(first, id_number)
        roll = self.rng.random()
        changed = _at(min(self.today, issue + dt.timedelta(days=self.rng.randint(10, 200))))
        if roll < 0.010:
            first.status, first.revoked_at, first.status_changed_at = Certificate.Status.REVOKED, changed, changed
            first.reason_category = self.rng.choice(Certificate.RevokeReason.values)
            first.reason = "合成数据"
        elif roll < 0.020:
            first.status, first.status_changed_at, first.reason = Certificate.Status.SUSPENDED, changed, "合成数据"
        elif roll < 0.025:
            first.status, first.status_changed_at = Certificate.Status.REPLACED, changed
            second = copy.copy(first)
            second.pk, second.version, second.status, second.status_changed_at = None, 2, Certificate.Status.VALID, None
            second.holder_name = person.name[:-1] + ("华" if person.name[-1] != "华" else "明")
            second.correction_note = "姓名更正（合成数据）"
            self.sign(second, id_number)
            return [first, second]
        return [first]

    def sign(self, certificate: Certificate, id_number: str) -> None:
        payload = certificate_payload(
            number=certificate.number,
            holder_name=certificate.holder_name,
            id_type=certificate.id_type_label,
            id_number=id_number,
            occupation=certificate.occupation_name,
            work_type=certificate.work_type_name,
            level_wording=certificate.level_wording,
            organization_name=certificate.organization_name,
            issue_date=certificate.issue_date,
        )
        certificate.key_id, certificate.signature = self.ring.sign(payload)

    # --- one chunk: one transaction, one audit event ----------------------------------------
    def write(self, chunk: dict, number: int, out: SyntheticSet) -> None:
        with transaction.atomic():
            for model, key in (
                (AssessmentPlan, "plans"),
                (Person, "persons"),
                (Enrolment, "enrolments"),
                (Result, "results"),
                (Certificate, "certificates"),
            ):
                bulk_create_audited(model, chunk[key], actor=self.system, reason=REASON, batch_size=BATCH)
                out.history_rows += len(chunk[key])
            issued = sum(c.version == 1 for c in chunk["certificates"])
            audit_append(
                actor=self.system,
                event_type=EventType.CERTIFICATE_ISSUED,
                target=("bench.synthetic", number, REASON),
                data={
                    "synthetic": True,
                    "plans": len(chunk["plans"]),
                    "persons": len(chunk["persons"]),
                    "certificates": issued,
                    "versions": len(chunk["certificates"]),
                },
                reason=REASON,
            )
        out.events += 1
        out.plans += len(chunk["plans"])
        out.persons += len(chunk["persons"])
        out.certificates += issued
        out.rows += len(chunk["certificates"])

    def counters(self, out: SyntheticSet) -> None:
        """Leave every number counter at the last serial used, as real issuing would."""
        rows = [
            NumberCounter(organization_id=org_id, year=year, level=level, last_serial=serial)
            for (org_id, year, level), serial in sorted(self.serials.items())
        ]
        with transaction.atomic():
            bulk_create_audited(NumberCounter, rows, actor=self.system, reason=REASON)
            audit_append(
                actor=self.system,
                event_type=EventType.CERTIFICATE_ISSUED,
                target=("bench.synthetic", "counters", REASON),
                data={"synthetic": True, "number_counters": len(rows)},
                reason=REASON,
            )
        out.events += 1
        out.history_rows += len(rows)
        out.counters = dict(self.serials)


def _organisations(ctx: Context) -> list[_OrgPlan]:
    from certify.models import StandardLevel

    w = world(ctx)
    codes = list(Occupation.objects.filter(active=True).order_by("code").values_list("code", flat=True))
    step = max(len(codes) // (len(ORG_SHARES) * OCCUPATIONS_PER_ORG), 1)
    picked = codes[::step]
    orgs = []
    for i, name in enumerate(ORG_NAMES[: len(ORG_SHARES)]):
        mine = tuple(picked[i * OCCUPATIONS_PER_ORG : (i + 1) * OCCUPATIONS_PER_ORG])
        setup = w.organization(f"synthetic{i}", name=f"东莞市合成数据{name}制造有限公司", occupations=mine)
        occupations = list(Occupation.objects.filter(code__in=mine).order_by("code"))
        levels = {
            (code, lv.level): lv
            for code, version in setup.standards.items()
            for lv in StandardLevel.objects.filter(version=version).select_related("version")
        }
        orgs.append(_OrgPlan(setup=setup, occupations=occupations, levels=levels))
    return orgs


def generate(ctx: Context, *, count: int) -> SyntheticSet:
    """``count`` synthetic certificates (current versions), in chunks of ``CHUNK``. Once per run."""

    def build() -> SyntheticSet:
        print(BANNER.format(n=count, chunk=CHUNK), flush=True)
        with timer() as t:
            orgs = _organisations(ctx)
        ctx.add("set-up: 5 organisations, 20 filed occupations (services)", len(orgs), t[0])
        out = SyntheticSet(orgs=[o.setup for o in orgs])
        generator = _Generator(ctx, orgs)
        started = time.perf_counter()
        with timer() as t:
            number = 0
            while out.certificates < count:
                chunk = {"plans": [], "persons": [], "enrolments": [], "results": [], "certificates": []}
                issued = 0
                while issued < CHUNK and out.certificates + issued < count:
                    issued += generator.plan(chunk)
                number += 1
                generator.write(chunk, number, out)
                if number % 10 == 0:
                    ctx.say(
                        f"{out.certificates:,} synthetic certificates written ({time.perf_counter() - started:.0f} s)"
                    )
            generator.counters(out)
        out.seconds = t[0]
        ctx.add(
            "SYNTHETIC: certificates bulk-inserted (bulk_create_audited)",
            out.certificates,
            out.seconds,
            f"{out.plans:,} plans, {out.persons:,} persons/enrolments/results, {out.rows:,} certificate rows, "
            f"{out.history_rows:,} history rows, {out.events} audit events",
        )
        return out

    return ctx.once(f"synthetic:{count}", build)
