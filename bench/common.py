"""What every benchmark shares: the context, result rows, the printed table, page timing with query
counts, and EXPLAIN on PostgreSQL.

Nothing here asserts: a benchmark reports what it measured, and a person reads the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

# A query slower than this on a page is EXPLAINed (PostgreSQL only).
EXPLAIN_THRESHOLD_S = 0.005


@dataclass
class Row:
    """One line of the table: ``n`` items took ``seconds`` in all."""

    what: str
    n: int
    seconds: float
    note: str = ""

    @property
    def per_item(self) -> float:
        return self.seconds / self.n if self.n else 0.0

    @property
    def per_second(self) -> float:
        return self.n / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Context:
    """Handed to every benchmark: the options, the report being written, and fixtures built so far."""

    args: argparse.Namespace
    vendor: str
    today: dt.date
    rows: list[Row] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def postgres(self) -> bool:
        return self.vendor == "postgresql"

    def add(self, what: str, n: int, seconds: float, note: str = "") -> Row:
        row = Row(what, n, seconds, note)
        self.rows.append(row)
        print(format_row(row), flush=True)
        return row

    def say(self, text: str) -> None:
        print(f"  · {text}", flush=True)

    def section(self, title: str, lines: list[str]) -> None:
        """A block printed after the table (EXPLAIN plans, index findings)."""
        self.sections.append((title, lines))
        print(f"\n  -- {title}", flush=True)
        for line in lines:
            print(f"     {line}", flush=True)
        print(flush=True)

    def once(self, key: str, build: Callable[[], Any]) -> Any:
        """A fixture shared by several benchmarks, built the first time one asks for it."""
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]


@contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` holds the elapsed seconds."""
    box = [0.0]
    start = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - start


# --- the table ---------------------------------------------------------------------------------
HEADERS = ("what", "n", "total s", "per item", "per second", "notes")
WIDTHS = (58, 9, 9, 10, 11, 0)


def duration(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.001:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds * 1_000_000:.0f} µs"


def rate(per_second: float) -> str:
    if per_second >= 100:
        return f"{per_second:,.0f}"
    return f"{per_second:.1f}"


def format_row(row: Row) -> str:
    cells = (
        row.what,
        f"{row.n:,}",
        f"{row.seconds:.3f}",
        duration(row.per_item),
        rate(row.per_second),
        row.note,
    )
    return _line(cells)


def _line(cells) -> str:
    first, *numbers, note = (str(c) for c in cells)
    parts = [first.ljust(WIDTHS[0])]
    parts += [text.rjust(width) for text, width in zip(numbers, WIDTHS[1:-1], strict=True)]
    parts.append(note)
    return "  ".join(parts).rstrip()


def table(rows: list[Row]) -> str:
    header = _line(HEADERS)
    rule = "-" * max(len(header), 110)
    return "\n".join([header, rule, *(format_row(r) for r in rows)])


def markdown_table(rows: list[Row]) -> str:
    """The same table as Markdown, for docs/benchmarks.md."""
    out = ["| what | n | total s | per item | per second | notes |", "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        what, note = (_md(text) for text in (r.what, r.note))
        cells = [what, f"{r.n:,}", f"{r.seconds:.3f}", duration(r.per_item), rate(r.per_second), note]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def _md(text: str) -> str:
    # "<number>" would be read as an HTML tag, "|" as a cell border.
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


# --- pages ---------------------------------------------------------------------------------------
@dataclass
class PageMeasure:
    status: int
    queries: list[dict]
    seconds: float
    repeat: int
    size: int

    @property
    def slowest(self) -> dict | None:
        return max(self.queries, key=lambda q: float(q["time"]), default=None)

    @property
    def query_seconds(self) -> float:
        return sum(float(q["time"]) for q in self.queries)


def measure_get(client, url: str, *, repeat: int, data: dict | None = None, **extra) -> PageMeasure:
    """One request with its queries captured, then ``repeat`` timed requests without capture (so the
    capture's own overhead stays out of the timing)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, data or {}, **extra)
    # captured_queries slices the live log, which the next request clears: copy it now.
    queries = list(captured.captured_queries)
    size = len(response.content) if hasattr(response, "content") else 0
    start = time.perf_counter()
    for _ in range(repeat):
        client.get(url, data or {}, **extra)
    seconds = time.perf_counter() - start
    return PageMeasure(response.status_code, queries, seconds, repeat, size)


def measure_call(fn: Callable[[], Any], *, repeat: int) -> PageMeasure:
    """The same for a plain function (a selector, a service that only reads)."""
    with CaptureQueriesContext(connection) as captured:
        fn()
    queries = list(captured.captured_queries)
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    seconds = time.perf_counter() - start
    return PageMeasure(200, queries, seconds, repeat, 0)


def short_sql(sql: str, limit: int = 160) -> str:
    text = re.sub(r"\s+", " ", sql).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- EXPLAIN -----------------------------------------------------------------------------------
_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")
_ACTUAL = re.compile(r"actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)")
_SPILL = re.compile(r"Sort Method: external merge\s+Disk: (\d+)kB")
BIG_SCAN_ROWS = 10_000


def explain(sql: str) -> list[str]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of a captured query, on PostgreSQL; [] elsewhere.

    The captured text is the statement as sent (psycopg binds parameters on the client), so it
    runs as it stands. It is a SELECT read from the page's own queries, never user input.
    """
    if connection.vendor != "postgresql" or not sql.lstrip().upper().startswith("SELECT"):
        return []
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [line for (line,) in cursor.fetchall()]


def plan_findings(plan: list[str]) -> list[str]:
    """What in an EXPLAIN ANALYZE plan does not scale: sequential scans that read many rows, sorts
    spilled to disk, and many rows processed for the few a page returns."""
    found: list[str] = []
    produced, spilled = [], 0
    for line in plan:
        actual = _ACTUAL.search(line)
        rows = int(actual.group(1)) * int(actual.group(2)) if actual else 0
        if actual:
            produced.append(rows)
        scan = _SEQ_SCAN.search(line)
        if scan and rows >= BIG_SCAN_ROWS:
            found.append(f"sequential scan of {scan.group(1)} ({rows:,} rows)")
        spill = _SPILL.search(line)
        if spill:
            spilled += int(spill.group(1))
    if spilled:
        found.append(f"sort spilled to disk ({spilled:,} kB in all processes)")
    if produced and max(produced) >= BIG_SCAN_ROWS and produced[0] <= 100:
        found.append(f"{max(produced):,} rows processed for {produced[0]} returned")
    return list(dict.fromkeys(found))
