"""Read paths at scale: list pages, searches, statistics, verification and ``audit_verify`` over
``--scale`` synthetic certificates (default 100,000; the design target is 1.7 million).

Each page is requested once with its queries captured (count, time in SQL, the slowest), then
``--repeat`` times for the timing. On PostgreSQL the slowest query of every page that spends more
than a few milliseconds in one query is EXPLAINed (ANALYZE, BUFFERS) and its sequential scans are
listed with sorts spilled to disk and the rows processed for the few shown: that is where an
index is missing or a query does not scale. The models are not changed here; findings are
reported (docs/benchmarks.md).

The synthetic data comes from ``bench/synthetic.py`` and bypasses the services: see its warning.
"""

from __future__ import annotations

import math

from django.db import connection
from django.test import Client

from audit.verify import verify_all
from bench.common import (
    EXPLAIN_THRESHOLD_S,
    Context,
    PageMeasure,
    duration,
    explain,
    measure_call,
    measure_get,
    plan_findings,
    short_sql,
    timer,
)
from bench.synthetic import generate
from bench.world import world
from bureau import stats
from certify.models import Certificate

PER_PAGE = 50  # config.web.paginate
VERIFY_REPEAT_CAP = 25  # the verification page allows 30 requests a minute from one address


def benchmark(ctx: Context) -> None:
    data = generate(ctx, count=ctx.args.scale)
    if ctx.postgres:
        with timer() as t, connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        ctx.add("ANALYZE after the bulk load (autovacuum would, later)", 1, t[0])
    w = world(ctx)
    big = data.orgs[0]
    org_client, bureau_client = Client(), Client()
    org_client.force_login(big.admin)
    bureau_client.force_login(w.bureau_auditor)

    total = Certificate.objects.count()
    mine = Certificate.objects.filter(organization=big.org).count()
    sample = Certificate.objects.filter(organization=big.org, status=Certificate.Status.VALID).order_by("pk")[mine // 2]
    ctx.say(f"{total:,} certificate rows in all; the biggest organisation holds {mine:,}")
    org_pages = math.ceil(mine / PER_PAGE)
    findings: list[str] = []
    cases = _cases(big.org.pk, sample, org_client, bureau_client, org_pages=org_pages, total=total)
    measured = {}
    for what, client, url, params in cases:
        measured[what] = _page(ctx, what, client, url, params, findings)
    _n_plus_one(ctx, measured, org_pages, findings)
    _stats(ctx, findings)
    _verification(ctx, sample, findings)
    _audit_verify(ctx)
    if findings:
        ctx.section("index and query findings (read the EXPLAIN plans above)", findings)


def _cases(org_id: int, sample: Certificate, org_client, bureau_client, *, org_pages: int, total: int) -> list:
    """(what, client, url, query) of every page measured: organisation pages as the biggest
    organisation's admin, bureau pages as a bureau auditor."""
    org_url, bureau_url = f"/orgs/{org_id}/certificates/", "/bureau/certificates/"
    bureau_pages = math.ceil(total / PER_PAGE)
    middle = f"page {org_pages // 2:,} of {org_pages:,}"
    bureau_middle = f"page {bureau_pages // 2:,} of {bureau_pages:,}"
    console = {"kind": "certificate", "q": sample.number}
    return [
        ("org certificate list: first page", org_client, org_url, {}),
        (f"org certificate list: {middle}", org_client, org_url, {"page": org_pages // 2}),
        (f"org certificate list: last page ({org_pages:,})", org_client, org_url, {"page": org_pages}),
        ("org certificate list: search q=<full number>", org_client, org_url, {"q": sample.number}),
        ("org certificate list: search q=<holder name>", org_client, org_url, {"q": sample.holder_name}),
        ("org certificate list: status=revoked", org_client, org_url, {"status": "revoked"}),
        ("org certificate detail page", org_client, f"{org_url}{sample.pk}/", {}),
        ("org plan list: first page", org_client, f"/orgs/{org_id}/plans/", {}),
        ("bureau certificate list: first page", bureau_client, bureau_url, {}),
        (f"bureau certificate list: {bureau_middle}", bureau_client, bureau_url, {"page": bureau_pages // 2}),
        ("bureau certificate list: search q=<full number>", bureau_client, bureau_url, {"q": sample.number}),
        ("bureau certificate list: search q=<holder name>", bureau_client, bureau_url, {"q": sample.holder_name}),
        ("bureau console: certificate search by number", bureau_client, "/bureau/console/", console),
        ("bureau plan list: first page", bureau_client, "/bureau/plans/", {}),
        ("bureau statistics dashboard (last 12 months)", bureau_client, "/bureau/stats/", {}),
    ]


def _note(m: PageMeasure) -> str:
    slowest = m.slowest
    slow = f", slowest {duration(float(slowest['time']))}" if slowest else ""
    return f"HTTP {m.status}, {len(m.queries)} queries, {duration(m.query_seconds)} in SQL{slow}"


def _page(ctx: Context, what: str, client, url: str, params: dict, findings: list[str]) -> PageMeasure:
    m = measure_get(client, url, repeat=ctx.args.repeat, data=params)
    ctx.add(what, m.repeat, m.seconds, _note(m))
    _explain_slowest(ctx, what, m, findings)
    return m


def _explain_slowest(ctx: Context, what: str, m: PageMeasure, findings: list[str]) -> None:
    slowest = m.slowest
    if not ctx.postgres or slowest is None or float(slowest["time"]) < EXPLAIN_THRESHOLD_S:
        return
    plan = explain(slowest["sql"])
    if not plan:
        return
    ctx.section(f"EXPLAIN — {what} ({duration(float(slowest['time']))})", [short_sql(slowest["sql"], 400), *plan])
    problems = plan_findings(plan)
    if problems:
        findings.append(f"{what}: {'; '.join(problems)} — {short_sql(slowest['sql'], 200)}")


def _n_plus_one(ctx: Context, measured: dict, org_pages: int, findings: list[str]) -> None:
    """A page of 50 rows against one of a few rows: the same query count means no N+1."""
    pairs = (
        ("org certificate list: first page", f"org certificate list: last page ({org_pages:,})"),
        ("org certificate list: first page", "org certificate list: search q=<full number>"),
        ("bureau certificate list: first page", "bureau certificate list: search q=<full number>"),
    )
    for full_name, few_name in pairs:
        full, few = measured[full_name], measured[few_name]
        if len(full.queries) != len(few.queries):
            findings.append(
                f"{full_name}: {len(full.queries)} queries, but {len(few.queries)} for «{few_name}» — "
                "the count grows with the rows shown (N+1)"
            )
        else:
            ctx.say(f"{full_name} and «{few_name}»: {len(full.queries)} queries each (no N+1)")


def _stats(ctx: Context, findings: list[str]) -> None:
    default = stats.default_filter(today=ctx.today)
    for what, filters in (
        ("stats_overview(): last 12 months (7 grouped queries)", default),
        ("stats_overview(): all time", stats.StatsFilter()),
    ):
        m = measure_call(lambda f=filters: stats.stats_overview(f), repeat=max(ctx.args.repeat // 2, 1))
        ctx.add(what, m.repeat, m.seconds, _note(m))
        _explain_slowest(ctx, what, m, findings)


def _verification(ctx: Context, sample: Certificate, findings: list[str]) -> None:
    client = Client()
    url = f"/v/{sample.number}"
    params = {"s": sample.signature, "k": sample.key_id}
    repeat = min(ctx.args.repeat, VERIFY_REPEAT_CAP)
    for what, extra, address in (
        ("GET /v/<number>?s&k among all certificates: HTML", {}, "10.99.0.1"),
        ("GET /v/<number>?s&k among all certificates: JSON", {"HTTP_ACCEPT": "application/json"}, "10.99.0.2"),
    ):
        m = measure_get(client, url, repeat=repeat, data=params, REMOTE_ADDR=address, **extra)
        ctx.add(what, m.repeat, m.seconds, _note(m))
        _explain_slowest(ctx, what, m, findings)


def _audit_verify(ctx: Context) -> None:
    report = verify_all(record=False)
    state = "no problems" if report.ok else f"{len(report.problems) + report.problems_not_listed} problems"
    ctx.add(
        "audit_verify: chain walk, bound history rows rehashed",
        report.history_rows,
        report.chain_seconds,
        f"{report.events:,} events, {report.history_groups:,} history groups; {state}",
    )
    ctx.add(
        "audit_verify: every audited row vs its newest history",
        report.rows,
        report.seconds - report.chain_seconds,
        f"{report.models} models; whole run {report.seconds:.1f} s",
    )
    if not report.ok:
        ctx.section("audit_verify problems (first 10)", [p.describe() for p in report.sorted_problems()[:10]])
