"""generate_scale: the tiny preset writes a world whose audit trail verifies and whose certificates
verify on the public page; the command refuses a database that is not a benchmark database.

Runs on SQLite (executemany) and on PostgreSQL (COPY) alike.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.models import AuditEvent
from audit.verify import verify_all
from certify.models import AssessmentPlan, Certificate, Enrolment, Person, Result
from certify.services.verification import REPLACED, REVOKED, SUSPENDED, VALID, verification_by_signature
from demo.scale import PRESETS, Preset, database_allowed, generate


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("skillcert_bench_dg", True),
        ("scale_x10", True),
        ("/var/data/BENCH.sqlite3", True),
        ("skillcert", False),
        ("test_skillcert", False),
        ("/srv/benchmarks/skillcert.sqlite3", False),  # the folder's name does not count
        ("", False),
    ],
)
def test_only_a_benchmark_database_name_is_allowed(name, allowed):
    assert database_allowed(name) is allowed


@pytest.mark.django_db
def test_the_command_refuses_a_database_not_named_for_benchmarks(monkeypatch):
    # The test database's own name depends on DATABASE_URL (test_skillcert_bench… would pass).
    monkeypatch.setitem(connection.settings_dict, "NAME", "skillcert")
    with pytest.raises(CommandError, match="bench"):
        call_command("generate_scale", "--preset", "tiny")
    assert not Certificate.objects.exists()


def test_the_presets_are_dongguan_and_ten_times_dongguan():
    assert PRESETS["dongguan"] == Preset(468, 168_000)
    assert PRESETS["x10"] == Preset(4_680, 1_680_000)


@pytest.mark.django_db(transaction=True)
def test_the_tiny_preset_writes_a_verifiable_world():
    messages = []
    outcome = generate("tiny", say=messages.append)

    assert outcome.organisations == 3
    assert outcome.certificates == Certificate.objects.filter(version=1).count() == 300
    plans = list(AssessmentPlan.objects.all())
    assert outcome.plans == len(plans)
    assert all(p.status == AssessmentPlan.Status.CLOSED for p in plans)
    assert Enrolment.objects.count() == Person.objects.count() == Result.objects.count()
    assert Result.objects.filter(outcome=Result.Outcome.PASS).count() == 300
    # the level mix (30/35/25/8/2 % for 5→1) is drawn per plan: with so few plans, only its range
    assert {c.level for c in Certificate.objects.all()} <= {1, 2, 3, 4, 5}

    report = verify_all(record=False)
    assert report.ok, [p.describe() for p in report.problems]
    assert report.events == AuditEvent.objects.count()
    assert report.history_rows > 4 * 300  # person, enrolment, result and certificate at least

    kinds = Counter(AuditEvent.objects.values_list("event_type", flat=True))
    assert kinds["certificate.issued"] == 300 + 1  # one per certificate, and the number counters
    assert kinds["plan.created"] == kinds["plan.results_approved"] == outcome.plans

    # one certificate of each status there is (valid, and whichever of the changes the dice gave)
    expected = {"valid": VALID, "revoked": REVOKED, "suspended": SUSPENDED, "replaced": REPLACED}
    statuses = set(Certificate.objects.values_list("status", flat=True))
    assert "valid" in statuses
    for status in statuses:
        certificate = Certificate.objects.filter(status=status).order_by("pk").first()
        answer = verification_by_signature(
            number=certificate.number, signature=certificate.signature, key_id=certificate.key_id
        )
        assert answer.result == expected[status], certificate.number
        assert answer.integrity.ok


def test_plans_give_exactly_the_certificates_asked_for_in_the_level_mix():
    import datetime as dt
    import random
    from types import SimpleNamespace

    from demo.scale.plans import LEVEL_MIX, PLAN_SIZE, plan_specs

    orgs = [SimpleNamespace(pk=i, occupations=["6-18-01-01", "6-18-01-02", "4-01-02-01"]) for i in range(468)]
    specs = plan_specs(random.Random(1), orgs, certificates=168_000, today=dt.date(2026, 12, 1))
    passed, manufacturing = Counter(), 0
    for spec in specs:
        passed[spec.level] += spec.outcomes.count("P")
        manufacturing += spec.outcomes.count("P") * spec.occupation.startswith("6-")
    assert abs(manufacturing / 168_000 - 0.85) < 0.03
    assert sum(passed.values()) == 168_000
    for level, share in LEVEL_MIX:
        assert abs(passed[level] / 168_000 - share) < 0.03, (level, passed[level] / 168_000)
    assert all(len(s.outcomes) <= PLAN_SIZE[1] for s in specs)
    assert sum(len(s.outcomes) >= PLAN_SIZE[0] for s in specs) >= len(specs) - 1  # the last one is cut
    assert [s.exam for s in specs] == sorted(s.exam for s in specs)
