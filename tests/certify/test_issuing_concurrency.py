"""1,000 certificates issued by 4 concurrent processes on PostgreSQL: no duplicate numbers, no gaps.

Four closed plans of one organisation, same year and level, 250 passing candidates each, are built
through the services; then four separate Python processes run the issuing job of one plan each at
the same time against the test database.
"""

import datetime as dt
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from django.db import connection
from PIL import Image

from certify import dispatch
from certify.models import Certificate, Enrolment, PlanAssessor
from lib import numbering
from tests.workflow import candidate_ids, occ

PLANS = 4
PER_PLAN = 250
ROOT = Path(__file__).resolve().parents[2]


def _roster(ids: list[str]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "证件号码", "从事本职业年限"])
    for i, number in enumerate(ids):
        sheet.append([f"考生{i:04d}", number, 3])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _scores(plan) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["报名编号", "姓名", "证件号码", "考核项目", "成绩"])
    for enrolment in Enrolment.objects.filter(plan=plan).select_related("person"):
        sheet.append([enrolment.pk, enrolment.person.name, enrolment.person.id_number_masked, "理论知识", 80])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 420), (245, 245, 245)).save(out, "JPEG")
    return out.getvalue()


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _closed_plans(world, today):
    from certify.models import AssessmentPlan
    from certify.scenarios import plan_walk
    from certify.services.imports import roster_import, scores_import
    from certify.services.plans import assessor_add, plan_create, recusal_declare
    from certify.services.standards import standard_draft_create, standard_level_update, standard_publish

    draft = standard_draft_create(
        actor=world.a_operator,
        organization=world.org_a,
        occupation=occ("6-18-01-01"),
        work_type=None,
        title="车工五级理论考核规范（并发测试）",
        levels=[5],
    )
    standard_level_update(
        actor=world.a_operator,
        level=draft.levels.get(),
        has_practical=False,
        candidates_per_invigilator=300,
        min_invigilators_per_room=1,
    )
    version = standard_publish(actor=world.a_operator, version=draft)
    plans = []
    ids = candidate_ids(PLANS * PER_PLAN, start=3000)
    photo = _photo()
    exam = today + dt.timedelta(days=20)
    for n in range(PLANS):
        plan = plan_create(
            actor=world.a_operator,
            organization=world.org_a,
            standard_version=version,
            level=5,
            exam_date=exam,
            venue="考场",
        )
        roster_import(
            actor=world.a_operator,
            plan=plan,
            file=_roster(ids[n * PER_PLAN : (n + 1) * PER_PLAN]),
            filename="roster.xlsx",
        )
        member = assessor_add(actor=world.a_operator, plan=plan, user=world.a_assessor, duty="theory", grade="assessor")
        recusal_declare(actor=world.a_assessor, assessor=member, relations=[])
        closed = plan_walk(
            plan,
            operator=world.a_operator,
            reviewer=world.a_reviewer,
            until=AssessmentPlan.Status.CLOSED,
            filed_on=today,
            score=lambda p: scores_import(actor=world.a_assessor, plan=p, file=_scores(p), filename="scores.xlsx"),
            photo=photo,
        )
        plans.append(closed)
    assert PlanAssessor.objects.count() == PLANS
    return plans


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_four_processes_issue_1000_certificates_without_duplicates_or_gaps(world, filings, today, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("issued concurrently by separate processes on PostgreSQL (set DATABASE_URL)")
    from certify.services import issuing

    started = time.perf_counter()
    plans = _closed_plans(world, today)
    monkeypatch.setattr(dispatch, "issue_batch", lambda batch_id: None)  # the test runs the jobs itself
    issue_date = max(p.publicity_end for p in plans) + dt.timedelta(days=1)
    batches = [issuing.issuance_request(actor=world.a_operator, plan=p, issue_date=issue_date) for p in plans]
    setup = time.perf_counter() - started

    env = dict(
        os.environ,
        DATABASE_URL=_database_url(),
        CELERY_TASK_ALWAYS_EAGER="0",
        CELERY_BROKER_URL="memory://",
        CACHE_URL="",
        REDIS_URL="",
    )
    code = (
        "import django; django.setup(); import sys; from certify.services.issuing import issuance_allocate; "
        "print(len(issuance_allocate(batch_id=int(sys.argv[1]))))"
    )
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(b.pk)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for b in batches
    ]
    outputs = [p.communicate(timeout=600) for p in processes]
    elapsed = time.perf_counter() - started
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-2000:]
    assert sorted(int(out.strip().splitlines()[-1]) for out, _err in outputs) == [PER_PLAN] * PLANS

    numbers = list(Certificate.objects.values_list("number", flat=True))
    assert len(numbers) == PLANS * PER_PLAN
    assert len(set(numbers)) == len(numbers), "duplicate certificate numbers"
    serials = sorted(numbering.parse_number(n).serial for n in numbers)
    assert serials == list(range(1, PLANS * PER_PLAN + 1)), "gaps in the serials"
    assert {numbering.parse_number(n).level for n in numbers} == {5}
    print(f"\nset-up {setup:.1f} s; {len(numbers)} certificates by {PLANS} processes in {elapsed:.1f} s")
