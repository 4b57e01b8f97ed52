"""Generate a benchmark world in bulk: ``manage.py generate_scale --preset dongguan|x10|tiny``.

    dongguan   468 organisations, 168,000 certificates (Dongguan's three years)
    x10        4,680 organisations, 1,680,000 certificates
    tiny       3 organisations, 300 certificates

Every row comes with its history rows and the audit events its services would have written
(``demo/scale``), so ``manage.py audit_verify`` passes and the certificates verify on the public
page. Rows go in with PostgreSQL COPY (SQLite: executemany), bypassing the services' checks.

It REFUSES any database whose name does not contain "bench" or "scale" (for example
``postgres://postgres@127.0.0.1:5432/skillcert_bench_dg``), and one that already holds
certificates. There is no option to skip the name check: the tests do not run this command on
their test database but call ``demo.scale.generate`` directly, and test only the refusal here.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from demo.scale import PRESETS, database_allowed, generate

BAR = 30


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Command(BaseCommand):
    help = "Fill a throw-away benchmark database with a generated world (refuses any other database)."

    def add_arguments(self, parser):
        parser.add_argument("--preset", choices=sorted(PRESETS), required=True)
        parser.add_argument("--seed", type=int, default=13, help="random seed (the same seed, the same world)")

    def handle(self, *args, preset: str, seed: int, **options):
        name = connection.settings_dict.get("NAME") or ""
        if not database_allowed(name):
            raise CommandError(
                f"Refusing to write to database {name!r}: generate_scale writes hundreds of thousands of rows "
                "and only runs on a throw-away benchmark database whose name contains 'bench' or 'scale' "
                "(for example postgres://postgres@127.0.0.1:5432/skillcert_bench_dg)."
            )
        tty = self.stdout.isatty() if hasattr(self.stdout, "isatty") else sys.stdout.isatty()

        def progress(done: int, total: int, elapsed: float) -> None:
            share = done / total if total else 1.0
            rate = done / elapsed if elapsed > 0 else 0.0
            eta = (total - done) / rate if rate > 0 else 0.0
            bar = "#" * int(BAR * share) + "-" * (BAR - int(BAR * share))
            line = (
                f"[{bar}] {share:4.0%} {done:,}/{total:,} certificates · {rate:,.0f}/s · "
                f"{_duration(elapsed)} · ETA {_duration(eta)}"
            )
            self.stdout.write(("\r" + line) if tty else line, ending="" if tty else "\n")
            self.stdout.flush()

        try:
            outcome = generate(preset, seed=seed, say=self.stdout.write, progress=progress)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if tty:
            self.stdout.write("")
        o = outcome
        self.stdout.write(
            self.style.SUCCESS(
                f"{o.organisations:,} organisations, {o.plans:,} plans, {o.certificates:,} certificates; "
                f"{o.rows:,} rows and history rows, {o.events:,} audit events in {o.seconds:.1f} s "
                f"({o.rows / o.seconds:,.0f} rows/s, {o.certificates / o.seconds:,.0f} certificates/s). "
                "Check it with: manage.py audit_verify"
            )
        )
