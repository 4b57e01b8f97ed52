"""What a verification found: the kinds of damage, one problem, and the report that collects them."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from itertools import islice

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib.chain import jsonable

MAX_PROBLEMS = 200


class Damage(models.TextChoices):
    EVENT_MODIFIED = "event_modified", gettext_lazy("事件被修改")
    EVENT_DELETED = "event_deleted", gettext_lazy("事件被删除")
    EVENT_INSERTED = "event_inserted", gettext_lazy("事件被插入")
    EVENTS_REORDERED = "events_reordered", gettext_lazy("事件顺序被调换")
    CHAIN_REWRITTEN = "chain_rewritten", gettext_lazy("检查点之后的审计链被改写")
    CHECKPOINT_INVALID = "checkpoint_invalid", gettext_lazy("检查点签名无效")
    CHECKPOINT_TAMPERED = "checkpoint_tampered", gettext_lazy("数据库中的检查点被删除或改动")
    HISTORY_MODIFIED = "history_modified", gettext_lazy("历史记录被修改")
    HISTORY_DELETED = "history_deleted", gettext_lazy("历史记录被删除")
    ROW_CHANGED = "row_changed", gettext_lazy("业务记录在系统之外被修改")
    ROW_DELETED = "row_deleted", gettext_lazy("业务记录在系统之外被删除")
    ROW_WITHOUT_HISTORY = "row_without_history", gettext_lazy("业务记录没有历史记录")


_PRIORITY = {kind: n for n, kind in enumerate(Damage.values)}


@dataclass
class Problem:
    kind: str
    seq: int | None = None
    detail: str = ""
    model: str = ""
    pk: str = ""
    history_id: int | None = None
    fields: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(Damage(self.kind).label)

    def describe(self) -> str:
        where = _("第 %(seq)d 号事件") % {"seq": self.seq} if self.seq is not None else ""
        if self.model and self.history_id is not None:
            where += (" " if where else "") + _("%(model)s 历史记录 %(id)s") % {
                "model": self.model,
                "id": self.history_id,
            }
        elif self.model:
            where += (" " if where else "") + f"{self.model} #{self.pk}"
        text = f"{where}：{self.label}" if where else self.label
        if self.fields:
            text += _("（字段：%(fields)s）") % {"fields": "、".join(self.fields)}
        return f"{text}。{self.detail}" if self.detail else f"{text}。"

    def sort_key(self) -> tuple:
        return (self.seq is None, self.seq or 0, _PRIORITY.get(self.kind, 99))


@dataclass
class VerifyReport:
    started_at: dt.datetime = field(default_factory=timezone.now)
    events: int = 0
    last_seq: int = 0
    head_seq: int | None = None
    chain_complete: bool = False
    history_groups: int = 0
    history_rows: int = 0
    checkpoints: int = 0
    file_checkpoints: int = 0
    models: int = 0
    rows: int = 0
    seconds: float = 0.0
    chain_seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    problems_not_listed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return min(self.problems, key=Problem.sort_key) if self.problems else None

    @property
    def first_bad_seq(self) -> int | None:
        first = self.first_problem
        return first.seq if first else None

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def add(self, problem: Problem) -> None:
        if any(p.kind == problem.kind and p.seq == problem.seq and p.pk == problem.pk for p in self.problems):
            return
        if len(self.problems) >= MAX_PROBLEMS:
            self.problems_not_listed += 1
            return
        self.problems.append(problem)

    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=Problem.sort_key)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["started_at"] = jsonable(self.started_at)
        data["problems"] = [{**asdict(p), "label": p.label, "text": p.describe()} for p in self.sorted_problems()]
        data["ok"] = self.ok
        data["first_bad_seq"] = self.first_bad_seq
        data["events_per_second"] = round(self.events_per_second, 1)
        return data


def chunks(items, size: int):
    """Lists of at most ``size`` items, so no query carries an unbounded IN (...) list."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
