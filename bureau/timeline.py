"""Timelines for the bureau console: every audit event about an object and the records inside it,
oldest first, each with its field changes (from the bound history rows) and its chain check."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.events import EventType
from audit.models import AuditEvent
from lib.chain import jsonable

# Fields that say nothing to a reader of a timeline.
_NOISE = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id", "id"}
_SECRET = {"id_number_token", "id_number_hash", "signature", "password"}

# Fields whose model gives no Chinese name (who did it, when, which record it belongs to), named here
# so a timeline never shows a field's code name.
_FIELD_LABELS = {
    "filed_by": gettext_lazy("报备人"),
    "approved_by": gettext_lazy("审核人"),
    "created_by": gettext_lazy("创建人"),
    "published_by": gettext_lazy("发布人"),
    "issued_by": gettext_lazy("核发人"),
    "requested_by": gettext_lazy("申请人"),
    "registered_by": gettext_lazy("登记人"),
    "recorded_by": gettext_lazy("登记人"),
    "resolved_by": gettext_lazy("办结人"),
    "handled_by": gettext_lazy("处理人"),
    "uploaded_by": gettext_lazy("上传人"),
    "direct_decided_by": gettext_lazy("定级审批人"),
    "direct_decided_at": gettext_lazy("定级审批时间"),
    "resolved_at": gettext_lazy("办结时间"),
    "handled_at": gettext_lazy("处理时间"),
    "uploaded_at": gettext_lazy("上传时间"),
    "created_at": gettext_lazy("创建时间"),
    "updated_at": gettext_lazy("更新时间"),
    "added_at": gettext_lazy("加入时间"),
    "organization": gettext_lazy("评价机构"),
    "plan": gettext_lazy("评价计划"),
    "person": gettext_lazy("人员"),
    "enrolment": gettext_lazy("考生"),
    "batch": gettext_lazy("发证批次"),
    "standard_version": gettext_lazy("评价规范版本"),
    "occupation": gettext_lazy("职业"),
    "work_type": gettext_lazy("工种"),
    "user": gettext_lazy("用户"),
    "assessor": gettext_lazy("考评人员"),
    "supervisor": gettext_lazy("质量督导员"),
    "objection": gettext_lazy("异议"),
}


def _field_label(f) -> str | None:
    """The field's name in words, or None for a field a reader need not see (a file's checksum, a
    field with no Chinese name and none given here)."""
    if f.name.endswith("sha256"):
        return None
    if f.name in _FIELD_LABELS:
        return str(_FIELD_LABELS[f.name])
    label = str(f.verbose_name)
    return label if any("\u4e00" <= ch <= "\u9fff" for ch in label) else None


def _person_name(obj) -> str:
    return obj.get_full_name() if hasattr(obj, "get_full_name") else str(obj)


class _Related:
    """The records history rows point at, named (a user by name, a plan by its number…), each
    model read once for all the rows of a timeline."""

    def __init__(self):
        self.wanted: dict[type, set] = defaultdict(set)
        self.names: dict[tuple[type, object], str] = {}

    def want(self, f, value) -> None:
        if f.is_relation and value not in (None, ""):
            self.wanted[f.related_model].add(value)

    def load(self) -> None:
        for model, ids in self.wanted.items():
            for obj in model._default_manager.filter(pk__in=ids):
                self.names[(model, obj.pk)] = _person_name(obj)

    def name(self, f, value):
        if value in (None, ""):
            return None
        return self.names.get((f.related_model, value), _("（记录已不存在）"))


@dataclass
class Entry:
    event: AuditEvent
    label: str
    changes: list[tuple[str, str, object, object]] = field(default_factory=list)  # (model, field, old, new)
    intact: bool = True


def _shown(field, value, related: _Related | None = None):
    """A stored value in words: a code by its choices (状态 revoked → 已撤销), a related record by its
    name (报备人 6 → 刘洋), a stored file by what it is (no path)."""
    if value in (None, ""):
        return value
    if field.is_relation and related is not None:
        return related.name(field, value)
    if isinstance(field, models.FileField):
        return _("文件已存档")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return value


def _targets_q(targets: dict[str, list]) -> Q:
    query = Q(pk__in=[])
    for target_type, ids in targets.items():
        if ids:
            query |= Q(target_type=target_type, target_id__in=[str(i) for i in ids])
    return query


def _history_changes(events: list[AuditEvent]) -> dict[int, list[tuple[str, str, object, object]]]:
    """Field diffs of the history rows each event bound: row vs the object's previous history row."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        for group in event.history or []:
            wanted[group["model"]].update(group["ids"])
    rows_by_model: dict[str, dict[int, object]] = {}
    previous: dict[tuple[str, int], object] = {}
    for label, ids in wanted.items():
        model = apps.get_model(label)
        rows = {r.pk: r for r in model.objects.filter(pk__in=ids)}
        rows_by_model[label] = rows
        # every history row of those objects, once, so each row finds its predecessor in memory
        object_ids = {r.id for r in rows.values()}
        last = max(ids) if ids else 0
        by_object: dict[object, list] = defaultdict(list)
        for row in model.objects.filter(id__in=object_ids, history_id__lte=last).order_by("id", "history_id"):
            by_object[row.id].append(row)
        for rows_of_object in by_object.values():
            for before, row in zip([None, *rows_of_object], rows_of_object, strict=False):
                if row.pk in rows:
                    previous[(label, row.pk)] = before if row.history_type == "~" else None
    return _describe(events, rows_by_model, previous)


def _row_changes(row, prior) -> list[tuple[object, object, object]]:
    """(field, old, new) of one history row against the row before it, in stored form."""
    changed = []
    origin = getattr(row, "instance_type", None)  # the tracked model (a file is text in its history)
    for f in row._meta.concrete_fields:
        if f.attname in _NOISE or f.attname in _SECRET:
            continue
        new = jsonable(getattr(row, f.attname))
        old = jsonable(getattr(prior, f.attname)) if prior is not None else None
        if old != new or row.history_type == "-":
            changed.append((_original(origin, f), old, new))
    return changed


def _original(origin, f):
    try:
        return origin._meta.get_field(f.name) if origin is not None else f
    except FieldDoesNotExist:
        return f


def _describe(events, rows_by_model, previous) -> dict[int, list[tuple[str, str, object, object]]]:
    """Each event's changes in words: (record, field, old, new)."""
    raw: dict[int, list] = {}
    related = _Related()
    for event in events:
        raw[event.pk] = []
        for group in event.history or []:
            label = group["model"]
            name = str(apps.get_model(label)._meta.verbose_name).replace("historical ", "").replace("历史", "")
            for history_id in group["ids"]:
                row = rows_by_model.get(label, {}).get(history_id)
                if row is None:
                    raw[event.pk].append((name, None, None, None, False))
                    continue
                if row.history_type == "+":
                    continue  # a creation is described by the event itself
                for f, old, new in _row_changes(row, previous.get((label, history_id))):
                    related.want(f, old)
                    related.want(f, new)
                    raw[event.pk].append((name, f, old, new, row.history_type == "-"))
    related.load()
    result: dict[int, list] = {}
    for pk, rows in raw.items():
        changes = []
        for name, f, old, new, deleted in rows:
            if f is None:
                changes.append((name, _("（历史记录缺失）"), None, None))
                continue
            field_label = _field_label(f)
            if field_label is None:
                continue
            shown_old = _shown(f, old, related) if old is not None else None
            shown_new = _("（已删除）") if deleted else _shown(f, new, related)
            if shown_old != shown_new or deleted:
                changes.append((name, field_label, shown_old, shown_new))
        result[pk] = changes
    return result


def build(query: Q, *, limit: int = 2000) -> list[Entry]:
    events = list(AuditEvent.objects.filter(query).select_related("organization").order_by("seq")[:limit])
    changes = _history_changes(events)
    previous_hash: dict[int, str] = {}
    if events:
        seqs = [e.seq - 1 for e in events]
        previous_hash = dict(AuditEvent.objects.filter(seq__in=seqs).values_list("seq", "hash"))
    entries = []
    for event in events:
        link_ok = event.seq == 1 or previous_hash.get(event.seq - 1) == event.prev_hash
        entries.append(
            Entry(
                event=event,
                label=event.event_label,
                changes=changes.get(event.pk, []),
                intact=link_ok and event.compute_hash() == event.hash,
            )
        )
    return entries


# --- what belongs to an object's life ----------------------------------------------------------
def certificate_query(certificate) -> Q:
    from certify.models import Certificate, Objection, Score

    enrolment = certificate.enrolment
    versions = list(Certificate.objects.filter(number=certificate.number).values_list("pk", flat=True))
    targets = {
        "certify.certificate": versions,
        "certify.enrolment": [enrolment.pk],
        "certify.score": list(Score.objects.filter(enrolment=enrolment).values_list("pk", flat=True)),
        "certify.objection": list(Objection.objects.filter(enrolment=enrolment).values_list("pk", flat=True)),
        "certify.issuancebatch": [certificate.batch_id] if certificate.batch_id else [],
    }
    plan_steps = Q(target_type="certify.assessmentplan", target_id=str(certificate.plan_id)) & ~Q(
        event_type__in=[EventType.PLAN_ASSESSOR_ADDED, EventType.PLAN_ASSESSOR_REMOVED]
    )
    return _targets_q(targets) | plan_steps


def person_query(person) -> Q:
    from certify.models import Certificate, Enrolment, Score

    enrolments = list(Enrolment.objects.filter(person=person).values_list("pk", flat=True))
    return _targets_q(
        {
            "certify.person": [person.pk],
            "certify.enrolment": enrolments,
            "certify.score": list(Score.objects.filter(enrolment__in=enrolments).values_list("pk", flat=True)),
            "certify.certificate": list(Certificate.objects.filter(person=person).values_list("pk", flat=True)),
        }
    )


def plan_query(plan) -> Q:
    from certify.models import Enrolment, Objection, Score

    return Q(target_type="certify.assessmentplan", target_id=str(plan.pk)) | _targets_q(
        {
            "certify.enrolment": list(Enrolment.objects.filter(plan=plan).values_list("pk", flat=True)),
            "certify.score": list(Score.objects.filter(plan=plan).values_list("pk", flat=True)),
            "certify.objection": list(Objection.objects.filter(plan=plan).values_list("pk", flat=True)),
        }
    )


def organization_query(organization) -> Q:
    """The organisation's own changes (not every score): filings, members, standards, plan steps."""
    return Q(organization=organization) & Q(
        target_type__in=[
            "accounts.organization",
            "accounts.membership",
            "certify.filing",
            "certify.standardversion",
            "certify.assessmentplan",
            "certify.seal",
            "certify.issuancebatch",
        ]
    )
