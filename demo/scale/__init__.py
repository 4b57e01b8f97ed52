"""A whole city's worth of certification history, written in bulk for the benchmarks (issue 13).

``generate(preset)`` builds organisations (``world``), then plans, candidates, results and
certificates in time order (``plans``), through the bulk writer (``writer``): every row with its
history rows, every step with the audit event its service writes, all linked into the chain, so
``manage.py audit_verify`` passes afterwards and every certificate verifies on the public page.

``generate`` does not look at the database's name: ``manage.py generate_scale`` does, and refuses
any database that is not plainly a throw-away benchmark database. The tests call ``generate``
directly on their own test database.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from accounts.models import User
from accounts.roles import BureauRole
from accounts.services import bureau_user_create
from audit.actors import system_actor
from certify.models import Certificate, Occupation
from certify.scenarios import PASSWORD
from certify.services.catalogue import catalogue_import_builtin
from demo.scale.plans import PlanBuilder, plan_specs
from demo.scale.world import OrgBuilder
from demo.scale.writer import BulkWriter

__all__ = ["PRESETS", "Outcome", "Preset", "database_allowed", "generate"]

ALLOWED_NAME_PARTS = ("bench", "scale")


@dataclass(frozen=True)
class Preset:
    organisations: int
    certificates: int


PRESETS = {
    "tiny": Preset(3, 300),  # the test's
    "dongguan": Preset(468, 168_000),  # Dongguan's three years
    "x10": Preset(4_680, 1_680_000),  # ten times Dongguan
}


@dataclass
class Outcome:
    organisations: int
    plans: int
    certificates: int
    rows: int  # rows and history rows written in bulk
    events: int
    seconds: float


def database_allowed(name: str) -> bool:
    """Only a database whose name says it is for benchmarks (contains "bench" or "scale")."""
    base = str(name or "").replace("\\", "/").rsplit("/", 1)[-1].lower()
    return any(part in base for part in ALLOWED_NAME_PARTS)


def _bureau(prefix: str):
    """The bureau administrator who creates the organisations, made through the services (its event
    also starts the chain), and the catalogue if the database has none."""
    system = system_actor("generate_scale")
    username = f"{prefix}_bureau_admin"
    admin = User.objects.filter(username=username).first() or bureau_user_create(
        actor=system,
        username=username,
        full_name="合成数据局管理员",
        password=PASSWORD,
        role=BureauRole.BUREAU_ADMIN,
        must_change_password=False,
    )
    if not Occupation.objects.filter(active=True).exists():
        catalogue_import_builtin(actor=admin)
    return system, admin


def generate(
    preset: str | Preset,
    *,
    seed: int = 13,
    today: dt.date | None = None,
    say: Callable[[str], None] = print,
    progress: Callable[[int, int, float], None] | None = None,
    prefix: str = "scale",
) -> Outcome:
    """Fill the current database with ``preset``; refuses a database that already has certificates."""
    spec = PRESETS[preset] if isinstance(preset, str) else preset
    if Certificate.objects.exists():
        raise RuntimeError("the database already holds certificates: generate_scale fills a freshly migrated database")
    started = time.perf_counter()
    today = today or timezone.localdate()
    rng = random.Random(seed)  # noqa: S311 - reproducible made-up data, not secrets
    system, admin = _bureau(prefix)
    bureau = (admin.pk, str(admin), BureauRole.BUREAU_ADMIN.value)
    writer = BulkWriter()
    try:
        orgs, specs, builder = _fill(
            writer,
            spec,
            rng=rng,
            today=today,
            system=system,
            bureau=bureau,
            prefix=prefix,
            say=say,
            progress=progress,
            started=started,
        )
    finally:
        writer.close()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return Outcome(
        organisations=len(orgs),
        plans=len(specs),
        certificates=builder.issued,
        rows=writer.rows_written,
        events=writer.events_written + 1,
        seconds=time.perf_counter() - started,
    )


def _fill(writer, spec: Preset, *, rng, today, system, bureau, prefix, say, progress, started):
    say(f"{spec.organisations:,} organisations …")
    orgs = OrgBuilder(writer, rng=rng, today=today, bureau=bureau, prefix=prefix).build(spec.organisations)
    specs = plan_specs(rng, orgs, certificates=spec.certificates, today=today)
    say(f"{len(specs):,} plans, {spec.certificates:,} certificates …")

    def report(issued: int) -> None:
        if progress is not None:
            progress(issued, spec.certificates, time.perf_counter() - started)

    builder = PlanBuilder(writer, rng=rng, today=today, system=(system.pk, str(system), "system"), progress=report)
    builder.build(specs)
    return orgs, specs, builder
