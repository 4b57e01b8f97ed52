"""What a plan offers one user now: each action of the plan actions table (``certify.actions``)
evaluated for the plan's state, the user's rights and the action's checks — offered or not,
enabled or disabled, and why in Chinese. The plan pages read it through
``certify.selectors.plan_available_actions``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone

from certify.actions import PLAN_ACTIONS, TABLE, CheckFn, PlanAction, checks_of
from certify.models import AssessmentPlan
from certify.services.plan_checks import Check


@dataclass(frozen=True)
class ActionState:
    """One action as one user finds it now: offered or not, enabled or not, and why."""

    action: PlanAction
    plan: AssessmentPlan
    permitted: bool
    in_state: bool
    reasons: tuple[str, ...] = ()
    label: str = ""

    @property
    def key(self) -> str:
        return self.action.key

    @property
    def visible(self) -> bool:
        shown = self.action.shown is None or self.action.shown(self.plan)
        return self.permitted and self.in_state and shown

    @property
    def enabled(self) -> bool:
        return self.visible and not self.reasons

    @property
    def confirm(self) -> str:
        """Asked only before an action that will be carried out."""
        return str(self.action.confirm) if self.enabled and self.action.confirm else ""

    @property
    def one_click(self) -> bool:
        return self.action.step and not self.action.needs_reason

    @property
    def url(self) -> str:
        args = [self.plan.organization_id, self.plan.pk]
        if self.one_click:
            return reverse("certify:plan_transition", args=[*args, self.action.key])
        return reverse(self.action.url_name, args=args) if self.action.url_name else ""


def evaluate(
    action: PlanAction, plan: AssessmentPlan, user, today: dt.date, checks: Callable[[PlanAction], list[Check]]
) -> ActionState:
    permitted = bool(user is not None and action.permission(user, plan))
    in_state = plan.status in action.sources
    if not permitted:
        reasons = [str(action.denied)]
    elif not in_state:
        reasons = [action.state_refusal(plan)]
    else:
        reasons = [c.reason for c in checks(action) if not c.ok]
    label = action.relabel(plan) if action.relabel and permitted and in_state else str(action.label)
    return ActionState(action, plan, permitted, in_state, tuple(reasons), label)


@dataclass
class PlanActions(Mapping):
    """The actions a user is offered on a plan now (by key, in table order), and the checklist of
    the plan's next step."""

    states: dict[str, ActionState]
    checklist_heading: str = ""
    checklist: list[Check] = field(default_factory=list)

    def __getitem__(self, key: str) -> ActionState:
        state = self.states[key]
        if not state.visible:
            raise KeyError(key)
        return state

    def __iter__(self) -> Iterator[str]:
        return (key for key, state in self.states.items() if state.visible)

    def __len__(self) -> int:
        return sum(1 for _key in self)

    def state(self, key: str) -> ActionState:
        """Offered or not, with the reasons (e.g. for a page that explains why it is read-only)."""
        return self.states[key]

    @property
    def steps(self) -> list[ActionState]:
        """The one-click steps of the 办理 panel."""
        return [self[key] for key in self if self.states[key].one_click]


def plan_actions(plan: AssessmentPlan, user, *, today: dt.date | None = None) -> PlanActions:
    today = today or timezone.localdate()
    memo: dict[CheckFn, list[Check]] = {}

    def checks(action: PlanAction) -> list[Check]:
        # The checklist and the button of the same step read the same checks once.
        if action.checks not in memo:
            memo[action.checks] = checks_of(action, plan, user, today)
        return memo[action.checks]

    states = {action.key: evaluate(action, plan, user, today, checks) for action in TABLE}
    for action in TABLE:
        if action.checklist_heading and plan.status in action.sources:
            return PlanActions(states, str(action.checklist_heading), checks(action))
    return PlanActions(states)


def action_state(plan: AssessmentPlan, user, key: str, *, today: dt.date | None = None) -> ActionState:
    """One action as ``user`` finds it now (a page about that action alone)."""
    today = today or timezone.localdate()
    return evaluate(PLAN_ACTIONS[key], plan, user, today, lambda action: checks_of(action, plan, user, today))
