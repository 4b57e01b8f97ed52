"""audit_verify: an intact trail passes; each kind of damage is found and named at its first seq.

Every damage test runs on SQLite and on PostgreSQL. On PostgreSQL the append-only triggers are
switched off inside the test's transaction first, as a DBA could (audit.triggers.triggers_disabled).
"""

from __future__ import annotations

import io
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from audit.actors import system_actor
from audit.checkpoints import checkpoint_create, checkpoints_export, checkpoints_file_read
from audit.events import EventType
from audit.history import group_hash, history_group, history_row_hash
from audit.models import AuditEvent, ChainHead
from audit.services import audit_append
from audit.triggers import guarded_tables, triggers_disabled
from audit.verify import Damage, chain_status, verify_all, verify_chain
from lib.chain import GENESIS_HASH

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _status_file_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@contextmanager
def dba():
    """Play the DBA: on PostgreSQL the guards are off for the block (inside the test's transaction)."""
    with triggers_disabled([spec.table for spec in guarded_tables()]):
        yield


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def append(n: int, *, start: int = 0) -> list[AuditEvent]:
    actor = system_actor("tests")
    events = []
    for i in range(start, start + n):
        with transaction.atomic():
            events.append(audit_append(actor=actor, event_type=EventType.USER_CREATED, target=actor, data={"n": i}))
    return events


def newest_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()


def move(seq: int, to: int) -> None:
    sql("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [to, seq])


def first(report):
    problem = report.first_problem
    assert problem is not None, "the verifier found nothing"
    return problem.kind, problem.seq


# --- intact -------------------------------------------------------------------------------------


def test_an_intact_trail_of_a_whole_issuing_workflow_passes_every_check(issued):
    checkpoint_create(actor=system_actor("tests"))
    report = verify_all(record=False)
    assert report.ok, [p.describe() for p in report.problems]
    assert report.events == newest_seq() == report.head_seq
    assert report.history_groups > 0 and report.history_rows >= report.history_groups
    assert report.checkpoints == 1
    assert report.models > 20 and report.rows > len(issued)


def test_the_batched_group_check_hashes_exactly_like_history_group(world):
    event = AuditEvent.objects.filter(event_type="organization.created", organization=world.org_a).get()
    entry = event.history[0]
    from django.apps import apps

    model = apps.get_model(entry["model"])
    rows = list(model.objects.filter(pk__in=entry["ids"]).order_by("pk"))
    assert group_hash([history_row_hash(r) for r in rows]) == entry["hash"] == history_group(model, entry["ids"])[1]


def test_the_command_exits_zero_on_an_intact_chain_and_prints_counts_and_speed(world):
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    text = out.getvalue()
    assert "结果：完好" in text
    assert f"{newest_seq():,} 条" in text
    assert "每秒" in text


# --- the chain ----------------------------------------------------------------------------------


def test_it_names_a_modified_event(db):
    append(6)
    with dba():
        sql("UPDATE audit_auditevent SET reason = %s WHERE seq = %s", ["改过", 4])
    assert first(verify_all(record=False)) == (Damage.EVENT_MODIFIED, 4)
    assert verify_chain().first_bad_seq == 4


def test_it_names_a_modified_event_whose_hash_was_recomputed(db):
    append(6)
    event = AuditEvent.objects.get(seq=3)
    event.reason = "改过"
    with dba():
        sql("UPDATE audit_auditevent SET reason = %s, hash = %s WHERE seq = 3", [event.reason, event.compute_hash()])
    assert first(verify_all(record=False)) == (Damage.EVENT_MODIFIED, 3)


def test_it_names_a_deleted_event_as_a_sequence_gap(db):
    append(6)
    with dba():
        sql("DELETE FROM audit_auditevent WHERE seq = 3")
    report = verify_all(record=False)
    assert first(report) == (Damage.EVENT_DELETED, 3)
    assert report.events == 2


def test_it_names_a_deleted_event_when_the_later_ones_were_renumbered(db):
    append(6)
    with dba():
        sql("DELETE FROM audit_auditevent WHERE seq = 3")
        for seq in range(4, 7):
            move(seq, seq - 1)
        ChainHead.objects.filter(pk=1).update(seq=5)
    assert first(verify_all(record=False)) == (Damage.EVENT_DELETED, 3)


def test_it_names_the_newest_events_deleted_behind_the_heads_back(db):
    append(6)
    with dba():
        sql("DELETE FROM audit_auditevent WHERE seq >= 5")
    assert first(verify_all(record=False)) == (Damage.EVENT_DELETED, 5)


def test_it_names_two_swapped_events(db):
    append(6)
    with dba():
        move(3, -3)
        move(4, 3)
        move(-3, 4)
    assert first(verify_all(record=False)) == (Damage.EVENTS_REORDERED, 3)


def test_it_names_an_event_inserted_into_the_chain(db):
    events = append(6)
    with dba():
        for seq in range(6, 2, -1):  # push 3..6 one place later
            move(seq, seq + 1)
        forged = AuditEvent(
            seq=3,
            created_at=events[1].created_at,
            actor_uid=events[1].actor_uid,
            actor_repr=events[1].actor_repr,
            actor_role=events[1].actor_role,
            event_type=EventType.USER_CREATED,
            target_type="accounts.user",
            target_id="1",
            target_repr="伪造",
            data={"forged": True},
            prev_hash=events[1].hash,
        )
        forged.hash = forged.compute_hash()
        forged.save()
        ChainHead.objects.filter(pk=1).update(seq=7)
    report = verify_all(record=False)
    assert first(report) == (Damage.EVENT_INSERTED, 3)
    assert report.events == 3  # 1, 2 and the forged 3 link up; the original 3, now at 4, does not


def test_it_names_events_appended_without_moving_the_chain_head(db):
    events = append(3)
    with dba():
        extra = AuditEvent(
            seq=4,
            created_at=events[-1].created_at,
            actor_repr="x",
            event_type=EventType.USER_CREATED,
            target_type="accounts.user",
            target_id="1",
            target_repr="伪造",
            prev_hash=events[-1].hash,
        )
        extra.hash = extra.compute_hash()
        extra.save()
    assert first(verify_all(record=False)) == (Damage.EVENT_INSERTED, 4)


def test_it_names_a_rehashed_suffix_that_contradicts_an_earlier_checkpoint(db):
    append(5)
    checkpoint = checkpoint_create(actor=system_actor("tests"))
    append(3, start=5)
    rewrite_from(3)
    report = verify_chain()
    assert report.ok  # consistent in itself: only the signed checkpoint shows the rewrite
    assert first(verify_all(record=False)) == (Damage.CHAIN_REWRITTEN, checkpoint.seq)


def rewrite_from(seq: int) -> None:
    """Change one event and recompute every hash after it, head included: a consistent forgery."""
    prev = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else GENESIS_HASH
    with dba():
        for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
            event.prev_hash = prev
            if event.seq == seq:
                event.reason = "改写"
            event.hash = event.compute_hash()
            sql(
                "UPDATE audit_auditevent SET reason = %s, prev_hash = %s, hash = %s WHERE seq = %s",
                [event.reason, event.prev_hash, event.hash, event.seq],
            )
            prev = event.hash
        ChainHead.objects.filter(pk=1).update(hash=prev)


def test_a_downloaded_checkpoints_file_catches_a_rewrite_after_the_database_checkpoints_were_deleted(world):
    first_checkpoint = checkpoint_create(actor=system_actor("tests"))
    append(3)
    _name, lines = checkpoints_export(actor=world.bureau_auditor)
    saved = checkpoints_file_read(list(lines))
    rewrite_from(first_checkpoint.seq - 2)
    with dba():
        sql("DELETE FROM audit_auditcheckpoint")
    assert verify_all(record=False).ok  # nothing inside the database contradicts the forgery any more
    report = verify_all(checkpoints_file=saved, record=False)
    assert first(report) == (Damage.CHAIN_REWRITTEN, first_checkpoint.seq)
    assert Damage.CHECKPOINT_TAMPERED in {p.kind for p in report.problems}


def test_a_forged_checkpoint_signature_is_named(db):
    append(2)
    checkpoint = checkpoint_create(actor=system_actor("tests"))
    with dba():
        sql("UPDATE audit_auditcheckpoint SET signature = %s WHERE seq = %s", ["A" * 86, checkpoint.seq])
    assert first(verify_all(record=False)) == (Damage.CHECKPOINT_INVALID, checkpoint.seq)


# --- history and rows ---------------------------------------------------------------------------


def test_it_names_a_certificate_row_changed_by_raw_sql(issued):
    certificate = issued[0]
    sql("UPDATE certify_certificate SET holder_name = %s WHERE id = %s", ["李四", certificate.pk])
    report = verify_all(record=False)
    assert not report.ok
    [problem] = report.problems
    assert (problem.kind, problem.model, problem.pk, problem.fields) == (
        Damage.ROW_CHANGED,
        "certify.Certificate",
        str(certificate.pk),
        ["holder_name"],
    )


def test_it_names_a_row_deleted_by_raw_sql(world):
    from accounts.models import Membership

    membership = Membership.objects.filter(organization=world.org_b).order_by("pk").first()
    sql("DELETE FROM accounts_membership WHERE id = %s", [membership.pk])
    report = verify_all(record=False)
    assert [(p.kind, p.model, p.pk) for p in report.problems] == [
        (Damage.ROW_DELETED, "accounts.Membership", str(membership.pk))
    ]


def test_it_names_a_modified_history_row_and_the_event_that_bound_it(world):
    event = AuditEvent.objects.filter(event_type="organization.created", organization=world.org_a).get()
    entry = event.history[0]
    with dba():
        sql(
            "UPDATE accounts_historicalorganization SET name = %s WHERE history_id = %s",
            ["改名", entry["ids"][0]],
        )
    report = verify_all(record=False)
    problem = report.first_problem
    assert (problem.kind, problem.seq, problem.model, problem.history_id) == (
        Damage.HISTORY_MODIFIED,
        event.seq,
        "accounts.HistoricalOrganization",
        entry["ids"][0],
    )


def test_it_names_a_deleted_history_row(world):
    event = AuditEvent.objects.filter(event_type="organization.created", organization=world.org_b).get()
    entry = event.history[0]
    with dba():
        sql("DELETE FROM accounts_historicalorganization WHERE history_id = %s", [entry["ids"][0]])
    problem = verify_all(record=False).first_problem
    assert (problem.kind, problem.seq, problem.history_id) == (Damage.HISTORY_DELETED, event.seq, entry["ids"][0])


# --- the command and the status ------------------------------------------------------------------


def test_the_command_fails_naming_the_first_bad_seq_and_the_kind(db):
    append(5)
    with dba():
        sql("UPDATE audit_auditevent SET data = %s WHERE seq = %s", ['{"n": 99}', 2])
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("audit_verify", stdout=out)
    assert caught.value.returncode == 1
    assert "第 2 号" in str(caught.value) and "event_modified" in str(caught.value)
    assert "[event_modified] 第 2 号事件：事件被修改" in out.getvalue()


def test_the_command_checks_a_downloaded_file_and_rejects_an_unreadable_one(world, tmp_path):
    checkpoint_create(actor=system_actor("tests"))
    _name, lines = checkpoints_export(actor=world.bureau_admin)
    path = tmp_path / "checkpoints.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    out = io.StringIO()
    call_command("audit_verify", "--checkpoints", str(path), stdout=out)
    assert "下载文件 1 个" in out.getvalue()
    path.write_text("not json\n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("audit_verify", "--checkpoints", str(path), stdout=io.StringIO())
    assert caught.value.returncode == 2


def test_chain_status_reports_the_last_verification_and_the_checkpoint_lag(db):
    append(3)
    assert chain_status().ok is None
    checkpoint = checkpoint_create(actor=system_actor("tests"))
    append(2, start=3)
    verify_all()
    status = chain_status()
    assert status.ok is True
    assert (status.last_checkpoint_seq, status.events_since_checkpoint) == (checkpoint.seq, 2)
    assert "通过" in status.text and f"#{checkpoint.seq}" in status.text


def test_chain_status_notices_a_deleted_newest_event_without_a_full_walk(db):
    append(3)
    verify_all()
    with dba():
        sql("DELETE FROM audit_auditevent WHERE seq = 3")
    status = chain_status()
    assert status.ok is False
    assert "链头" in status.text
