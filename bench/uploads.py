#!/usr/bin/env python
"""What the upload guards cost on a real roster: the pre-scan of the workbook and the child process.

    .venv/bin/python bench/uploads.py [--rows 5000] [--repeat 5]

Writes a roster of ``--rows`` candidates, every column filled, with the system's own template
writer (two thousand formatted rows and the notes sheet included), then times, best of
``--repeat``:

  in-process   openpyxl reading the first sheet in this process (all that read_table did before)
  pre-scan     check_workbook: the zip directory, then every part inflated through the counters
  child        the same openpyxl read in a forked child under its limits, the rows sent back
  read_table   all of it: pre-scan, child, and matching and parsing the rows into a ParsedTable
  child round trip   a child that only sends the rows back: fork, limits, pickling, unpickling

and prints the guards' overhead (pre-scan + child round trip) against read_table, the child's
peak memory, and each part's unpacked size, to hold the caps in config/settings.py against
a real file. Needs no database. Nothing here asserts: the figures are for people to read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import io
import os
import resource
import secrets
import sys
import tempfile
import time
import zipfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
os.environ.setdefault("SKILLCERT_VAR_DIR", tempfile.mkdtemp(prefix="skillcert-bench-"))
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("STATIC_MANIFEST", "0")

import django  # noqa: E402

django.setup()

from certify.services.imports import roster_columns  # noqa: E402
from lib.excel import isolation, write_template  # noqa: E402
from lib.excel.limits import Limits, check_workbook  # noqa: E402
from lib.excel.reading import first_sheet_rows, read_table  # noqa: E402
from lib.identifiers import id_number_check_char  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "华"]


def roster(rows: int) -> bytes:
    examples = []
    for i in range(rows):
        body = f"441900{1970 + i % 30}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        examples.append(
            {
                "name": SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES)) % len(GIVEN)],
                "id_type": "resident_id",
                "id_number": body + id_number_check_char(body),
                "employee_number": f"A{i:05d}",
                "hire_date": dt.date(2015, 1, 1) + dt.timedelta(days=i % 3000),
                "dispatched": i % 7 == 0,
                "years_in_occupation": Decimal(str(3 + i % 20)),
                "education": "30",
                "route": "promotion",
                "phone": f"138{i:08d}",
                "prior_level": "5",
                "prior_kind": "skill_level",
                "prior_number": f"Y0000440012342050{i:05d}",
                "prior_date": dt.date(2020, 12, 20),
            }
        )
    return write_template(columns=roster_columns(), sheet_title="报名名册", example_rows=examples)


def best(repeat: int, func) -> tuple[float, float]:
    """The fastest of ``repeat`` runs: (wall seconds, CPU seconds of this process and its children)."""
    runs = []
    for _ in range(repeat):
        cpu_before = _cpu()
        started = time.perf_counter()
        func()
        runs.append((time.perf_counter() - started, _cpu() - cpu_before))
    return min(runs)


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    data = roster(args.rows)
    limits = Limits.from_settings()
    columns = roster_columns()
    print(f"roster of {args.rows} rows: {len(data) / 1024:.0f} KB")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            print(f"  {info.filename:32} {info.file_size / 1024:9.0f} KB unpacked")

    read = functools.partial(first_sheet_rows, max_rows=limits.rows, max_cells=limits.cells)
    whole = functools.partial(read_table, columns=columns, filename="roster.xlsx", max_rows=args.rows)
    figures = {
        "in-process openpyxl": best(args.repeat, lambda: read(data)),
        "pre-scan": best(args.repeat, lambda: check_workbook(data, limits)),
        "child openpyxl": best(
            args.repeat,
            lambda: isolation.run_limited(read, data, memory_bytes=limits.memory_bytes, seconds=limits.seconds),
        ),
        "read_table": best(args.repeat, lambda: whole(io.BytesIO(data))),
    }
    rows = read(data)
    figures["child round trip"] = best(
        args.repeat,
        lambda: isolation.run_limited(lambda _: rows, data, memory_bytes=limits.memory_bytes, seconds=limits.seconds),
    )
    table = whole(io.BytesIO(data))
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print(f"rows parsed: {len(table.rows)}, errors: {len(table.errors)}")
    print(f"{'':24}{'wall s':>8}{'CPU s':>8}")
    for what, (wall, cpu) in figures.items():
        print(f"{what:24}{wall:8.3f}{cpu:8.3f}")
    # The child's own cost is the round trip (fork, limits, rows pickled back): the same openpyxl
    # work runs in it, and in-process against child differ by more than that from run to run.
    overhead = [p + c for p, c in zip(figures["pre-scan"], figures["child round trip"], strict=True)]
    before = [w - o for w, o in zip(figures["read_table"], overhead, strict=True)]
    print(f"{'guards in all':24}{overhead[0]:8.3f}{overhead[1]:8.3f}   (pre-scan + child round trip)")
    print(f"{'guards / read_table':24}{overhead[0] / before[0]:8.1%}{overhead[1] / before[1]:8.1%}")
    print(f"child peak RSS {child_peak:.0f} MiB, parent {rss_mib():.0f} MiB (the child shares the parent's pages)")


if __name__ == "__main__":
    main()
