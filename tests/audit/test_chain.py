"""The hash chain: canonical form, append rules, append-only model layer, history binding."""

import datetime as dt
import decimal

import pytest
from django.db import connection, transaction

from audit.actors import system_actor
from audit.events import EventType
from audit.models import AppendOnlyError, AuditEvent, ChainHead
from audit.services import audit_append
from audit.triggers import triggers_disabled
from audit.verify import verify_chain
from lib.chain import GENESIS_HASH, canonical_json, chain_hash, diff, jsonable


def test_canonical_json_is_sorted_compact_utf8():
    assert canonical_json({"b": 1, "a": "证书"}) == '{"a":"证书","b":1}'


def test_jsonable_fixes_one_form_for_python_values():
    value = {
        1: decimal.Decimal("85.5"),
        "d": dt.date(2026, 11, 25),
        "t": dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    }
    assert jsonable(value) == {"1": "85.5", "d": "2026-11-25", "t": "2026-11-25T00:00:00.000000+00:00"}


def test_chain_hash_depends_on_the_previous_hash_and_every_field():
    payload = {"seq": 1, "data": {"x": 1}}
    base = chain_hash(GENESIS_HASH, payload)
    assert base == chain_hash(GENESIS_HASH, {"data": {"x": 1}, "seq": 1})
    assert base != chain_hash("1" * 64, payload)
    assert base != chain_hash(GENESIS_HASH, {"seq": 1, "data": {"x": 2}})


def test_diff_lists_changed_fields_only():
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": [2, 3]}


@pytest.mark.django_db(transaction=True)
def test_append_outside_a_transaction_is_refused():
    actor = system_actor("tests")
    with pytest.raises(RuntimeError):
        audit_append(actor=actor, event_type=EventType.USER_CREATED, target=actor)


@pytest.mark.django_db
def test_an_unknown_event_type_is_refused():
    actor = system_actor("tests")
    with transaction.atomic(), pytest.raises(ValueError):
        audit_append(actor=actor, event_type="made.up", target=actor)


@pytest.mark.django_db
def test_events_link_up_and_the_head_follows():
    actor = system_actor("tests")
    with transaction.atomic():
        first = audit_append(actor=actor, event_type=EventType.USER_CREATED, target=actor, data={"n": 1})
    with transaction.atomic():
        second = audit_append(actor=actor, event_type=EventType.USER_CREATED, target=actor, data={"n": 2})
    assert second.seq == first.seq + 1
    assert second.prev_hash == first.hash
    head = ChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (second.seq, second.hash)
    assert verify_chain().ok


@pytest.mark.django_db
def test_the_model_layer_refuses_to_change_or_delete_events():
    actor = system_actor("tests")
    with transaction.atomic():
        event = audit_append(actor=actor, event_type=EventType.USER_CREATED, target=actor)
    event.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=event.seq).update(reason="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


@pytest.mark.django_db
def test_verify_finds_an_event_modified_behind_the_applications_back():
    actor = system_actor("tests")
    for n in range(3):
        with transaction.atomic():
            audit_append(actor=actor, event_type=EventType.USER_CREATED, target=actor, data={"n": n})
    middle = AuditEvent.objects.order_by("seq")[1]
    with triggers_disabled(["audit_auditevent"]), connection.cursor() as cursor:  # a DBA, not the application
        cursor.execute("UPDATE audit_auditevent SET reason = %s WHERE seq = %s", ["edited", middle.seq])
    report = verify_chain()
    assert not report.ok
    assert report.first_bad_seq == middle.seq


@pytest.mark.django_db
def test_history_rows_written_in_the_transaction_are_bound_into_the_event(world):
    from audit.history import history_group

    org = world.org_a
    event = AuditEvent.objects.filter(event_type="organization.created", organization=org).get()
    assert len(event.history) == 1
    bound = event.history[0]
    assert bound["model"] == "accounts.HistoricalOrganization"
    assert len(bound["ids"]) == 1
    record = org.history.model.objects.get(pk=bound["ids"][0])
    assert history_group(org.history.model, bound["ids"]) == (bound["ids"], bound["hash"])
    assert record.history_user == world.bureau_admin
    # editing the history row afterwards no longer matches the hash kept in the chain
    table = org.history.model._meta.db_table
    with triggers_disabled([table]), connection.cursor() as cursor:  # a DBA, not the application
        cursor.execute(f"UPDATE {table} SET name = %s WHERE history_id = %s", ["改名", record.pk])
    assert history_group(org.history.model, bound["ids"])[1] != bound["hash"]


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_history_in_the_next_event(world):
    from accounts.services import membership_add

    with pytest.raises(RuntimeError), transaction.atomic():
        membership_add(
            actor=world.a_org_admin, organization=world.org_a, username="ghost", role="viewer", password="Xq7!kdPz2"
        )
        raise RuntimeError("roll back")
    with transaction.atomic():
        event = audit_append(actor=world.a_org_admin, event_type=EventType.USER_CREATED, target=world.a_org_admin)
    assert event.history == []
