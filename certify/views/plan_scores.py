"""What the plan page shows of the scores, for the reviewer who approves the results: each
candidate's scores by assessor (not only the averages), every correction with its old value, new
value and reason, and the score entries of the 办理记录 said in words."""

from __future__ import annotations

from audit.events import EventType
from certify import selectors
from certify.models import AssessmentPlan, Score
from certify.permissions import can_score_plan


def _shown(value, outcome) -> str:
    if outcome in (None, "", Score.Outcome.SCORED):
        return "—" if value in (None, "") else str(value)
    try:
        return str(Score.Outcome(outcome).label)
    except ValueError:
        return str(outcome)


def _heading(component: str, subscore: str) -> str:
    try:
        label = str(Score.Component(component).label)
    except ValueError:
        label = component
    return f"{label}·{subscore}" if subscore else label


def shows_values(plan: AssessmentPlan, user) -> bool:
    """While a plan is being scored, its assessors do not see each other's scores here: each
    scores independently."""
    return not (plan.status == AssessmentPlan.Status.SCORING and can_score_plan(user, plan))


def score_breakdown(plan: AssessmentPlan) -> dict:
    """``score_rows``: per candidate, per component, the scores in force by assessor;
    ``corrections``: every correction (new score, with ``replaces`` the old one), oldest first."""
    scores = list(selectors.plan_scores(plan))
    replaced = {s.replaces_id for s in scores if s.replaces_id}
    rows: dict[int, dict] = {}
    for s in scores:
        if s.pk in replaced:
            continue
        row = rows.setdefault(s.enrolment_id, {"enrolment": s.enrolment, "parts": {}})
        part = row["parts"].setdefault((s.component, s.subscore), {"heading": _heading(s.component, s.subscore)})
        part.setdefault("scores", []).append({"score": s, "shown": _shown(s.value, s.outcome)})
    score_rows = [{"enrolment": r["enrolment"], "parts": list(r["parts"].values())} for r in rows.values()]
    corrections = [
        {
            "score": s,
            "heading": _heading(s.component, s.subscore),
            "old": _shown(s.replaces.value, s.replaces.outcome),
            "new": _shown(s.value, s.outcome),
        }
        for s in sorted((s for s in scores if s.replaces_id), key=lambda s: s.submitted_at)
    ]
    return {"score_rows": score_rows, "corrections": corrections}


def event_detail(event, *, with_values: bool = True) -> str:
    """A score entry or correction of the 办理记录 in words: 张伟 · 操作技能 80.0 → 85.0."""
    data = event.data or {}
    if event.event_type not in (EventType.SCORE_SUBMITTED, EventType.SCORE_CORRECTED):
        return ""
    what = f"{data.get('name', '')} · {_heading(data.get('component', ''), data.get('subscore', ''))}"
    if not with_values:
        return what
    new = _shown(data.get("value"), data.get("outcome"))
    if event.event_type == EventType.SCORE_CORRECTED:
        changes = data.get("changes", {})
        old_value, old_outcome = (changes.get("value") or [None])[0], (changes.get("outcome") or [None])[0]
        return f"{what} {_shown(old_value, old_outcome)} → {new}"
    return f"{what} {new}"


def activity(plan: AssessmentPlan, user) -> list:
    """The 办理记录 with each score entry's words in ``detail``."""
    events = list(selectors.plan_activity(plan).select_related("actor"))
    with_values = shows_values(plan, user)
    for event in events:
        event.detail = event_detail(event, with_values=with_values)
    return events
