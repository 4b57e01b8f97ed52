"""Timelines for the bureau console: every audit event about an object and the records inside it,
oldest first, each with its field changes (from the bound history rows) and its chain check."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Q

from audit.events import EventType
from audit.models import AuditEvent
from lib.chain import jsonable

# Fields that say nothing to a reader of a timeline.
_NOISE = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id", "id"}
_SECRET = {"id_number_token", "id_number_hash", "signature", "password"}


@dataclass
class Entry:
    event: AuditEvent
    label: str
    changes: list[tuple[str, str, object, object]] = field(default_factory=list)  # (model, field, old, new)
    intact: bool = True


def _shown(field, value):
    """A stored code in the words of its choices (状态 revoked → 已撤销)."""
    if field.choices and value not in (None, ""):
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
    result: dict[int, list] = {}
    for event in events:
        changes = []
        for group in event.history or []:
            label = group["model"]
            model = apps.get_model(label)
            name = str(model._meta.verbose_name).replace("historical ", "").replace("历史", "")
            for history_id in group["ids"]:
                row = rows_by_model.get(label, {}).get(history_id)
                if row is None:
                    changes.append((name, "（历史记录缺失）", None, None))
                    continue
                if row.history_type == "+":
                    continue  # a creation is described by the event itself
                prior = previous.get((label, history_id))
                for f in row._meta.concrete_fields:
                    if f.attname in _NOISE or f.attname in _SECRET:
                        continue
                    new = _shown(f, jsonable(getattr(row, f.attname)))
                    old = _shown(f, jsonable(getattr(prior, f.attname))) if prior is not None else None
                    if old != new or row.history_type == "-":
                        changes.append(
                            (name, str(f.verbose_name), old, new if row.history_type != "-" else "（已删除）")
                        )
        result[event.pk] = changes
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
