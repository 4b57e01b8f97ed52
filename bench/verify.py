"""Public verification requests per second, through the Django test client (the whole middleware
stack, no network, one process): the QR link as HTML and as JSON, a forged signature, and the
lookup by number and full name.

Each request comes from another client address so the per-IP limit (30 a minute) never answers
429; the limit's cache is local memory here and Redis in production (one round trip ≈2 ms more).
The ``lists`` benchmark times the same lookup again among 100,000 certificates.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.common import Context, timer
from bench.world import world
from certify.models import Certificate
from certify.services.issue_rules import issuance_candidates
from certify.services.issuing import issue_one

CERTIFICATES = 20


def issued_certificates(ctx: Context) -> list[Certificate]:
    def build() -> list[Certificate]:
        w = world(ctx)
        setup = w.organization("verify", name="东莞市基准查验测试有限公司")
        plan = w.closed_plan(setup, candidates=CERTIFICATES)
        with transaction.atomic():
            return [
                issue_one(actor=setup.operator, enrolment=e, batch=None, issue_date=ctx.today)
                for e in issuance_candidates(plan)[0]
            ]

    return ctx.once("verify_certificates", build)


def _address(i: int) -> str:
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def benchmark(ctx: Context) -> None:
    with timer() as t:
        certificates = issued_certificates(ctx)
    ctx.add("set-up: a plan of 20 issued through the services", len(certificates), t[0], "not measured below")
    n = max(ctx.args.requests, 1)
    client = Client()
    json = {"HTTP_ACCEPT": "application/json"}

    def qr(i: int, *, forged: bool = False, **extra):
        c = certificates[i % len(certificates)]
        signature = c.signature[::-1] if forged else c.signature
        return client.get(f"/v/{c.number}", {"s": signature, "k": c.key_id}, REMOTE_ADDR=_address(i), **extra)

    def lookup(i: int, **extra):
        c = certificates[i % len(certificates)]
        data = {"number": c.number, "name": c.holder_name}
        return client.post("/v/", data, REMOTE_ADDR=_address(i), **extra)

    cases = [
        ("GET /v/<number>?s&k: QR link, HTML page", lambda i: qr(i), "valid"),
        ("GET /v/<number>?s&k: QR link, JSON", lambda i: qr(i, **json), "valid"),
        ("GET /v/<number>?s&k: forged signature, JSON", lambda i: qr(i, forged=True, **json), "not_found"),
        ("POST /v/: number + full name, JSON", lambda i: lookup(i, **json), "valid"),
    ]
    offset = 0
    for what, call, expected in cases:
        call(offset)  # warm
        with CaptureQueriesContext(connection) as captured:
            response = call(offset + 1)
        # captured_queries reads the live log, which the next request clears: count it now.
        queries = len(captured.captured_queries)
        result = response.json().get("result") if response["Content-Type"].startswith("application/json") else ""
        statuses: dict[int, int] = {}
        with timer() as t:
            for i in range(n):
                status = call(offset + 2 + i).status_code
                statuses[status] = statuses.get(status, 0) + 1
        offset += n + 2
        codes = ", ".join(f"{code}×{count}" for code, count in sorted(statuses.items()))
        answer = f"result={result}" if result else f"{len(response.content) / 1024:.0f} KB page"
        note = f"{queries} {'query' if queries == 1 else 'queries'}; {answer} (expected {expected}); HTTP {codes}"
        ctx.add(what, n, t[0], note)
