"""Real Celery workers for tests that must run the production path (issue 15): a worker process
with 2 prefork children, on a Redis broker, against the test's PostgreSQL database.

Everything the test process dispatches goes to that broker (not eagerly in-process) while the
fixture is active. The worker inherits the test process's environment (keys, media in the same
temporary VAR dir) and points at the test database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent
BROKER_DB = 12  # a Redis database of its own, apart from the cache's


def database_url() -> str:
    s = connection.settings_dict
    user = quote(s["USER"] or "")
    password = f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else ""
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{user}{password}@{host}/{s['NAME']}"


def broker_url() -> str | None:
    base = os.environ.get("REDIS_URL") or getattr(settings, "REDIS_URL", "")
    if not base:
        return None
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{BROKER_DB}", "", ""))


def require_production_services() -> str:
    """Skip unless the test database is PostgreSQL and a Redis is configured; the broker URL."""
    if connection.vendor != "postgresql":
        pytest.skip("real workers run against PostgreSQL (set DATABASE_URL)")
    url = broker_url()
    if not url:
        pytest.skip("real workers need a Redis broker (set REDIS_URL)")
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {url}")
    return url


class Worker:
    """``celery -A config worker --concurrency N`` in a subprocess; its log is kept for failures."""

    def __init__(self, *, broker: str, concurrency: int = 2, env: dict | None = None):
        self.log = ROOT / "var" / f"test-worker-{uuid.uuid4().hex[:8]}.log"
        self.log.parent.mkdir(exist_ok=True)
        environment = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            **(env or {}),
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--concurrency",
                str(concurrency),
                "--pool",
                "prefork",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--hostname",
                f"test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=environment,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def purge(broker: str) -> None:
    import redis

    redis.Redis.from_url(broker).flushdb()


class BrokerMode:
    """Make this process dispatch to ``broker`` instead of running tasks eagerly."""

    def __init__(self, broker: str):
        self.broker = broker
        self.saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}

    def __enter__(self):
        purge(self.broker)
        app.conf.update(broker_url=self.broker, task_always_eager=False)
        _new_connections()
        return self

    def __exit__(self, *exc):
        app.conf.update(**self.saved)
        _new_connections()
        purge(self.broker)


def _new_connections() -> None:
    """Drop every pooled broker connection so the next dispatch connects with the current broker
    URL. kombu keeps its pools in a process-wide registry keyed by URL: closing a pool without
    clearing the registry hands the closed pool to the next user of the same URL ("Acquire on
    closed pool"), so the registry is reset, not just the app's reference."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None  # as Celery does after a fork


def wait_for(predicate, *, timeout: float, what: str, worker: Worker | None = None, step: float = 0.5):
    """Poll ``predicate`` until it is truthy (returned) or the timeout passes (a failure naming
    ``what``, with the worker's log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if worker is not None and worker.process.poll() is not None:
            pytest.fail(f"the worker exited ({worker.process.returncode}) while waiting for {what}:\n{worker.output()}")
        time.sleep(step)
    log = worker.output()[-4000:] if worker else ""
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{log}")
