"""Every audited row against its newest history record: changed, deleted or written outside the system."""

from __future__ import annotations

from django.db import models
from django.db.models import Max
from django.utils.translation import gettext as _
from simple_history.models import registered_models

from audit.verify.report import MAX_PROBLEMS, Damage, Problem, VerifyReport, chunks


def _history_models() -> list[tuple[type[models.Model], type[models.Model]]]:
    pairs = []
    for model in registered_models.values():
        attr = getattr(model._meta, "simple_history_manager_attribute", None)
        if model._meta.proxy or not attr or not hasattr(model, attr):
            continue
        pairs.append((model, getattr(model, attr).model))
    return sorted(pairs, key=lambda pair: pair[0]._meta.label)


def _same(a, b, *, is_file: bool) -> bool:
    if is_file:
        return (a or "") == (b or "")
    return a == b


def check_rows(report: VerifyReport, *, chunk_size: int, bad_history: set[tuple[str, int]]) -> None:
    for model, history in _history_models():
        report.models += 1
        tracked = list(history.tracked_fields)
        names = [f.attname for f in tracked]
        files = [isinstance(f, models.FileField) for f in tracked]
        pk = model._meta.pk.attname
        at = names.index(pk)
        label, history_label = model._meta.label, history._meta.label
        rows = model._base_manager.order_by(pk).values_list(*names).iterator(chunk_size=chunk_size)
        for chunk in chunks(rows, chunk_size):
            keys = [row[at] for row in chunk]
            latest = (
                history._base_manager.filter(**{f"{pk}__in": keys})
                .values(pk)
                .annotate(latest=Max("history_id"))
                .values("latest")
            )
            snapshots = {
                snap[2 + at]: snap
                for snap in history._base_manager.filter(history_id__in=latest).values_list(
                    "history_id", "history_type", *names
                )
            }
            for row in chunk:
                report.rows += 1
                _compare_row(report, label, history_label, names, files, row, snapshots.get(row[at]), at, bad_history)
        _check_gone(report, model, history, pk)


def _compare_row(report, label, history_label, names, files, row, snapshot, at, bad_history) -> None:
    if snapshot is None:
        report.add(
            Problem(
                Damage.ROW_WITHOUT_HISTORY,
                detail=_("该记录没有任何历史记录：它不是经由系统写入的。"),
                model=label,
                pk=str(row[at]),
            )
        )
        return
    history_id, history_type, values = snapshot[0], snapshot[1], snapshot[2:]
    if (history_label, history_id) in bad_history:
        return  # the history record itself is damaged and already reported
    if history_type == "-":
        reason = _("最新历史记录 %(h)d 显示该记录已删除，但它仍然存在。") % {"h": history_id}
        report.add(Problem(Damage.ROW_CHANGED, detail=reason, model=label, pk=str(row[at])))
        return
    changed = [
        name for name, is_file, a, b in zip(names, files, row, values, strict=True) if not _same(a, b, is_file=is_file)
    ]
    if changed:
        reason = _("与最新历史记录 %(h)d 不一致。") % {"h": history_id}
        report.add(Problem(Damage.ROW_CHANGED, detail=reason, model=label, pk=str(row[at]), fields=changed))


def _check_gone(report: VerifyReport, model, history, pk: str) -> None:
    """Rows whose newest history record says they exist, but which are gone: one query per model."""
    latest = history._base_manager.values(pk).annotate(latest=Max("history_id")).values("latest")
    gone = (
        history._base_manager.filter(history_id__in=latest)
        .exclude(history_type="-")
        .exclude(**{f"{pk}__in": model._base_manager.values(pk)})
        .order_by(pk)
        .values_list(pk, "history_id")[:MAX_PROBLEMS]
    )
    for key, history_id in gone:
        reason = _("最新历史记录 %(h)d 显示该记录存在，但它已被删除且没有删除记录。") % {"h": history_id}
        report.add(Problem(Damage.ROW_DELETED, detail=reason, model=model._meta.label, pk=str(key)))
