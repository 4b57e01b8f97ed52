"""python manage.py pii_scan [--logs FILE ...] — look for plaintext ID numbers where none may be.

Reads every text column of every table (history and audit tables included) and any log files
given, and reports each checksum-valid 18-character resident ID number found (GB 11643: a real
birth date and the right check character), by table, column and row — never the number itself.
Exits 1 when anything is found. ID numbers are stored only encrypted and as keyed hashes, so a
clean database answers "0 found".
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from lib.pii_scan import find_id_numbers, text_columns


class Command(BaseCommand):
    help = "Report any plaintext, checksum-valid ID number in the database or in log files."

    def add_arguments(self, parser):
        parser.add_argument("--logs", nargs="*", default=[], help="log files to scan too")

    def handle(self, *args, **options):
        found = 0
        tables = text_columns(connection)
        cells = 0
        for table, columns in tables.items():
            for column in columns:
                with connection.cursor() as cursor:
                    quoted_t, quoted_c = connection.ops.quote_name(table), connection.ops.quote_name(column)
                    cursor.execute(f"SELECT {quoted_c} FROM {quoted_t} WHERE {quoted_c} IS NOT NULL")  # noqa: S608
                    for row_number, (value,) in enumerate(cursor, start=1):
                        cells += 1
                        hits = find_id_numbers(str(value))
                        if hits:
                            found += len(hits)
                            self.stdout.write(f"{table}.{column}: {len(hits)} in row {row_number}")
        for name in options["logs"]:
            path = Path(name)
            if not path.exists():
                raise CommandError(f"no such log file: {name}")
            for line_number, line in enumerate(path.open(encoding="utf-8", errors="replace"), start=1):
                hits = find_id_numbers(line)
                if hits:
                    found += len(hits)
                    self.stdout.write(f"{name}:{line_number}: {len(hits)}")
        summary = f"{len(tables)} tables, {cells} values, {len(options['logs'])} log files: {found} ID numbers found"
        if found:
            self.stdout.write(self.style.ERROR(summary))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(summary))
