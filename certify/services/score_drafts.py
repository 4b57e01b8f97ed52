"""The score sheet as a whole: the assessor's unsubmitted values kept on the server (a draft), and
submitting the rows they picked in one go. Each submitted score is still one ``score_submit``
with its own event; a draft changes no record anyone relies on and writes no event."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from certify.actions import Act, require_action
from certify.models import AssessmentPlan, Enrolment, Score, ScoreDraft
from certify.services.scoring import score_submit


def draft_key(enrolment_id: int, component: str, subscore: str) -> str:
    """The key of one cell in ``ScoreDraft.values``."""
    return f"{enrolment_id}|{component}|{subscore}"


@dataclass(frozen=True)
class SheetCell:
    """One cell to submit: a candidate's component (or review sub-score), value and outcome."""

    enrolment: Enrolment
    component: str
    subscore: str
    value: Decimal | None
    outcome: str = Score.Outcome.SCORED

    @property
    def key(self) -> str:
        return draft_key(self.enrolment.pk, self.component, self.subscore)

    @property
    def heading(self) -> str:
        label = str(Score.Component(self.component).label)
        return f"{label}·{self.subscore}" if self.subscore else label


@transaction.atomic
def score_draft_save(*, actor: User, plan: AssessmentPlan, values: dict[str, dict]) -> ScoreDraft:
    """Keep what ``actor`` typed on the sheet, replacing their previous draft of this plan. Asks
    the same as scoring (the right and the plan's state): a draft that could never be submitted
    is not kept."""
    require_action(Act.SCORE, plan=plan, actor=actor)
    kept = {
        str(key): {"value": str(cell.get("value", ""))[:40], "outcome": str(cell.get("outcome", ""))[:20]}
        for key, cell in values.items()
    }
    draft, _created = ScoreDraft.objects.update_or_create(plan=plan, assessor=actor, defaults={"values": kept})
    return draft


@transaction.atomic
def score_sheet_submit(*, actor: User, plan: AssessmentPlan, cells: list[SheetCell]) -> list[Score]:
    """Submit the cells of the rows the assessor picked and confirmed: all or none. Each is a
    ``score_submit`` (its checks, its event); the submitted cells leave the draft."""
    scores = []
    for cell in cells:
        try:
            scores.append(
                score_submit(
                    actor=actor,
                    enrolment=cell.enrolment,
                    component=cell.component,
                    subscore=cell.subscore,
                    value=cell.value,
                    outcome=cell.outcome,
                )
            )
        except ValidationError as exc:
            who = f"{cell.enrolment.person.name}（{cell.heading}）"
            raise ValidationError([f"{who}：{m}" for m in exc.messages]) from exc
    draft = ScoreDraft.objects.select_for_update().filter(plan=plan, assessor=actor).first()
    if draft is not None:
        submitted = {cell.key for cell in cells}
        draft.values = {k: v for k, v in draft.values.items() if k not in submitted}
        draft.save(update_fields=["values", "updated_at"])
    return scores
