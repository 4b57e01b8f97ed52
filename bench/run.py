#!/usr/bin/env python
"""Run the scale benchmarks against a dedicated, throw-away database and print a table of figures.

    .venv/bin/python bench/run.py [names…] [--scale N] [--keep] [--markdown]

Names: audit, issuing, pdf, verify, lists (default: all, in that order). ``--scale`` is the number
of synthetic certificates the ``lists`` benchmark generates (default 100,000; the design target is
1.7 million, ten times Dongguan's three years).

Database: with ``DATABASE_URL`` (PostgreSQL) the database it names is dropped and created afresh,
and dropped again at the end unless ``--keep``; its name must contain ``bench`` (for example
``postgres://postgres@127.0.0.1:5432/skillcert_bench``), so a developer's or production database is
never touched. Without ``DATABASE_URL``: a SQLite file in a temporary directory. Media, signing keys
and the personal-data key always live in that temporary directory (``SKILLCERT_VAR_DIR``), Celery
runs eagerly in-process and the cache is local memory, whatever the shell says.

Nothing here asserts: the figures are for people to read (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent

# name → module; each module has one ``benchmark(ctx)`` function.
BENCHMARKS = {
    "audit": "bench.chain",
    "issuing": "bench.issuing",
    "pdf": "bench.pdf",
    "verify": "bench.verify",
    "lists": "bench.lists",
}
DEFAULT_SCALE = 100_000
DESIGN_TARGET = 1_700_000

# Variables that would point the run at the developer's own files or services.
_CONTROLLED = (
    "SECRET_KEY",
    "DEBUG",
    "HTTPS",
    "STATIC_MANIFEST",
    "ALLOWED_HOSTS",
    "SKILLCERT_VAR_DIR",
    "MEDIA_ROOT",
    "SKILLCERT_CERT_KEYS_DIR",
    "SKILLCERT_AUDIT_KEYS_DIR",
    "SKILLCERT_PII_KEYS",
    "SKILLCERT_PII_ACTIVE_KID",
    "SKILLCERT_PII_HMAC_KEY",
    "REDIS_URL",
    "CACHE_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "SKILLCERT_TRUSTED_PROXIES",
    "WEB_CONCURRENCY",
    "LOG_LEVEL",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="name", help="any of: " + ", ".join(BENCHMARKS))
    parser.add_argument("--scale", type=int, default=DEFAULT_SCALE, help="synthetic certificates for `lists`")
    parser.add_argument("--appends", type=int, default=2000, help="audit events appended by `audit`")
    parser.add_argument("--threads", type=int, default=4, help="concurrent appenders on PostgreSQL (0: none)")
    parser.add_argument("--issue", type=int, default=200, help="certificates issued by `issuing`")
    parser.add_argument("--requests", type=int, default=300, help="verification requests per kind")
    parser.add_argument("--repeat", type=int, default=10, help="timed repetitions of each page in `lists`")
    parser.add_argument("--keep", action="store_true", help="keep the database and the temporary directory")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown as well")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    # Always in the documented order, whatever order they were named in.
    args.names = [n for n in BENCHMARKS if n in args.names] or list(BENCHMARKS)
    return args


# --- the database ------------------------------------------------------------------------------
def _pg_target(url: str) -> tuple[str, dict]:
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    params = {
        "host": parts.hostname or "",
        "port": parts.port or 5432,
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "dbname": "postgres",
    }
    return name, {k: v for k, v in params.items() if v != ""}


def _refuse(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr)
    raise SystemExit(2)


def recreate_postgres(url: str) -> str:
    """Drop (if present) and create the bench database; only a database named *bench*."""
    import psycopg
    from psycopg import sql

    name, params = _pg_target(url)
    if "bench" not in name:
        _refuse(
            f"DATABASE_URL names {name!r}. The benchmarks drop and re-create the database they are given and "
            "fill it with synthetic certificates, so its name must contain 'bench', e.g. "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/skillcert_bench"
        )
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8'").format(sql.Identifier(name)))
    return name


def drop_postgres(url: str) -> None:
    import psycopg
    from psycopg import sql

    name, params = _pg_target(url)
    if "bench" not in name:
        return
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# --- the process -------------------------------------------------------------------------------
def configure_environment(work: Path) -> str:
    """Point settings at the temporary directory and in-process services. Returns DATABASE_URL or ""."""
    for name in _CONTROLLED:
        os.environ.pop(name, None)
        os.environ.pop(f"{name}_FILE", None)
    os.environ.pop("DATABASE_URL_FILE", None)
    database_url = os.environ.get("DATABASE_URL", "").strip()
    if database_url and not database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        _refuse("DATABASE_URL must be a postgres:// URL; leave it unset for SQLite in a temporary directory")
    if not database_url:
        os.environ.pop("DATABASE_URL", None)
    var = work / "var"
    var.mkdir(parents=True)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "DEBUG": "0",
            "HTTPS": "0",
            "STATIC_MANIFEST": "0",
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "SKILLCERT_VAR_DIR": str(var),
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "LOG_LEVEL": "WARNING",
        }
    )
    return database_url


def machine(vendor: str) -> list[str]:
    import django
    from django.db import connection

    lines = [
        f"date: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"os: {platform.platform()}",
        f"cpu: {_cpu_model()} × {os.cpu_count()} cores",
        f"memory: {_memory_gb():.1f} GB",
        f"python {platform.python_version()}, django {django.get_version()}",
        "load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()),
    ]
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("SELECT version()")
            lines.append(f"database: {cursor.fetchone()[0].split(' on ')[0]} (local, TCP)")
            settings = []
            for name in ("shared_buffers", "work_mem", "fsync", "synchronous_commit"):
                cursor.execute(f"SHOW {name}")
                settings.append(f"{name}={cursor.fetchone()[0]}")
            lines.append("postgresql settings: " + ", ".join(settings))
        else:
            cursor.execute("SELECT sqlite_version()")
            lines.append(f"database: SQLite {cursor.fetchone()[0]} (WAL, synchronous=NORMAL) in a temporary directory")
    return lines


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


def _memory_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _run(args: argparse.Namespace, database_url: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings
    from django.utils import timezone

    from bench.common import Context, markdown_table, table, timer

    vendor = connection.vendor
    print("SkillCert benchmarks — figures only, nothing is asserted")
    for line in machine(vendor):
        print(f"  {line}")
    print(f"  benchmarks: {' '.join(args.names)}; --scale {args.scale:,}")
    print()
    ctx = Context(args=args, vendor=vendor, today=timezone.localdate())
    with timer() as t:
        call_command("migrate", verbosity=0)
    ctx.add("migrate a fresh database", 1, t[0], "set-up, for reference")
    # Set-up only: accounts are created through the services, and PBKDF2 would spend seconds per user.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for name in args.names:
            print(f"\n== {name}", flush=True)
            module = importlib.import_module(BENCHMARKS[name])
            started = time.perf_counter()
            module.benchmark(ctx)
            print(f"   ({name} took {time.perf_counter() - started:.1f} s in all, set-up included)", flush=True)
    print("\n== summary\n")
    for line in machine(vendor):
        print(f"  {line}")
    print()
    print(table(ctx.rows))
    if args.markdown:
        print("\n" + markdown_table(ctx.rows))
    if database_url and args.keep:
        print(f"\nkept: {database_url} (drop it with: dropdb {_pg_target(database_url)[0]})")


def main(argv: list[str] | None = None) -> int:
    # Run as a script, Python puts bench/ first on the path; the project root belongs there instead.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    args = parse_args(argv)
    if args.scale < 1:
        _refuse("--scale must be at least 1")
    work = Path(tempfile.mkdtemp(prefix="skillcert-bench-"))
    database_url = ""
    try:
        database_url = configure_environment(work)
        if database_url:
            recreate_postgres(database_url)
        _run(args, database_url)
    finally:
        if "django.db" in sys.modules:
            from django.apps import apps

            if apps.ready:
                from django.db import connections

                connections.close_all()
        if database_url and not args.keep:
            drop_postgres(database_url)
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
