"""PDFs: one certificate's render time and size, the combined print file of a batch of 20, and the
whole issuing of a plan of 20 with Celery eager (numbers, signatures, twenty PDFs, the combined file).

Compare with the stack notes: one A4 certificate with QR ≈0.15 s and ≈300 KB; twenty as one
20-page PDF 0.63 s and 346 KB, against twenty separate files 2.5 s and 6 MB. The organisation has a
seal, so every page carries the photo, the seal and the QR code.
"""

from __future__ import annotations

import gc
import resource

from django.core.files.storage import default_storage
from django.db import transaction

from bench.common import Context, timer
from bench.world import world
from certify.models import Certificate, IssuanceBatch
from certify.pdf import render_certificate_pdf, render_certificates_pdf
from certify.services.issue_rules import issuance_candidates
from certify.services.issuing import issuance_request, issue_one
from certify.services.rendering import certificate_render, pdf_context
from lib.pdf_fonts import missing_glyphs

BATCH = 20
SINGLE_RENDERS = 5
COMBINED_RENDERS = 2
COLLECTIONS = 5
PRINTED = ("holder_name", "id_type_label", "occupation_name", "work_type", "level_wording", "organization_name")


def _kb(size: int) -> str:
    return f"{size / 1024:,.0f} KB"


def benchmark(ctx: Context) -> None:
    w = world(ctx)
    setup = w.organization("pdf", name="东莞市基准证书打印测试有限公司", seal=True)
    with timer() as t:
        plans = [w.closed_plan(setup, candidates=BATCH) for _ in range(2)]
    ctx.add("set-up: 2 closed plans built through the services", 2 * BATCH, t[0], "not rendering")

    _end_to_end(ctx, setup, plans[0])
    certificates = list(
        Certificate.objects.filter(plan=plans[0]).select_related("person", "organization").order_by("number")
    )
    contexts = [pdf_context(c) for c in certificates]
    _single(ctx, contexts[0])
    _combined(ctx, contexts, certificates)
    _service(ctx, setup, plans[1])
    _collector(ctx)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ctx.say(f"peak resident memory of the benchmark process so far: {peak:,.0f} MB")


def _end_to_end(ctx: Context, setup, plan) -> None:
    with timer() as t:
        issuance_request(actor=setup.operator, plan=plan)
    batch = IssuanceBatch.objects.get(plan=plan)
    done = Certificate.objects.filter(plan=plan, pdf_status=Certificate.PdfStatus.DONE).count()
    combined = default_storage.size(batch.combined_pdf.name) if batch.combined_pdf else 0
    ctx.add(
        f"issuance end to end: {BATCH} certificates + PDFs + combined file",
        BATCH,
        t[0],
        f"Celery eager; batch {batch.status}, {done}/{BATCH} PDFs, combined {_kb(combined)}",
    )


def _single(ctx: Context, context: dict) -> None:
    with timer() as t:
        for _ in range(SINGLE_RENDERS):
            data = render_certificate_pdf(context)
    ctx.add(
        "render_certificate_pdf: one A4 certificate", SINGLE_RENDERS, t[0], f"{_kb(len(data))}; notes: 0.15 s, ≈300 KB"
    )
    text = "".join(str(context[k] or "") for k in PRINTED)
    with timer() as t:
        for _ in range(SINGLE_RENDERS):
            missing = missing_glyphs(data, text)
    ctx.add("missing_glyphs: embedded-font check of one PDF", SINGLE_RENDERS, t[0], f"{len(missing)} missing glyphs")


def _combined(ctx: Context, contexts: list[dict], certificates: list[Certificate]) -> None:
    with timer() as t:
        for _ in range(COMBINED_RENDERS):
            data = render_certificates_pdf(contexts)
    each = sum(default_storage.size(c.pdf.name) for c in certificates if c.pdf)
    ctx.add(
        f"render_certificates_pdf: one {len(contexts)}-page combined file",
        len(contexts),
        t[0] / COMBINED_RENDERS,
        f"{_kb(len(data))} (the {len(certificates)} single files: {_kb(each)}); notes: 0.63 s, 346 KB",
    )


def _service(ctx: Context, setup, plan) -> None:
    """What one Celery render task costs: context, render, glyph check, file, history, audit event."""
    with transaction.atomic():
        ids = [
            issue_one(actor=setup.operator, enrolment=e, batch=None, issue_date=ctx.today).pk
            for e in issuance_candidates(plan)[0]
        ]
    with timer() as t:
        recorded = sum(certificate_render(certificate_id=pk) for pk in ids)
    ctx.add("certificate_render: the task body, one certificate each", len(ids), t[0], f"{recorded} recorded")


def _collector(ctx: Context) -> None:
    """certify.pdf runs gc.collect() after every page it lays out and once more per file; what one
    full collection costs depends on how many objects the process holds."""
    with timer() as t:
        for _ in range(COLLECTIONS):
            gc.collect()
    objects = len(gc.get_objects())
    ctx.add("gc.collect(): one full collection in this process", COLLECTIONS, t[0], f"{objects:,} tracked objects")
