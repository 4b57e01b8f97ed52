"""Issue 13, operations: a backup is only as good as its restore. The database is dumped with
pg_dump, restored into a fresh database, and `manage.py audit_verify` — run as an operator would,
in a new process, with the key files kept apart from the dump — passes there; a row changed in the
restored copy is caught. docs/operations.md describes the same steps.

PostgreSQL only (CI's .ci/run); skipped on the embedded SQLite default.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from audit.actors import system_actor
from audit.checkpoints import checkpoint_create
from certify.scenarios import Scenario
from certify.services.issuing import issuance_request
from tests.realworker import database_url

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent.parent


def _with_name(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def _manage(*args: str, database: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database, "CELERY_TASK_ALWAYS_EAGER": "1"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def test_a_dump_restored_into_a_fresh_database_passes_audit_verify(tmp_path):
    if connection.vendor != "postgresql" or not shutil.which("pg_dump"):
        pytest.skip("backup and restore are PostgreSQL's pg_dump and pg_restore")
    scenario = Scenario(timezone.localdate(), prefix="br", actor="tests")
    setup = scenario.organization("br", name="东莞市备份恢复测试有限公司", seal=True)
    plan = scenario.closed_plan(setup, candidates=3)
    issuance_request(actor=setup.operator, plan=plan, issue_date=timezone.localdate())
    checkpoint_create(actor=system_actor("checkpoint"))

    source = database_url()
    restored_name = connection.settings_dict["NAME"] + "_restored"
    restored = _with_name(source, restored_name)
    dump = tmp_path / "skillcert.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", source], check=True)
    with psycopg.connect(_with_name(source, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{restored_name}"')
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump)], check=True)
        verified = _manage("audit_verify", database=restored)
        assert verified.returncode == 0, verified.stdout + verified.stderr

        with psycopg.connect(restored, autocommit=True) as copy:
            first = "(SELECT min(id) FROM certify_certificate)"
            copy.execute(f"UPDATE certify_certificate SET holder_name = '李四' WHERE id = {first}")
        tampered = _manage("audit_verify", database=restored)
        assert tampered.returncode == 1, tampered.stdout + tampered.stderr
        assert "审计数据已被改动" in tampered.stderr
    finally:
        with psycopg.connect(_with_name(source, "postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
