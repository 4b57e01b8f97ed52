"""Append-only audit tables: triggers on PostgreSQL, the model layer everywhere."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError, connection, transaction

from accounts.models import Organization
from accounts.roles import BureauRole
from audit.actors import system_actor
from audit.checkpoints import checkpoint_create
from audit.events import EventType
from audit.models import AppendOnlyError, AuditCheckpoint, AuditEvent
from audit.services import audit_append
from audit.triggers import (
    MIGRATION,
    ROW_TRIGGER,
    active_guards,
    guarded_tables,
    install_append_only_triggers,
    reinstall_after_migrate,
)
from audit.verify import verify_all
from tests import factories

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL only (set DATABASE_URL)"
)


def run(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def refused(statement: str, params=()) -> str:
    """Run a statement that must be refused; returns the database's message."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        run("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE and friends refuse pending deferred checks
        run(statement, params)
    return str(caught.value)


@pytest.fixture
def event(db):
    actor = system_actor("tests")
    with transaction.atomic():
        return audit_append(actor=actor, event_type=EventType.USER_CREATED, target=actor, data={"n": 1})


@pytest.fixture
def history_row(world):
    return Organization.history.model.objects.filter(id=world.org_a.pk).order_by("history_id").first()


# --- which tables ---------------------------------------------------------------------------------


def test_the_guarded_tables_are_the_events_the_checkpoints_and_every_history_table():
    specs = {spec.table: spec.nullable_user_columns for spec in guarded_tables()}
    assert specs["audit_auditevent"] == ("actor_id",)
    assert specs["audit_auditcheckpoint"] == ()
    history_tables = {m._meta.db_table for m in apps.get_models() if m._meta.object_name.startswith("Historical")}
    assert history_tables and history_tables <= set(specs)
    assert all(specs[t] == ("history_user_id",) for t in history_tables)
    assert set(specs) == history_tables | {"audit_auditevent", "audit_auditcheckpoint"}


@pytest.mark.django_db
def test_the_installer_does_nothing_off_postgresql():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite behaviour")
    result = install_append_only_triggers()
    assert (result.tables, result.changed) == ([], [])


# --- PostgreSQL: the application's own connection cannot change audit rows ----------------------


@postgres_only
@pytest.mark.django_db
def test_every_guarded_table_has_its_triggers_after_migrate_including_later_history_tables():
    guards = active_guards()
    assert guards and all(guards.values()), [t for t, on in guards.items() if not on]
    assert guards["certify_historicalcertificate"]  # created by a certify migration after audit 0004


@postgres_only
@pytest.mark.django_db
def test_the_application_cannot_update_or_delete_an_audit_event(event):
    message = refused("UPDATE audit_auditevent SET reason = %s WHERE seq = %s", ["改过", event.seq])
    assert "append-only" in message and "audit_auditevent" in message and "UPDATE" in message
    assert "DELETE" in refused("DELETE FROM audit_auditevent WHERE seq = %s", [event.seq])
    assert AuditEvent.objects.get(seq=event.seq).reason == ""


@postgres_only
@pytest.mark.django_db
def test_the_application_cannot_update_or_delete_a_checkpoint(event):
    checkpoint = checkpoint_create(actor=system_actor("tests"))
    refused("UPDATE audit_auditcheckpoint SET hash = %s WHERE id = %s", ["0" * 64, checkpoint.pk])
    refused("DELETE FROM audit_auditcheckpoint WHERE id = %s", [checkpoint.pk])
    assert AuditCheckpoint.objects.filter(pk=checkpoint.pk, hash=checkpoint.hash).exists()


@postgres_only
@pytest.mark.django_db
def test_the_application_cannot_update_or_delete_a_history_row(history_row):
    table = history_row._meta.db_table
    refused(f"UPDATE {table} SET name = %s WHERE history_id = %s", ["改名", history_row.pk])
    refused(f"DELETE FROM {table} WHERE history_id = %s", [history_row.pk])
    assert type(history_row).objects.get(pk=history_row.pk).name == history_row.name


@postgres_only
@pytest.mark.django_db
def test_truncate_is_refused_unless_the_test_only_setting_is_on(history_row):
    table = history_row._meta.db_table
    with pytest.raises(RuntimeError), transaction.atomic():  # the savepoint's rollback undoes SET LOCAL
        run("SET LOCAL skillcert.allow_truncate = 'off'")
        for name in ("audit_auditevent", "audit_auditcheckpoint", table):
            assert "TRUNCATE" in refused(f"TRUNCATE {name}")
        raise RuntimeError("back to the test database's setting")
    # The test database has it on (tests/conftest.py): pytest-django's flush needs it.
    with pytest.raises(RuntimeError), transaction.atomic():
        run("SET CONSTRAINTS ALL IMMEDIATE")
        run(f"TRUNCATE {table}")
        raise RuntimeError("roll the truncation back")
    assert type(history_row).objects.filter(pk=history_row.pk).exists()


@postgres_only
@pytest.mark.django_db
def test_deleting_a_user_may_only_set_their_foreign_keys_to_null(db):
    user = factories.bureau_user(BureauRole.BUREAU_ADMIN, "leaver")
    user_id = user.pk
    org = factories.organization(actor=user, name="东莞市离职测试有限公司")
    events = list(AuditEvent.objects.filter(actor_uid=user_id).values_list("seq", flat=True))
    history = org.history.model.objects.filter(history_user_id=user_id)
    assert events and history.exists()
    other = system_actor("tests")
    refused("UPDATE audit_auditevent SET actor_id = %s WHERE seq = %s", [other.pk, events[0]])
    refused("UPDATE audit_auditevent SET actor_id = NULL, reason = 'x' WHERE seq = %s", [events[0]])
    user.delete()  # ON DELETE SET NULL: actor_id and history_user_id become NULL, nothing else changes
    assert not AuditEvent.objects.filter(seq__in=events, actor_id__isnull=False).exists()
    assert not history.exists()
    report = verify_all(record=False)
    assert report.ok, [p.describe() for p in report.problems]


@postgres_only
@pytest.mark.django_db
def test_the_installer_is_idempotent_and_post_migrate_repairs_a_dropped_or_disabled_trigger():
    assert install_append_only_triggers().changed == []
    run(f"DROP TRIGGER {ROW_TRIGGER} ON certify_historicalcertificate")
    run(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {ROW_TRIGGER}")
    assert not active_guards()["certify_historicalcertificate"]
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    guards = active_guards()
    assert guards["certify_historicalcertificate"] and guards["audit_auditevent"]


@postgres_only
@pytest.mark.django_db
def test_post_migrate_leaves_the_triggers_off_once_migration_0004_is_reversed():
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    run(f"DROP TRIGGER {ROW_TRIGGER} ON audit_auditevent")
    recorder.record_unapplied(*MIGRATION)
    reinstall_after_migrate(sender=apps.get_app_config("audit"), using=connection.alias)
    assert not active_guards()["audit_auditevent"]
    recorder.record_applied(*MIGRATION)
    reinstall_after_migrate(sender=apps.get_app_config("audit"), using=connection.alias)
    assert active_guards()["audit_auditevent"]


# --- every database: the model layer refuses ---------------------------------------------------


@pytest.mark.django_db
def test_the_model_layer_refuses_to_change_or_remove_events(event):
    event.reason = "改过"
    for attempt in (
        event.save,
        event.delete,
        lambda: AuditEvent.objects.filter(seq=event.seq).update(reason="x"),
        lambda: AuditEvent.objects.filter(seq=event.seq).delete(),
        lambda: AuditEvent.objects.bulk_update([event], ["reason"]),
    ):
        with pytest.raises(AppendOnlyError):
            attempt()


@pytest.mark.django_db
def test_the_model_layer_refuses_to_change_or_remove_checkpoints(event):
    checkpoint = checkpoint_create(actor=system_actor("tests"))
    checkpoint.hash = "0" * 64
    for attempt in (
        checkpoint.save,
        checkpoint.delete,
        lambda: AuditCheckpoint.objects.all().update(hash="x"),
        lambda: AuditCheckpoint.objects.all().delete(),
    ):
        with pytest.raises(AppendOnlyError):
            attempt()


@pytest.mark.django_db
def test_the_model_layer_refuses_to_change_or_remove_history_rows(history_row):
    history = type(history_row)
    history_row.name = "改名"
    for attempt in (
        history_row.save,
        history_row.delete,
        lambda: history.objects.filter(pk=history_row.pk).update(name="x"),
        lambda: history.objects.filter(pk=history_row.pk).delete(),
    ):
        with pytest.raises(AppendOnlyError):
            attempt()
