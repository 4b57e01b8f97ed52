"""Plans, candidates, results and certificates of a generated world, in the order they happened.

Each plan (20–300 candidates, examined in the last three years, level mix 30/35/25/8/2 % for
levels 5→1) goes through the steps the services record, each at its own simulated time, with the
event the service writes and the history rows it binds:

- filed day: ``plan.created`` (the plan), ``enrolment.roster_imported`` (people and enrolments);
- two days after the exam: ``plan.results_approved`` (results: 90 % pass, 8 % fail, 2 % absent);
- issue day (18–30 days after the exam): ``issuance.requested`` (the batch), then one
  ``certificate.issued`` per certificate, numbered per organisation, year and level and signed
  with the project's certificate key (payload version 2, with a 查验码);
- later, for 1 % of certificates ``certificate.revoked``, 1 % ``certificate.suspended`` and 0.5 %
  ``certificate.corrected`` (a second version with the same number, signed again).

Steps wait in a time-ordered queue, so the chain's events are in time order. Plans are written
in their final (closed) state with one history row; assessors, scores per component, photos and
PDF files are not generated (``pdf_status`` is "done" without a file, as in bench/synthetic.py).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from audit.events import EventType
from certify.keys import certificate_keyring
from certify.models import AssessmentPlan, Certificate, Enrolment, IssuanceBatch, NumberCounter, Person, Result
from certify.scenarios import chinese_name, resident_id
from certify.services.payload import CHECK_CODE_PURPOSE
from demo.scale.world import Org
from lib import numbering, pii
from lib.checkcode import new_check_code
from lib.identifiers import id_number_birth_date, id_number_sex, mask_id_number
from lib.levels import SENIOR_LEVELS, level_wording
from lib.payload import certificate_payload

LEVEL_MIX = ((5, 0.30), (4, 0.35), (3, 0.25), (2, 0.08), (1, 0.02))
PLAN_SIZE = (20, 300)
MANUFACTURING_SHARE = 0.85  # of plans (and so of certificates): occupation codes 6-…
OUTCOMES = (("P", 0.90), ("F", 0.08), ("A", 0.02))
CHANGES = (("revoked", 0.010), ("suspended", 0.010), ("corrected", 0.005))
ID_TYPE_LABEL = str(Person.IdType.RESIDENT.label)
REASON = "合成数据（generate_scale）"
EDUCATION = [e.value for e in Enrolment.Education]


@dataclass
class Spec:
    org: Org
    occupation: object
    level: int
    exam: dt.date
    outcomes: str  # one letter per candidate: P(ass), F(ail), A(bsent)
    rows: dict = field(default_factory=dict)


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _occupation(rng: random.Random, occupations: list):
    """Manufacturing (codes 6-…) for 85 % of plans, when the organisation is filed for both kinds."""
    made = [o for o in occupations if str(getattr(o, "code", o)).startswith("6-")]
    other = [o for o in occupations if o not in made]
    if made and other:
        return rng.choice(made if rng.random() < MANUFACTURING_SHARE else other)
    return rng.choice(occupations)


def plan_specs(rng: random.Random, orgs: list[Org], *, certificates: int, today: dt.date) -> list[Spec]:
    """Plans until exactly ``certificates`` candidates pass, in exam-date order. Organisations are
    of very different sizes (weights 1/k^0.8); the last plan is cut where the count is reached."""
    weights = list(itertools.accumulate(1 / (k + 1) ** 0.8 for k in range(len(orgs))))
    levels, level_weights = zip(*LEVEL_MIX, strict=True)
    letters, letter_weights = zip(*OUTCOMES, strict=True)
    specs, passed = [], 0
    while passed < certificates:
        org = rng.choices(orgs, cum_weights=weights)[0]
        outcomes = "".join(rng.choices(letters, weights=letter_weights, k=rng.randint(*PLAN_SIZE)))
        if passed + outcomes.count("P") > certificates:
            keep, count = 0, 0
            while count < certificates - passed:
                count += outcomes[keep] == "P"
                keep += 1
            outcomes = outcomes[:keep]
        passed += outcomes.count("P")
        exam = today - dt.timedelta(days=rng.randint(40, 1095))
        level = rng.choices(levels, weights=level_weights)[0]
        specs.append(Spec(org, _occupation(rng, org.occupations), level, exam, outcomes))
    specs.sort(key=lambda s: s.exam)
    return specs


class PlanBuilder:
    """Writes the plans of ``specs`` with ``writer``; ``progress(issued)`` is called at each flush."""

    def __init__(
        self,
        writer,
        *,
        rng: random.Random,
        today: dt.date,
        system: tuple,
        progress: Callable,
        flush_every: int = 20_000,
    ):
        self.writer, self.rng, self.today, self.system = writer, rng, today, system
        self.progress, self.flush_every = progress, flush_every
        ring = certificate_keyring()
        ring.ensure_active()
        self.sign = ring.bulk_signer()
        self.serials: dict[tuple[int, int, int], int] = defaultdict(int)
        self.plan_serials: dict[tuple[int, int], int] = defaultdict(int)
        self.person_index = 2_000_000 + Person.objects.count()  # see scenarios.resident_id: unique below 12M
        self.queue: list = []
        self.ticket = itertools.count()
        self.issued = 0
        self.unflushed = 0
        self.province = settings.SKILLCERT_PROVINCE_CODE

    # --- the time-ordered queue -------------------------------------------------------------------
    def later(self, when: dt.datetime, step: Callable, *args) -> None:
        heapq.heappush(self.queue, (when, next(self.ticket), step, args))

    def run_until(self, when: dt.datetime | None) -> None:
        while self.queue and (when is None or self.queue[0][0] <= when):
            at, _n, step, args = heapq.heappop(self.queue)
            step(at, *args)
            if self.unflushed >= self.flush_every:
                self.flush()

    def flush(self) -> None:
        self.writer.flush()
        self.unflushed = 0
        self.progress(self.issued)

    def build(self, specs: list[Spec]) -> None:
        for spec in specs:
            filed = _at(spec.exam - dt.timedelta(days=14))
            self.run_until(filed)
            self.created(filed, spec)
            self.later(_at(spec.exam + dt.timedelta(days=2), 10), self.approved, spec)
            issue = min(self.today, spec.exam + dt.timedelta(days=self.rng.randint(18, 30)))
            self.later(_at(issue, 11), self.issue, spec)
        self.run_until(None)
        self.counters()
        self.flush()

    # --- steps ------------------------------------------------------------------------------------
    def created(self, when: dt.datetime, spec: Spec) -> None:
        w, org, occupation, level, exam = self.writer, spec.org, spec.occupation, spec.level, spec.exam
        operator = org.operator
        self.plan_serials[(org.pk, exam.year)] += 1
        number = f"{org.province_sequence}-{exam.year}-{self.plan_serials[(org.pk, exam.year)]:03d}"
        title = f"{occupation.name}{level_wording(level)}评价"
        plan = w.add(
            AssessmentPlan,
            {
                "organization_id": org.pk,
                "number": number,
                "title": title,
                "standard_version_id": org.versions[occupation.code],
                "standard_level_id": org.levels[(occupation.code, level)],
                "occupation_id": occupation.pk,
                "level": level,
                "filing_id": org.filing,
                "exam_date": exam,
                "venue": "实训车间",
                "status": AssessmentPlan.Status.CLOSED,
                "filed_at": when,
                "filed_by_id": operator[0],
                "filed_lead_days": 10,
                "started_at": _at(exam),
                "scoring_at": _at(exam, 15),
                "approved_at": _at(exam + dt.timedelta(days=2), 10),
                "approved_by_id": org.reviewer[0],
                "publicity_start": exam + dt.timedelta(days=3),
                "publicity_end": exam + dt.timedelta(days=10),
                "closed_at": _at(exam + dt.timedelta(days=14)),
                "created_at": when,
                "created_by_id": operator[0],
            },
            when=when,
            actor_id=operator[0],
        )
        spec.rows["plan"] = plan
        target = ("certify.assessmentplan", plan["id"], f"{number} {title}")
        w.event(
            event_type=EventType.PLAN_CREATED,
            actor=operator,
            when=when,
            target=target,
            organization_id=org.pk,
            data={"number": number, "level": level, "generated": True},
        )
        spec.rows["people"] = self.roster(when, spec, plan)
        w.event(
            event_type=EventType.ROSTER_IMPORTED,
            actor=operator,
            when=when,
            target=target,
            organization_id=org.pk,
            data={"rows": len(spec.rows["people"]), "generated": True},
        )

    def roster(self, when: dt.datetime, spec: Spec, plan: dict) -> list[tuple[dict, dict, str]]:
        """A person and an enrolment for each candidate, as ``roster_import`` writes them."""
        w, org, operator = self.writer, spec.org, spec.org.operator
        people = []
        for _ in spec.outcomes:
            self.person_index += 1
            id_number = resident_id(self.person_index)
            person = w.add(
                Person,
                {
                    "id_number_token": pii.encrypt(id_number),
                    "id_number_hash": pii.lookup_hash(id_type=Person.IdType.RESIDENT, number=id_number),
                    "id_number_masked": mask_id_number(id_number),
                    "name": chinese_name(self.rng),
                    "sex": id_number_sex(id_number),
                    "birth_date": id_number_birth_date(id_number),
                },
                when=when,
                actor_id=operator[0],
            )
            enrolment = w.add(
                Enrolment,
                {
                    "organization_id": org.pk,
                    "plan_id": plan["id"],
                    "person_id": person["id"],
                    "employee_number": f"E{self.person_index:08d}",
                    "education": self.rng.choice(EDUCATION),
                    "years_in_occupation": Decimal(self.rng.randint(2, 20)),
                    "eligible": True,
                    "registered_by_id": operator[0],
                },
                when=when,
                actor_id=operator[0],
            )
            people.append((person, enrolment, id_number))
        return people

    def approved(self, when: dt.datetime, spec: Spec) -> None:
        w, rng, org, plan = self.writer, self.rng, spec.org, spec.rows["plan"]
        for (_person, enrolment, _id), outcome in zip(spec.rows["people"], spec.outcomes, strict=True):
            absent = outcome == "A"
            practical = None if absent else Decimal(rng.randint(60, 98) if outcome == "P" else rng.randint(30, 59))
            w.add(
                Result,
                {
                    "organization_id": org.pk,
                    "plan_id": plan["id"],
                    "enrolment_id": enrolment["id"],
                    "theory": None if absent else Decimal(rng.randint(60, 98)),
                    "practical": practical,
                    "review": Decimal(rng.randint(60, 95)) if spec.level in SENIOR_LEVELS and not absent else None,
                    "outcome": {"P": Result.Outcome.PASS, "F": Result.Outcome.FAIL, "A": Result.Outcome.ABSENT}[
                        outcome
                    ],
                    "detail": "" if outcome == "P" else "未达合格线" if outcome == "F" else "缺考",
                    "computed_at": _at(spec.exam, 17),
                },
                when=when,
                actor_id=org.reviewer[0],
            )
        counts = {letter: spec.outcomes.count(letter) for letter in "PFA"}
        w.event(
            event_type=EventType.PLAN_RESULTS_APPROVED,
            actor=org.reviewer,
            when=when,
            target=("certify.assessmentplan", plan["id"], f"{plan['number']} {plan['title']}"),
            organization_id=org.pk,
            data={"pass": counts["P"], "fail": counts["F"], "absent": counts["A"]},
        )

    def issue(self, when: dt.datetime, spec: Spec) -> None:
        w, org, plan = self.writer, spec.org, spec.rows["plan"]
        operator, day = org.operator, when.date()
        batch = w.add(
            IssuanceBatch,
            {
                "organization_id": org.pk,
                "plan_id": plan["id"],
                "issue_date": day,
                "status": IssuanceBatch.Status.DONE,
                "requested_by_id": operator[0],
                "requested_at": when,
                "allocated_at": when,
            },
            when=when,
            actor_id=operator[0],
        )
        w.event(
            event_type=EventType.ISSUANCE_REQUESTED,
            actor=operator,
            when=when,
            target=("certify.issuancebatch", batch["id"], plan["number"]),
            organization_id=org.pk,
            data={"plan": plan["number"], "issue_date": day},
        )
        for (person, enrolment, id_number), outcome in zip(spec.rows["people"], spec.outcomes, strict=True):
            if outcome == "P":
                self.certificate(when, spec, batch, person, enrolment, id_number)
        spec.rows.clear()  # nothing of a finished plan stays in memory

    def certificate(self, when, spec: Spec, batch: dict, person: dict, enrolment: dict, id_number: str) -> None:
        w, org, plan, level = self.writer, spec.org, spec.rows["plan"], spec.level
        day = when.date()
        key = (org.pk, day.year, level)
        self.serials[key] += 1
        number = numbering.format_number(
            type_letter=org.number_type,
            ministry_code=org.ministry_code,
            province_code=self.province,
            org_sequence=org.province_sequence,
            year=day.year,
            level=level,
            serial=self.serials[key],
        )
        exported = day < self.today - dt.timedelta(days=60)
        values = {
            "number": number,
            "organization_id": org.pk,
            "person_id": person["id"],
            "enrolment_id": enrolment["id"],
            "plan_id": plan["id"],
            "batch_id": batch["id"],
            "standard_version_id": plan["standard_version_id"],
            "occupation_id": spec.occupation.pk,
            "level": level,
            "holder_name": person["name"],
            "id_type_label": ID_TYPE_LABEL,
            "occupation_name": spec.occupation.name,
            "occupation_code": spec.occupation.code,
            "work_type_name": "--",
            "level_wording": level_wording(level),
            "organization_name": org.name,
            "issue_date": day,
            "pdf_status": Certificate.PdfStatus.DONE,
            "upload_status": Certificate.UploadStatus.ACCEPTED if exported else Certificate.UploadStatus.PENDING,
            "exported_at": _at(day + dt.timedelta(days=7)) if exported else None,
            "issued_by_id": org.operator[0],
            "issued_at": when,
        }
        self.signed(values, id_number)
        row = w.add(Certificate, values, when=when, actor_id=org.operator[0])
        w.event(
            event_type=EventType.CERTIFICATE_ISSUED,
            actor=org.operator,
            when=when,
            target=("certify.certificate", row["id"], f"{number}（{row['holder_name']}）"),
            organization_id=org.pk,
            data={
                "number": number,
                "plan": plan["number"],
                "enrolment": enrolment["id"],
                "name": row["holder_name"],
                "level": level,
                "key_id": row["key_id"],
            },
        )
        self.issued += 1
        self.unflushed += 1
        self.change(when, org, row, id_number)

    def signed(self, values: dict, id_number: str) -> None:
        """A 查验码 and the version-2 signature, as ``certify.services.payload.sign`` makes them."""
        code = new_check_code()
        values["check_code_token"] = pii.encrypt(code, purpose=CHECK_CODE_PURPOSE)
        payload = certificate_payload(
            number=values["number"],
            holder_name=values["holder_name"],
            id_type=values["id_type_label"],
            id_number=id_number,
            occupation=values["occupation_name"],
            work_type=values["work_type_name"],
            level_wording=values["level_wording"],
            organization_name=values["organization_name"],
            issue_date=values["issue_date"],
            check_code=code,
        )
        values["key_id"], values["signature"] = self.sign(payload)

    # --- later changes ----------------------------------------------------------------------------
    def change(self, issued: dt.datetime, org: Org, row: dict, id_number: str) -> None:
        """Maybe revoke, suspend or correct the certificate some days later. The row takes its final
        state now (it is written at the next flush); the history row and event follow at that time."""
        roll, limit, kind = self.rng.random(), 0.0, ""
        for name, share in CHANGES:
            limit += share
            if roll < limit:
                kind = name
                break
        if not kind:
            return
        later = issued + dt.timedelta(days=self.rng.randint(10, 200), hours=self.rng.randint(0, 6))
        when = min(later, _at(self.today, 8))
        if when <= issued:
            return
        if kind == "revoked":
            category = self.rng.choice(Certificate.RevokeReason.values)
            row.update(status=Certificate.Status.REVOKED.value, revoked_at=when, status_changed_at=when)
            row.update(reason_category=category, reason="经核查撤销（合成数据）")
            self.later(when, self.changed, org, row, EventType.CERTIFICATE_REVOKED, {"reason_category": category})
        elif kind == "suspended":
            row.update(status=Certificate.Status.SUSPENDED.value, status_changed_at=when, reason="暂停核查（合成数据）")
            self.later(when, self.changed, org, row, EventType.CERTIFICATE_SUSPENDED, {})
        else:
            row.update(status=Certificate.Status.REPLACED.value, status_changed_at=when)
            self.later(when, self.corrected, org, row, id_number)

    def changed(self, when, org: Org, row: dict, event_type, data: dict) -> None:
        self.writer.table(Certificate).record(row, when=when, actor_id=org.operator[0], reason=row["reason"])
        self.writer.event(
            event_type=event_type,
            actor=org.operator,
            when=when,
            target=("certify.certificate", row["id"], f"{row['number']}（{row['holder_name']}）"),
            organization_id=org.pk,
            data={"number": row["number"], "status": row["status"], **data},
            reason=row["reason"],
        )

    def corrected(self, when, org: Org, row: dict, id_number: str) -> None:
        w, name = self.writer, row["holder_name"]
        note = "姓名更正（合成数据）"
        w.table(Certificate).record(row, when=when, actor_id=org.operator[0], reason=note)
        values = {k: v for k, v in row.items() if k != "id"}
        values.update(version=2, status=Certificate.Status.VALID.value, status_changed_at=None, correction_note=note)
        values.update(holder_name=name[:-1] + ("华" if name[-1] != "华" else "明"), issued_at=when)
        self.signed(values, id_number)
        second = w.add(Certificate, values, when=when, actor_id=org.operator[0], reason=note)
        w.event(
            event_type=EventType.CERTIFICATE_CORRECTED,
            actor=org.operator,
            when=when,
            target=("certify.certificate", second["id"], f"{row['number']}（{second['holder_name']}）"),
            organization_id=org.pk,
            data={"number": row["number"], "version": 2, "changes": {"holder_name": [name, second["holder_name"]]}},
            reason=note,
        )

    def counters(self) -> None:
        """Every number counter at the last serial used, as issuing leaves them."""
        when = timezone.now()
        for (org_pk, year, level), serial in sorted(self.serials.items()):
            values = {"organization_id": org_pk, "year": year, "level": level, "last_serial": serial}
            self.writer.add(NumberCounter, values, when=when, actor_id=self.system[0], reason=REASON)
        self.writer.event(
            event_type=EventType.CERTIFICATE_ISSUED,
            actor=self.system,
            when=when,
            target=("certify.numbercounter", "generate_scale", REASON),
            data={"generated": True, "number_counters": len(self.serials)},
            reason=REASON,
        )
