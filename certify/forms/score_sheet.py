"""The score sheet as one form: every open cell of every row (a value and an outcome), a tick per
row to submit. It parses what was typed — full-width digits and 。/． included — and says what to
fix at the cell; the services decide."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext as _

from certify.models import Enrolment, Score
from certify.services.score_drafts import SheetCell, draft_key
from lib.halfwidth import normalize_number

SCORED = Score.Outcome.SCORED
TENTH = Decimal("0.1")

__all__ = ["ScoreSheetForm"]


@dataclass(frozen=True)
class Column:
    component: str
    subscore: str
    heading: str


@dataclass(frozen=True)
class Cell:
    enrolment: Enrolment
    column: Column
    value_name: str
    outcome_name: str

    @property
    def key(self) -> str:
        return draft_key(self.enrolment.pk, self.column.component, self.column.subscore)


def score_error(text: str) -> str | None:
    """What to fix in a typed score (already made half-width), or None when it is a score."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return _("「%(v)s」不是成绩：请填写 0–100 的数字，例如 76.5") % {"v": text}
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        return _("成绩应在 0–100 之间，请改正")
    if number != number.quantize(TENTH):
        return _("成绩最多保留 1 位小数，例如 76.5")
    return None


class ScoreSheetForm(forms.Form):
    """``rows``: the enrolments the user scores (not recused); ``columns``: (component,
    sub-score, heading); ``locked``: (enrolment id, component, sub-score) already submitted —
    those cells have no field. ``draft``: saved values shown before anything is typed."""

    def __init__(self, data=None, *, rows, columns, locked=frozenset(), draft=None):
        if data is not None:
            # What an input method typed (７６．５, 76。5) is shown back as it will be read: 76.5.
            data = data.copy()
            for key in [k for k in data if k.startswith("v_")]:
                data[key] = normalize_number(data.get(key))
        super().__init__(data)
        self.columns = [Column(*c) for c in columns]
        self.cells: list[Cell] = []
        self.by_row: dict[int, list[Cell | None]] = {}
        self.enrolments = {e.pk: e for e in rows}
        draft = draft or {}
        from_draft: dict[str, str] = {}
        for e in rows:
            row: list[Cell | None] = []
            for i, col in enumerate(self.columns):
                if (e.pk, col.component, col.subscore) in locked:
                    row.append(None)
                    continue
                cell = Cell(e, col, f"v_{e.pk}_{i}", f"o_{e.pk}_{i}")
                saved = draft.get(cell.key)
                if saved:
                    from_draft[cell.value_name] = saved.get("value", "")
                    from_draft[cell.outcome_name] = saved.get("outcome", SCORED)
                label = f"{e.person.name} {col.heading}"
                self.fields[cell.value_name] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=20,
                    widget=forms.TextInput(
                        attrs={
                            "inputmode": "decimal",
                            "autocomplete": "off",
                            "class": "score-value",
                            "size": 6,
                            "aria-label": label,
                        }
                    ),
                )
                outcome_label = _("%(c)s 情况") % {"c": label}
                self.fields[cell.outcome_name] = forms.ChoiceField(
                    label=outcome_label,
                    widget=forms.Select(attrs={"aria-label": outcome_label}),
                    choices=Score.Outcome.choices,
                    required=False,
                    initial=SCORED,
                )
                row.append(cell)
                self.cells.append(cell)
            self.by_row[e.pk] = row
            if any(row):
                self.fields[f"pick_{e.pk}"] = forms.BooleanField(
                    label=_("提交 %(n)s 的成绩") % {"n": e.person.name}, required=False
                )
        if data is None and from_draft:
            # What was saved is shown as typed, and checked: a bad value kept in the draft shows
            # its message at its cell again.
            self.is_bound, self.data = True, from_draft

    # --- reading ------------------------------------------------------------------------------
    def _typed(self, cell: Cell) -> tuple[str, str]:
        """(value made half-width, outcome) as typed, valid or not."""
        value = self.data.get(cell.value_name, "")
        outcome = self.data.get(cell.outcome_name, "") or SCORED
        return normalize_number(value), outcome

    def clean(self):
        data = super().clean()
        for cell in self.cells:
            if cell.value_name in self.errors:
                continue
            value, outcome = self._typed(cell)
            if outcome not in Score.Outcome.values:
                self.add_error(cell.outcome_name, _("请选择情况：有效成绩、缺考或违纪取消"))
            elif outcome != SCORED and value:
                self.add_error(
                    cell.value_name,
                    _("选了「%(o)s」就不填成绩：请清空成绩，或把情况改回「有效成绩」")
                    % {"o": Score.Outcome(outcome).label},
                )
            elif value and (problem := score_error(value)):
                self.add_error(cell.value_name, problem)
        return data

    def draft_values(self) -> dict[str, dict]:
        """Every cell with something typed, the value made half-width, valid or not."""
        values = {}
        for cell in self.cells:
            value, outcome = self._typed(cell)
            if value or outcome != SCORED:
                values[cell.key] = {"value": value, "outcome": outcome}
        return values

    def picked(self) -> list[Enrolment]:
        return [e for pk, e in self.enrolments.items() if f"pick_{pk}" in self.fields and self.data.get(f"pick_{pk}")]

    def _filled(self, enrolment: Enrolment) -> list[Cell]:
        return [c for c in self.by_row[enrolment.pk] if c is not None and any(v != "" for v in self._filled_pair(c))]

    def _filled_pair(self, cell: Cell) -> tuple[str, str]:
        value, outcome = self._typed(cell)
        return value, "" if outcome == SCORED else outcome

    def check_picked(self) -> bool:
        """Before the confirmation: at least one row ticked, each ticked row filled and valid."""
        picked = self.picked()
        self._check_already_submitted()
        if not picked and not self.non_field_errors():
            self.add_error(None, _("请先勾选要提交的考生（每行最前面的方框），再点“核对并提交”"))
        for e in picked:
            if not self._filled(e):
                self.add_error(f"pick_{e.pk}", _("该考生还没有填写成绩：请填写，或取消勾选"))
        return self.is_valid()

    def _check_already_submitted(self) -> None:
        """A value posted for a cell already submitted (a second tab, a stale confirmation page)
        is said, not silently dropped."""
        for pk, e in self.enrolments.items():
            for i, col in enumerate(self.columns):
                if self.by_row[pk][i] is None and self.data.get(f"v_{pk}_{i}", "").strip():
                    self.add_error(
                        None,
                        _("%(n)s 的「%(c)s」已提交过，不能再次提交；如有错误请点“更正”并写明原因")
                        % {"n": e.person.name, "c": col.heading},
                    )

    def submission(self) -> list[SheetCell]:
        """The filled cells of the ticked rows, parsed (call after ``check_picked``)."""
        cells = []
        for e in self.picked():
            for cell in self._filled(e):
                value, outcome = self._typed(cell)
                number = Decimal(value).quantize(TENTH) if outcome == SCORED else None
                cells.append(SheetCell(e, cell.column.component, cell.column.subscore, number, outcome))
        return cells

    def confirmation_rows(self) -> list[dict]:
        """What the confirmation lists and posts again: per ticked row, its cells as typed."""
        rows = []
        for e in self.picked():
            cells = []
            for cell in self._filled(e):
                value, outcome = self._typed(cell)
                shown = value if outcome == SCORED else str(Score.Outcome(outcome).label)
                cells.append({"cell": cell, "value": value, "outcome": outcome, "shown": shown})
            rows.append({"enrolment": e, "cells": cells})
        return rows
