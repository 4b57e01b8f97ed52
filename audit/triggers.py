"""PostgreSQL triggers that keep the audit tables append-only.

Guarded tables: ``audit_auditevent``, ``audit_auditcheckpoint`` and every django-simple-history
table (models named ``Historical*``). On each of them:

- a row trigger refuses UPDATE and DELETE. The one UPDATE let through is ``ON DELETE SET NULL`` of
  a user foreign key (``actor_id``, ``history_user_id``): it may set that column to NULL and must
  leave every other column as it was;
- a statement trigger refuses TRUNCATE unless the session setting ``skillcert.allow_truncate`` is
  ``'on'``. Only the test database sets it (tests/conftest.py), because pytest-django empties
  tables with TRUNCATE after transactional tests.

Migration 0004 installs them, and a ``post_migrate`` hook installs them again after every
``migrate`` (and ``flush``), so history tables added by later migrations are covered and a trigger
disabled by hand is enabled again. The installer is idempotent and reads the catalogue first, so
a run that finds everything in place issues no DDL.

The triggers guard against the application (a bug, a raw query, a hurried shell session). The
table owner or a superuser can disable them: ``audit_verify`` and the signed checkpoints are what
detect that kind of change afterwards (docs/audit.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.apps import apps as global_apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.signals import post_migrate

logger = logging.getLogger("audit.triggers")

FUNCTION_NAME = "skillcert_append_only"
ROW_TRIGGER = "skillcert_append_only_row"
TRUNCATE_TRIGGER = "skillcert_append_only_truncate"
TRUNCATE_SETTING = "skillcert.allow_truncate"
MIGRATION = ("audit", "0004_append_only_triggers")

# The body is compared with pg_proc.prosrc to decide whether the function needs replacing.
FUNCTION_BODY = """
DECLARE
    old_row jsonb;
    new_row jsonb;
    col text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        IF current_setting('skillcert.allow_truncate', true) = 'on' THEN
            RETURN NULL;
        END IF;
    ELSIF TG_OP = 'UPDATE' AND TG_NARGS > 0 THEN
        -- ON DELETE SET NULL of a user: only the named columns may change, and only to NULL.
        old_row := to_jsonb(OLD);
        new_row := to_jsonb(NEW);
        FOREACH col IN ARRAY TG_ARGV LOOP
            IF new_row -> col = 'null'::jsonb THEN
                old_row := old_row - col;
                new_row := new_row - col;
            END IF;
        END LOOP;
        IF old_row = new_row THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '审计数据只允许追加：拒绝对表 % 执行 %（append-only: % on % refused）',
        TG_TABLE_NAME, TG_OP, TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = '审计事件、审计检查点和历史记录不能修改、删除或清空；如需更正，请通过业务功能追加新记录。';
END
"""


@dataclass(frozen=True)
class GuardedTable:
    table: str
    nullable_user_columns: tuple[str, ...] = ()


@dataclass
class InstallResult:
    tables: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # tables whose triggers were created, replaced or enabled
    function_replaced: bool = False


def _is_guarded(model) -> bool:
    opts = model._meta
    if opts.abstract or opts.proxy or not opts.managed:
        return False
    if opts.app_label == "audit" and opts.object_name in ("AuditEvent", "AuditCheckpoint"):
        return True
    return opts.object_name.startswith("Historical")


def _user_set_null_columns(model) -> tuple[str, ...]:
    user_label = settings.AUTH_USER_MODEL.lower()
    columns = []
    for f in model._meta.concrete_fields:
        if not f.many_to_one or f.remote_field.on_delete is not models.SET_NULL:
            continue
        if f.remote_field.model._meta.label_lower == user_label:
            columns.append(f.column)
    return tuple(sorted(columns))


def guarded_tables(app_registry=None) -> list[GuardedTable]:
    """The tables to guard, from the current models or a migration's historical app registry."""
    registry = app_registry or global_apps
    found = {
        model._meta.db_table: GuardedTable(model._meta.db_table, _user_set_null_columns(model))
        for model in registry.get_models()
        if _is_guarded(model)
    }
    return [found[name] for name in sorted(found)]


def _existing_triggers(cursor) -> dict[tuple[str, str], tuple[tuple[str, ...], bool]]:
    """``{(table, trigger): (arguments, enabled)}`` for this module's triggers in the current schema."""
    cursor.execute(
        """
        SELECT c.relname, t.tgname, t.tgargs, t.tgenabled
          FROM pg_trigger t
          JOIN pg_class c ON c.oid = t.tgrelid
         WHERE NOT t.tgisinternal
           AND t.tgname IN (%s, %s)
           AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
        """,
        [ROW_TRIGGER, TRUNCATE_TRIGGER],
    )
    found = {}
    for table, name, raw_args, enabled in cursor.fetchall():
        text = bytes(raw_args).decode("utf-8")
        args = tuple(part for part in text.split("\x00") if part)
        found[(table, name)] = (args, enabled != "D")
    return found


def _ensure_function(cursor) -> bool:
    cursor.execute(
        "SELECT prosrc FROM pg_proc WHERE proname = %s"
        " AND pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())",
        [FUNCTION_NAME],
    )
    row = cursor.fetchone()
    if row is not None and row[0].strip() == FUNCTION_BODY.strip():
        return False
    cursor.execute(
        f"CREATE OR REPLACE FUNCTION {FUNCTION_NAME}() RETURNS trigger LANGUAGE plpgsql AS $skillcert$"
        f"{FUNCTION_BODY}$skillcert$"
    )
    return True


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _install_one(cursor, quote, spec: GuardedTable, existing) -> bool:
    table = quote(spec.table)
    wanted = {
        ROW_TRIGGER: (
            spec.nullable_user_columns,
            f"CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION {FUNCTION_NAME}({', '.join(_literal(c) for c in spec.nullable_user_columns)})",
        ),
        TRUNCATE_TRIGGER: (
            (),
            f"CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {FUNCTION_NAME}()",
        ),
    }
    changed = False
    for name, (args, create_sql) in wanted.items():
        current = existing.get((spec.table, name))
        if current is not None and current[0] != args:
            cursor.execute(f"DROP TRIGGER {name} ON {table}")
            current = None
        if current is None:
            cursor.execute(create_sql)
            changed = True
        elif not current[1]:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {name}")
            changed = True
    return changed


def install_append_only_triggers(*, using: str = DEFAULT_DB_ALIAS, app_registry=None) -> InstallResult:
    """Create or repair the triggers on every guarded table that exists. No-op on other databases."""
    connection = connections[using]
    result = InstallResult()
    if connection.vendor != "postgresql":
        return result
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
        specs = [spec for spec in guarded_tables(app_registry) if spec.table in present]
        result.function_replaced = _ensure_function(cursor)
        existing = _existing_triggers(cursor)
        for spec in specs:
            result.tables.append(spec.table)
            if _install_one(cursor, connection.ops.quote_name, spec, existing):
                result.changed.append(spec.table)
    if result.changed or result.function_replaced:
        logger.info("append-only triggers installed on %s", ", ".join(result.changed) or "(function only)")
    return result


def remove_append_only_triggers(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Drop every trigger of this module and the function (the reverse of migration 0004)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table, name in _existing_triggers(cursor):
            cursor.execute(f"DROP TRIGGER {name} ON {connection.ops.quote_name(table)}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION_NAME}()")


def active_guards(*, using: str = DEFAULT_DB_ALIAS) -> dict[str, bool]:
    """``{table: guarded}``: True when both triggers exist and are enabled (always False off PostgreSQL)."""
    connection = connections[using]
    specs = guarded_tables()
    if connection.vendor != "postgresql":
        return {spec.table: False for spec in specs}
    with connection.cursor() as cursor:
        existing = _existing_triggers(cursor)
    return {
        spec.table: all(existing.get((spec.table, name), ((), False))[1] for name in (ROW_TRIGGER, TRUNCATE_TRIGGER))
        for spec in specs
    }


@contextmanager
def triggers_disabled(tables: Iterable[str], *, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Switch the guards off on ``tables`` for the block: what a DBA can do with ``ALTER TABLE``.

    For tests that play the DBA and for supervised repairs. It needs ownership of the tables and
    takes an exclusive lock on them; inside a transaction the change is rolled back with it. No-op
    off PostgreSQL.
    """
    connection = connections[using]
    names = [connection.ops.quote_name(t) for t in tables]
    if connection.vendor != "postgresql" or not names:
        yield
        return
    _alter(connection, names, "DISABLE")
    try:
        yield
    finally:
        _alter(connection, names, "ENABLE")


def _alter(connection, names: list[str], action: str) -> None:
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            # ALTER TABLE refuses a table with deferred foreign-key checks pending: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for name in names:
            cursor.execute(f"ALTER TABLE {name} {action} TRIGGER {ROW_TRIGGER}, {action} TRIGGER {TRUNCATE_TRIGGER}")


def reinstall_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """``post_migrate`` receiver: runs once per ``migrate``/``flush`` (on the audit app's signal)."""
    if getattr(sender, "label", None) != "audit" or connections[using].vendor != "postgresql":
        return
    from django.db.migrations.recorder import MigrationRecorder

    # After `migrate audit 0003` (0004 reversed) the triggers must stay removed.
    if MIGRATION not in MigrationRecorder(connections[using]).applied_migrations():
        return
    install_append_only_triggers(using=using)


# Connected on import. Migration 0004 imports this module, and ``migrate`` loads every migration
# module before it sends post_migrate, so the hook is in place whenever migrate runs; importing it
# from AuditConfig.ready() as well covers ``flush`` and ``--run-syncdb`` too.
post_migrate.connect(reinstall_after_migrate, dispatch_uid="audit_append_only_triggers")
