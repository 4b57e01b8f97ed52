"""Issuing: certificates numbered, signed and recorded per second through ``issue_one``.

Closed plans with passing candidates are built through the services first (set-up, reported
apart). Then each certificate goes through ``issue_one`` as the batch job calls it: candidates
from ``issuance_candidates``, the number from the locked counter, the signature, the photo copied,
the row with its history, one audit event. Two ways:

- one transaction per certificate (each one pays its own commit and chain-head lock);
- one transaction per plan (what ``issuance_allocate`` does; its PDFs are the ``pdf`` benchmark).

The key ring's sign and verify are timed alone for comparison with the stack notes (≈26 µs and
≈83 µs for Ed25519 itself).
"""

from __future__ import annotations

import math

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench.common import Context, timer
from bench.world import world
from certify.keys import certificate_keyring
from certify.services.issue_rules import issuance_candidates
from certify.services.issuing import issue_one
from certify.services.payload import payload_of

PLAN_SIZE = 50
SIGNATURES = 1000


def benchmark(ctx: Context) -> None:
    w = world(ctx)
    setup = w.organization("issuing", name="东莞市基准发证测试有限公司")
    total = max(ctx.args.issue, 8)
    size = min(PLAN_SIZE, math.ceil(total / 2))
    count = max(2, math.ceil(total / size))
    count += count % 2
    with timer() as t:
        plans = [w.closed_plan(setup, candidates=size) for _ in range(count)]
    ctx.add(
        "set-up: closed plans built through the services",
        count * size,
        t[0],
        f"{count} plans × {size} candidates (roster + score imports, photos); not issuing",
    )
    half = count // 2
    issued = _one_per_transaction(ctx, setup, plans[:half])
    _one_transaction_per_plan(ctx, setup, plans[half:])
    _signing(ctx, issued[0])


def _one_per_transaction(ctx: Context, setup, plans) -> list:
    to_issue = [e for plan in plans for e in issuance_candidates(plan)[0]]
    # The first certificate creates the year's number counter: it is neither counted nor timed.
    first, second, rest = to_issue[0], to_issue[1], to_issue[2:]
    with transaction.atomic():
        certificates = [issue_one(actor=setup.operator, enrolment=first, batch=None, issue_date=ctx.today)]
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        certificates.append(issue_one(actor=setup.operator, enrolment=second, batch=None, issue_date=ctx.today))
    queries = len(captured.captured_queries)
    with timer() as t:
        for enrolment in rest:
            with transaction.atomic():
                certificates.append(
                    issue_one(actor=setup.operator, enrolment=enrolment, batch=None, issue_date=ctx.today)
                )
    note = f"{queries} queries per certificate, BEGIN and COMMIT included"
    ctx.add("issue_one: 1 certificate per transaction", len(rest), t[0], note)
    return certificates


def _one_transaction_per_plan(ctx: Context, setup, plans) -> None:
    n = 0
    with timer() as t:
        for plan in plans:
            with transaction.atomic():
                # As the batch job: candidates looked up inside the transaction that issues them.
                for enrolment in issuance_candidates(plan)[0]:
                    issue_one(actor=setup.operator, enrolment=enrolment, batch=None, issue_date=ctx.today)
                    n += 1
    ctx.add("issue_one: 1 transaction per plan (as issuance_allocate)", n, t[0], f"{len(plans)} plans")


def _signing(ctx: Context, certificate) -> None:
    ring = certificate_keyring()
    payload = payload_of(certificate)
    with timer() as t:
        for _ in range(SIGNATURES):
            kid, signature = ring.sign(payload)
    ctx.add("key ring sign (manifest read + Ed25519)", SIGNATURES, t[0], "stack notes: Ed25519 alone ≈26 µs")
    with timer() as t:
        for _ in range(SIGNATURES):
            ring.verify(kid=kid, payload=payload, signature=signature)
    ctx.add("key ring verify (manifest read + Ed25519)", SIGNATURES, t[0], "stack notes: Ed25519 alone ≈83 µs")
    with timer() as t:
        for _ in range(SIGNATURES):
            payload_of(certificate)
    ctx.add("payload_of (ID number decrypted + canonical JSON)", SIGNATURES, t[0])
