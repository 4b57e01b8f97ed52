"""The bulk writer behind ``generate_scale``: rows, their history rows and the audit events that bind
them, written with PostgreSQL ``COPY`` (or ``executemany`` on SQLite, for the tests).

What it writes is what the services would have left behind, and it hashes with the project's own
functions, never a copy of them:

- every row gets a history row (``history_type`` "+", or "~" for a later change) naming the actor,
  the time and the reason; its hash is ``audit.history.history_row_hash`` of the row as the
  database will give it back (decimals at their scale, files as names, choices as plain text);
- an event binds the history rows written since the previous event, grouped per history model
  exactly like ``audit.history.take_pending_history`` (ids in order, ``group_hash``, the fields);
- events are ``AuditEvent`` instances hashed by ``AuditEvent.compute_hash`` and linked to the chain
  head, which is locked ``FOR UPDATE`` while a chunk is written and moved to the last event.

Primary keys are taken from the tables' own sequences (``nextval`` in blocks) so the database's
defaults stay right for the rows the application writes later.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal

from django.db import connection, models, transaction

from audit.history import group_hash, history_fields, history_row_hash
from audit.models import AuditEvent, ChainHead
from lib.chain import jsonable

ID_BLOCK = 20_000  # primary keys reserved per sequence call


class _Row:
    """A history row as ``history_row_payload`` reads it: attributes and ``_meta``."""

    def __init__(self, values: dict, meta):
        self.__dict__.update(values)
        self._meta = meta


def _plain(value):
    """Choices members and lazy strings as the plain values the database gives back."""
    if isinstance(value, str) and type(value) is not str:
        return str(value)
    return value


class Table:
    """One audited model: its row and history-row buffers, and its primary-key supply."""

    def __init__(self, writer: BulkWriter, model):
        self.writer, self.model = writer, model
        self.history = model.history.model
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.pk = model._meta.pk.attname
        self.hfields = list(self.history._meta.concrete_fields)
        self.hattnames = [f.attname for f in self.hfields]
        self.hash_fields = history_fields(self.history)
        self.label = self.history._meta.label
        self.scale = {
            f.attname: Decimal(1).scaleb(-f.decimal_places) for f in self.fields if isinstance(f, models.DecimalField)
        }
        self.auto_now = [
            f.attname for f in self.fields if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add)
        ]
        template = model()
        self.defaults = {a: _plain(template.__dict__.get(a)) for a in self.attnames}
        self.rows: list[dict] = []
        self.hrows: list[dict] = []
        self.ids = _Ids(writer, model._meta.db_table, self.pk)
        self.hids = _Ids(writer, self.history._meta.db_table, self.history._meta.pk.attname)

    def add(self, values: dict, *, when: dt.datetime, actor_id: int, reason: str = "") -> dict:
        """A new row (with its "+" history row); returns the full row, ``row[pk]`` its key."""
        row = dict(self.defaults)
        row.update({k: _plain(v) for k, v in values.items()})
        row[self.pk] = self.ids.next()
        for name in self.auto_now:
            if row[name] is None:
                row[name] = when
        for name, quantum in self.scale.items():
            if row[name] is not None:
                row[name] = Decimal(row[name]).quantize(quantum)
        self.rows.append(row)
        self.record(row, when=when, actor_id=actor_id, reason=reason, kind="+")
        return row

    def record(self, row: dict, *, when: dt.datetime, actor_id: int, reason: str = "", kind: str = "~") -> None:
        """A history row of ``row`` as it stands (after a change: ``kind`` "~")."""
        history = {a: row.get(a) for a in self.attnames}
        history.update(
            history_id=self.hids.next(),
            history_date=when,
            history_change_reason=reason or None,
            history_type=kind,
            history_user_id=actor_id,
        )
        self.hrows.append(history)
        digest = history_row_hash(_Row(history, self.history._meta), self.hash_fields)
        self.writer.pending[self.label].append((history["history_id"], digest))

    def take(self) -> list[tuple]:
        """The buffered rows as ``(model, fields, rows)`` inserts, rows before history rows."""
        taken = [(self.model, self.fields, self.rows), (self.history, self.hfields, self.hrows)]
        self.rows, self.hrows = [], []
        return taken


class _Ids:
    """Primary keys from the table's sequence, reserved a block at a time."""

    def __init__(self, writer: BulkWriter, table: str, column: str):
        self.writer, self.table, self.column = writer, table, column
        self.block: list[int] = []
        self.size = 100  # doubled at each call up to ID_BLOCK: small tables reserve little

    def next(self) -> int:
        if not self.block:
            self.block = self.writer.reserve(self.table, self.column, self.size)
            self.block.reverse()
            self.size = min(self.size * 2, ID_BLOCK)
        return self.block.pop()


def _insert(cursor, model, fields, rows: list[dict]) -> None:
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    names = [f.attname for f in fields]
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                values = [row[n] for n in names]
                for i in json_at:
                    values[i] = Jsonb(values[i])
                copy.write_row(values)
        return
    # SQLite (tests): the fields' own adaptation, one executemany per table.
    marks = ", ".join(["%s"] * len(fields))
    params = [[f.get_db_prep_save(row[f.attname], connection) for f in fields] for row in rows]
    cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", params)  # noqa: S608 - model names


class BulkWriter:
    """Buffers rows, history rows and events; ``flush()`` writes them in one transaction."""

    def __init__(self):
        self.tables: dict[type, Table] = {}
        self.pending: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.events: list[AuditEvent] = []
        self.sqlite_next: dict[str, int] = {}
        head = ChainHead.objects.filter(pk=1).first()
        if head is None:
            raise RuntimeError("the audit chain has no head yet: append one event through audit_append first")
        self.seq, self.head_hash = head.seq, head.hash
        self.start_seq = head.seq
        self.rows_written = 0
        self.events_written = 0
        # On PostgreSQL a chunk is written by a second thread (its own connection) while the next
        # one is generated: COPY waits on the server, and the GIL is free meanwhile.
        self.pool = ThreadPoolExecutor(max_workers=1) if connection.vendor == "postgresql" else None
        self.writing: Future | None = None

    def table(self, model) -> Table:
        """The model's table; tables are written in the order they were first asked for (parents first)."""
        if model not in self.tables:
            self.tables[model] = Table(self, model)
        return self.tables[model]

    def add(self, model, values: dict, **kwargs) -> dict:
        return self.table(model).add(values, **kwargs)

    def reserve(self, table: str, column: str, n: int) -> list[int]:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, n]
                )
                return sorted(r[0] for r in cursor.fetchall())
        if table not in self.sqlite_next:
            with connection.cursor() as cursor:
                quoted = connection.ops.quote_name(table)
                cursor.execute(f"SELECT COALESCE(MAX({connection.ops.quote_name(column)}), 0) FROM {quoted}")  # noqa: S608
                self.sqlite_next[table] = cursor.fetchone()[0] + 1
        first = self.sqlite_next[table]
        self.sqlite_next[table] = first + n
        return list(range(first, first + n))

    def event(
        self,
        *,
        event_type,
        actor,
        when: dt.datetime,
        target: tuple[str, object, str],
        organization_id=None,
        data=None,
        reason: str = "",
    ) -> AuditEvent:
        """The next event, binding every history row recorded since the previous one.

        ``actor`` is ``(uid, repr, role)``; the event is hashed now and written at the next flush."""
        uid, actor_repr, role = actor
        self.seq += 1
        event = AuditEvent(
            seq=self.seq,
            created_at=when,
            actor_id=uid,
            actor_uid=uid,
            actor_repr=actor_repr[:200],
            actor_role=role,
            organization_id=organization_id,
            event_type=str(event_type),
            target_type=target[0],
            target_id=str(target[1]),
            target_repr=str(target[2])[:300],
            data=jsonable(data or {}),
            history=self._take(),
            reason=reason or "",
            ip="",
            prev_hash=self.head_hash,
        )
        event.hash = event.compute_hash()
        self.head_hash = event.hash
        self.events.append(event)
        return event

    def _take(self) -> list[dict]:
        bound = []
        for label in sorted(self.pending):
            pairs = sorted(self.pending[label])
            table = next(t for t in self.tables.values() if t.label == label)
            bound.append(
                {
                    "model": label,
                    "ids": [pk for pk, _digest in pairs],
                    "hash": group_hash([digest for _pk, digest in pairs]),
                    "fields": table.hash_fields,
                }
            )
        self.pending.clear()
        return bound

    def flush(self) -> None:
        """Hand everything buffered to the writing thread (or write it now, on SQLite)."""
        if self.pending:
            raise RuntimeError(f"history rows without an event: {sorted(self.pending)}")
        inserts = [insert for table in self.tables.values() for insert in table.take()]
        fields = list(AuditEvent._meta.concrete_fields)
        inserts.append((AuditEvent, fields, [{f.attname: getattr(e, f.attname) for f in fields} for e in self.events]))
        first = self.events[0] if self.events else None
        expected = (first.seq - 1, first.prev_hash) if first else (self.seq, self.head_hash)
        head = (self.seq, self.head_hash) if self.events else None
        self.events = []
        self.wait()
        if self.pool is None:
            self._write(inserts, expected, head)
        else:
            self.writing = self.pool.submit(self._write_in_thread, inserts, expected, head)

    def wait(self) -> None:
        """Until the chunk being written is in the database (its error, if any, is raised here)."""
        if self.writing is not None:
            writing, self.writing = self.writing, None
            writing.result()

    def close(self) -> None:
        self.wait()
        if self.pool is not None:
            self.pool.shutdown()

    def _write_in_thread(self, inserts, expected, head) -> None:
        try:
            self._write(inserts, expected, head)
        finally:
            connection.close()  # this thread's own connection

    def _write(self, inserts: list[tuple], expected: tuple, head: tuple | None) -> None:
        """One transaction holding the chain head: the rows, their history rows, the events."""
        with transaction.atomic():
            current = ChainHead.objects.select_for_update().get(pk=1)
            if (current.seq, current.hash) != expected:
                raise RuntimeError("the audit chain moved while generating: another process appended events")
            with connection.cursor() as cursor:
                for model, fields, rows in inserts:
                    _insert(cursor, model, fields, rows)
            if head is not None:
                ChainHead.objects.filter(pk=1).update(seq=head[0], hash=head[1])
        self.events_written += len(inserts[-1][2])
        self.rows_written += sum(len(rows) for model, _f, rows in inserts[:-1])
