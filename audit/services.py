"""The one way to write to the audit chain."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from audit.actors import actor_role
from audit.context import current_ip
from audit.events import EventType
from audit.history import take_pending_history
from audit.models import AuditEvent, ChainHead
from lib.chain import GENESIS_HASH, jsonable

Target = models.Model | tuple[str, Any, str]


def _lock_head() -> ChainHead:
    head = ChainHead.objects.select_for_update(of=("self",)).filter(pk=1).first()
    if head is not None:
        return head
    # First append ever (or after a test flush): start from the newest event, if any.
    last = AuditEvent.objects.order_by("-seq").first()
    try:
        with transaction.atomic():
            ChainHead.objects.create(pk=1, seq=last.seq if last else 0, hash=last.hash if last else GENESIS_HASH)
    except IntegrityError:
        pass  # another transaction created it first; lock theirs
    return ChainHead.objects.select_for_update(of=("self",)).get(pk=1)


def _describe_target(target: Target) -> tuple[str, str, str]:
    if isinstance(target, models.Model):
        return target._meta.label_lower, str(target.pk), str(target)[:300]
    kind, pk, text = target
    return kind, str(pk), str(text)[:300]


def _actor_snapshot(actor, organization) -> tuple[int | None, str, str]:
    if actor is None:
        return None, "未登录用户", ""
    return actor.pk, str(actor), actor_role(actor, organization)


def audit_append(
    *,
    actor,
    event_type: EventType,
    target: Target,
    organization=None,
    data: dict | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event to the chain. Call it last, inside the transaction of the change.

    The chain head row is locked ``FOR UPDATE`` until commit, so appends are serialised; doing
    other work after this call would hold that lock longer and slow every writer down.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_append must run inside the transaction of the change it records")
    if event_type not in EventType.values:
        raise ValueError(f"unknown audit event type {event_type!r}")
    target_type, target_id, target_repr = _describe_target(target)
    actor_uid, actor_repr, actor_role = _actor_snapshot(actor, organization)
    history = take_pending_history()
    head = _lock_head()
    event = AuditEvent(
        seq=head.seq + 1,
        created_at=timezone.now(),
        actor=actor if actor_uid else None,
        actor_uid=actor_uid,
        actor_repr=actor_repr[:200],
        actor_role=actor_role,
        organization=organization,
        event_type=str(event_type),
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        data=jsonable(data or {}),
        history=history,
        reason=reason or "",
        ip=current_ip() or "",
        prev_hash=head.hash,
    )
    event.hash = event.compute_hash()
    event.save()
    ChainHead.objects.filter(pk=1).update(seq=event.seq, hash=event.hash)
    return event
