#!/usr/bin/env python3
"""Issue 15's reproduction, scripted: production's path for the demo's first batch, N times.

Each run: a fresh PostgreSQL database (cloned from a migrated template), a fresh key and media
folder, a real Celery worker (`celery -A config worker --concurrency 2`) on Redis started BEFORE
the seed, then `DEBUG=1 manage.py seed_demo` with REDIS_URL set — so the worker's two processes
meet a database without system actors at their first task, as in the report. The run passes when
the batch is done and all its certificates have their PDFs. Prints one line per run, exits 1 if
any run failed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python scripts/reproduce_batch.py --runs 10

DATABASE_URL names the server (its database is only used to create and drop the run's own
databases, ``skillcert_repro*``); the broker is Redis database 11 of REDIS_URL's server.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TEMPLATE = "skillcert_repro_template"
RUN_DB = "skillcert_repro"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def admin(url: str, *statements: str) -> None:
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def manage(*args: str, env: dict, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def batch_state(url: str) -> tuple[str, dict[str, int]] | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT id, status FROM certify_issuancebatch ORDER BY id LIMIT 1").fetchone()
        if row is None:
            return None
        counts = dict(
            conn.execute(
                "SELECT pdf_status, count(*) FROM certify_certificate WHERE batch_id = %s GROUP BY pdf_status", [row[0]]
            ).fetchall()
        )
    return row[1], counts


def one_run(number: int, *, server: str, broker: str, timeout: int) -> tuple[bool, str]:
    admin(server, f"DROP DATABASE IF EXISTS {RUN_DB} WITH (FORCE)", f"CREATE DATABASE {RUN_DB} TEMPLATE {TEMPLATE}")
    url = with_database(server, RUN_DB)
    var = tempfile.mkdtemp(prefix=f"skillcert-repro-{number}-")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "SKILLCERT_VAR_DIR": var,
        "DEBUG": "1",
    }
    subprocess.run(["redis-cli", "-u", broker, "flushdb"], capture_output=True, check=False)  # noqa: S603, S607
    log = Path(var) / "worker.log"
    worker = subprocess.Popen(  # noqa: S603
        [PYTHON, "-m", "celery", "-A", "config", "worker", "--concurrency", "2", "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    started = time.monotonic()
    try:
        seeded = manage("seed_demo", env=env)
        if seeded.returncode:
            return False, f"seed_demo failed: {seeded.stderr[-800:]}"
        state = None
        while time.monotonic() - started < timeout:
            state = batch_state(url)
            if state and state[0] in ("done", "failed") and not state[1].get("pending"):
                break
            time.sleep(1)
        worker_log = log.read_text(errors="replace")
        if not state:
            return False, "no batch was requested"
        status, counts = state
        total = sum(counts.values())
        ok = status == "done" and counts.get("done", 0) == total and total > 0
        note = f"batch {status}, PDFs {counts.get('done', 0)}/{total}, {time.monotonic() - started:.0f} s"
        if "IntegrityError" in worker_log or "Traceback" in worker_log:
            ok, note = False, note + " — worker log has a traceback:\n" + worker_log[-1500:]
        return ok, note
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
        admin(server, f"DROP DATABASE IF EXISTS {RUN_DB} WITH (FORCE)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per run")
    options = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL must point at a PostgreSQL server", file=sys.stderr)
        return 2
    redis = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    broker = urlunsplit((redis.scheme, redis.netloc, "/11", "", ""))
    admin(server, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)", f"CREATE DATABASE {TEMPLATE}")
    migrated = manage(
        "migrate", "--noinput", env={**os.environ, "DEBUG": "1", "DATABASE_URL": with_database(server, TEMPLATE)}
    )
    if migrated.returncode:
        print(migrated.stdout[-2000:], migrated.stderr[-2000:], file=sys.stderr)
        return 1
    failures = 0
    try:
        for number in range(1, options.runs + 1):
            ok, note = one_run(number, server=server, broker=broker, timeout=options.timeout)
            failures += not ok
            print(f"run {number:2d}: {'ok  ' if ok else 'FAIL'} {note}", flush=True)
    finally:
        admin(server, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
    print(f"{options.runs - failures}/{options.runs} runs finished with every PDF and the batch done")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
