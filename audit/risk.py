"""Risk flags (风险提示): ten rules over the evaluation records, the scan that turns their findings
into flags, and the bureau's handling of flags (acknowledge, resolve, thresholds).

Each rule is one function returning ``Finding`` objects: a target (certificate, plan, score, an
assessor's day, an organisation), its organisation, a Chinese summary, evidence (ids and numbers,
plus the facts shown on the flag page) and links to the evidence pages. The rules read with
aggregates and annotations; Python only sees rows that already look wrong, or a window of recent
rows (see ``scan_window_start``).

Decisions the scan makes (``risk_scan``):

- A new finding becomes a ``RiskFlag`` with one ``RISK_FLAG_RAISED`` event, by the actor of the
  scan (the system actor ``system:risk`` for the daily job and the 立即扫描 button).
- A flag that fires again with the same evidence is left untouched: no save, no history row, no
  event. Re-saving it to move ``last_seen`` would write a history row (``RiskFlag`` is audited, and
  a history row needs an event) every day for every open flag, and ``.update()`` would bypass the
  audited history. So ``last_seen`` means "the evidence last changed", not "the last scan".
- Every finding carries a ``signature``: what makes it new (the number of early certificates, the
  newest revocation, ...). When a flag fires with a different signature: an open flag gets the
  new evidence; an acknowledged or resolved flag is reopened with it. Either way one
  ``RISK_FLAG_RAISED`` event (``data.refreshed`` / ``data.reopened``). A resolved flag whose
  evidence is unchanged stays resolved: the resolution covered exactly that evidence.
- A flag whose rule no longer fires stays as it is; only a person closes a flag.

The window: facts about a certificate, a score or a scoring day are fixed once written (history
rows are append-only and a certificate's issue facts never change; a correction is a new version
with the same issue date), so the row-level rules look only at rows written since
``scan_window_start`` — by default the last ``SKILLCERT_RISK_WINDOW_DAYS`` (35) days, from local
midnight, which tolerates a month of missed daily runs. A first scan over older data passes
``since=`` explicitly. Plan-level aggregates (pass rate, 定级 share, lead time) and revocations are
cheap and always look at every plan.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.permissions import is_bureau, is_bureau_reader, require
from accounts.roles import BureauRole
from audit.actors import system_actor
from audit.events import EventType
from audit.models import RiskFlag, RiskSettings
from audit.services import audit_append
from certify.conf import conf
from certify.models import (
    AssessmentPlan,
    CalendarDay,
    Certificate,
    Enrolment,
    Filing,
    FilingScope,
    Objection,
    Result,
    Score,
)
from lib import workdays
from lib.chain import diff, jsonable

R = RiskFlag.Rule
ST = RiskFlag.Status
DEFAULT_WINDOW_DAYS = 35
# A holiday the bureau enters after a plan was filed removes at most one working day per day, and
# no official holiday period is longer than 9 days: plans filed with more lead than this cannot
# fall short on a recount, so only the others are recounted.
RECOUNT_MARGIN_DAYS = 10
MAX_LINKS = 20

# threshold field → (lowest, highest) accepted value
THRESHOLDS: dict[str, tuple[int, int]] = {
    "identical_min_candidates": (2, 100_000),
    "identical_share_percent": (1, 100),
    "full_pass_min_candidates": (1, 100_000),
    "assessor_daily_limit": (1, 10_000),
    "direct_share_percent": (0, 100),
    "direct_min_candidates": (1, 100_000),
    "revocation_limit": (1, 100_000),
    "revocation_window_days": (1, 3_660),
}


# --- permissions ----------------------------------------------------------------------------------
def can_view_risk(user) -> bool:
    return is_bureau_reader(user)


def can_handle_risk(user) -> bool:
    """Edit thresholds, run a scan, acknowledge and resolve flags: the bureau admin only."""
    return is_bureau(user, BureauRole.BUREAU_ADMIN)


# --- thresholds -----------------------------------------------------------------------------------
def risk_settings_get() -> RiskSettings:
    """The thresholds in force: the stored row, or the defaults until the bureau first saves them."""
    return RiskSettings.objects.filter(pk=1).first() or RiskSettings(pk=1)


def _clean_threshold(name: str, value: Any) -> int:
    low, high = THRESHOLDS[name]
    if isinstance(value, bool):
        raise ValidationError({name: _("请填写整数")})
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ValidationError({name: _("请填写整数")}) from exc
    if not low <= number <= high:
        raise ValidationError({name: _("应在 %(low)d 到 %(high)d 之间") % {"low": low, "high": high}})
    return number


@transaction.atomic
def risk_settings_update(*, actor: User, **thresholds) -> RiskSettings:
    require(can_handle_risk(actor), _("只有人社局管理员可以修改风险规则阈值"))
    unknown = set(thresholds) - set(THRESHOLDS)
    if unknown:
        raise ValueError(f"unknown risk thresholds: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, int] = {}
    for name, value in thresholds.items():
        try:
            cleaned[name] = _clean_threshold(name, value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    row = RiskSettings.objects.select_for_update().filter(pk=1).first() or RiskSettings(pk=1)
    before = {name: getattr(row, name) for name in THRESHOLDS}
    changes = diff(before, {**before, **cleaned})
    if not changes:
        raise ValidationError(_("没有需要保存的修改"))
    for name, value in cleaned.items():
        setattr(row, name, value)
    row._history_user = actor
    row.save()
    audit_append(actor=actor, event_type=EventType.RISK_SETTINGS_UPDATED, target=row, data={"changes": changes})
    return row


# --- findings -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    """A page that shows evidence: a URL name and its arguments, resolved when shown."""

    name: str
    args: tuple
    label: str
    query: str = ""

    def as_dict(self) -> dict:
        return {"name": self.name, "args": list(self.args), "label": self.label, "query": self.query}


@dataclass(frozen=True)
class Finding:
    rule: str
    organization_id: int
    target_type: str
    target_id: str
    target_repr: str
    summary: str
    evidence: dict
    link: Link
    links: tuple[Link, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    signature: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return self.target_type, self.target_id

    def stored_evidence(self) -> dict:
        return jsonable(
            {
                **self.evidence,
                "signature": self.signature,
                "facts": [[label, str(value)] for label, value in self.facts],
                "link": self.link.as_dict(),
                "links": [link.as_dict() for link in self.links[:MAX_LINKS]],
            }
        )


@dataclass(frozen=True)
class ScanContext:
    cfg: RiskSettings
    since: dt.datetime
    now: dt.datetime


def scan_window_start(now: dt.datetime | None = None) -> dt.datetime:
    days = int(getattr(settings, "SKILLCERT_RISK_WINDOW_DAYS", DEFAULT_WINDOW_DAYS))
    start = timezone.localtime(now or timezone.now()).date() - dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(start, dt.time.min))


def _local_day(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _plan_link(org_id: int, plan_id: int, number: str) -> Link:
    return Link("certify:plan_detail", (org_id, plan_id), _("评价计划 %(n)s") % {"n": number})


def _certificate_link(org_id: int, certificate_id: int, number: str) -> Link:
    return Link("certify:certificate_detail", (org_id, certificate_id), _("证书 %(n)s") % {"n": number})


# --- rule 1: issued outside the filed scope or under a lapsed filing --------------------------------
class _Timeline:
    """The states of one row over time, from its history (the state at a moment is the last change
    at or before it; ``None`` after a deletion or before creation)."""

    def __init__(self) -> None:
        self.times: list[dt.datetime] = []
        self.states: list[dict | None] = []

    def add(self, moment: dt.datetime, state: dict | None) -> None:
        self.times.append(moment)
        self.states.append(state)

    def at(self, moment: dt.datetime) -> dict | None:
        index = bisect.bisect_right(self.times, moment)
        return self.states[index - 1] if index else None


@dataclass
class _Coverage:
    filings: dict[int, _Timeline] = field(default_factory=dict)
    scopes: dict[int, list[tuple[int, _Timeline]]] = field(default_factory=lambda: defaultdict(list))
    changes: dict[int, list[dt.datetime]] = field(default_factory=lambda: defaultdict(list))

    def changed_between(self, org_id: int, start: dt.datetime, end: dt.datetime) -> bool:
        times = self.changes[org_id]
        return bisect.bisect_right(times, end) > bisect.bisect_right(times, start)

    def check(self, org_id: int, occupation_id: int, work_type_id, level: int, day: dt.date, moment: dt.datetime):
        """(covered, reason, filing id) for a certificate of this subject dated ``day``, created at
        ``moment``, judged by the filings and scopes as they stood at that moment."""
        reason, reason_filing = "no_scope", None
        for filing_id, timeline in self.scopes[org_id]:
            scope = timeline.at(moment)
            if scope is None or scope["occupation_id"] != occupation_id:
                continue
            if scope["work_type_id"] is not None and scope["work_type_id"] != work_type_id:
                continue
            if str(level) not in scope["levels"]:
                if reason == "no_scope":
                    reason, reason_filing = "level", filing_id
                continue
            filing = self.filings[filing_id].at(moment) if filing_id in self.filings else None
            if filing is None:
                continue
            status = filing["status"]
            if status == Filing.Status.ACTIVE and day > filing["valid_until"]:
                status = Filing.Status.EXPIRED
            elif status == Filing.Status.ACTIVE and day < filing["valid_from"]:
                status = "not_yet"
            if status == Filing.Status.ACTIVE:
                return True, "", filing_id
            reason, reason_filing = status, filing_id
        return False, reason, reason_filing


def _load_coverage(org_ids: set[int]) -> _Coverage:
    """Every filing and scope of these organisations as a timeline built from their history rows
    (a few rows per filing); rows written without history count from their creation."""
    coverage = _Coverage()
    history = Filing.history.model.objects.filter(organization_id__in=org_ids).order_by("history_date", "history_id")
    org_of: dict[int, int] = {}
    for row in history.values(
        "id", "organization_id", "status", "valid_from", "valid_until", "history_date", "history_type"
    ):
        state = None if row["history_type"] == "-" else row
        coverage.filings.setdefault(row["id"], _Timeline()).add(row["history_date"], state)
        coverage.changes[row["organization_id"]].append(row["history_date"])
        org_of[row["id"]] = row["organization_id"]
    for filing in Filing.objects.filter(organization_id__in=org_ids).exclude(pk__in=list(coverage.filings)):
        state = {"status": filing.status, "valid_from": filing.valid_from, "valid_until": filing.valid_until}
        coverage.filings.setdefault(filing.pk, _Timeline()).add(filing.created_at, state)
        org_of[filing.pk] = filing.organization_id
    scope_rows = FilingScope.history.model.objects.filter(filing_id__in=list(org_of)).order_by(
        "history_date", "history_id"
    )
    scope_lines: dict[int, _Timeline] = {}
    scope_filing: dict[int, int] = {}
    for row in scope_rows.values(
        "id", "filing_id", "occupation_id", "work_type_id", "levels", "history_date", "history_type"
    ):
        scope_lines.setdefault(row["id"], _Timeline()).add(
            row["history_date"], None if row["history_type"] == "-" else row
        )
        scope_filing[row["id"]] = row["filing_id"]
        coverage.changes[org_of[row["filing_id"]]].append(row["history_date"])
    for scope in FilingScope.objects.filter(filing_id__in=list(org_of)).exclude(pk__in=list(scope_lines)):
        state = {"occupation_id": scope.occupation_id, "work_type_id": scope.work_type_id, "levels": scope.levels}
        scope_lines.setdefault(scope.pk, _Timeline()).add(scope.added_at, state)
        scope_filing[scope.pk] = scope.filing_id
    for scope_id, timeline in scope_lines.items():
        coverage.scopes[org_of[scope_filing[scope_id]]].append((scope_filing[scope_id], timeline))
    for times in coverage.changes.values():
        times.sort()
    return coverage


def _scope_reason(reason: str) -> str:
    return {
        "no_scope": _("职业（工种）不在备案范围内"),
        "level": _("等级不在备案范围内"),
        Filing.Status.EXPIRED: _("备案已过期"),
        Filing.Status.SUSPENDED: _("备案处于暂停状态"),
        Filing.Status.REVOKED: _("备案已被撤销"),
        "not_yet": _("备案尚未生效"),
    }.get(reason, reason)


def rule_out_of_scope(ctx: ScanContext) -> list[Finding]:
    """Certificates issued outside the filed scope, or while the covering filing was expired,
    suspended, revoked or not yet valid — judged at the moment the certificate was created, so a
    filing suspended or expiring after the issue does not count. Certificates are grouped by
    (organisation, subject, level, issue date); only a group whose filings changed between its
    first and last certificate is judged certificate by certificate."""
    recent = Certificate.objects.filter(version=1, issued_at__gte=ctx.since)
    groups = list(
        recent.values("organization_id", "occupation_id", "work_type_id", "level", "issue_date").annotate(
            first=Min("issued_at"), last=Max("issued_at")
        )
    )
    if not groups:
        return []
    coverage = _load_coverage({g["organization_id"] for g in groups})
    keys = ("organization_id", "occupation_id", "work_type_id", "level", "issue_date")
    bad: dict[int, tuple[str, int | None]] = {}
    for g in groups:
        subject = tuple(g[k] for k in keys)
        members = recent.filter(**{k: g[k] for k in keys})
        if not coverage.changed_between(g["organization_id"], g["first"], g["last"]):
            ok, reason, filing_id = coverage.check(*subject, g["last"])
            if not ok:
                bad.update(dict.fromkeys(members.values_list("pk", flat=True), (reason, filing_id)))
            continue
        for pk, moment in members.values_list("pk", "issued_at"):
            ok, reason, filing_id = coverage.check(*subject, moment)
            if not ok:
                bad[pk] = (reason, filing_id)
    if not bad:
        return []
    filings = Filing.objects.in_bulk({f for _r, f in bad.values() if f})
    findings = []
    rows = Certificate.objects.filter(pk__in=list(bad)).select_related("plan").order_by("pk")
    for c in rows.iterator(chunk_size=1000):
        reason, filing_id = bad[c.pk]
        filing = filings.get(filing_id)
        why = _scope_reason(reason)
        links = [_plan_link(c.organization_id, c.plan_id, c.plan.number)]
        if filing:
            links.append(Link("certify:bureau_filing_detail", (filing.pk,), _("备案 %(n)s") % {"n": filing.number}))
        findings.append(
            Finding(
                rule=R.OUT_OF_SCOPE,
                organization_id=c.organization_id,
                target_type="certify.certificate",
                target_id=str(c.pk),
                target_repr=_("证书 %(n)s（%(name)s）") % {"n": c.number, "name": c.holder_name},
                summary=_("证书 %(n)s 发证时%(why)s") % {"n": c.number, "why": why},
                evidence={
                    "certificate": c.pk,
                    "number": c.number,
                    "plan": c.plan_id,
                    "issue_date": c.issue_date,
                    "issued_at": c.issued_at,
                    "occupation": c.occupation_id,
                    "work_type": c.work_type_id,
                    "level": c.level,
                    "reason": reason,
                    "filing": filing_id,
                },
                link=_certificate_link(c.organization_id, c.pk, c.number),
                links=tuple(links),
                facts=(
                    (_("证书编号"), c.number),
                    (_("职业（工种）"), f"{c.occupation_name}（{c.work_type_name}）"),
                    (_("等级"), c.level_wording),
                    (_("发证日期"), c.issue_date.isoformat()),
                    (_("核发时间"), _local_day(c.issued_at)),
                    (_("问题"), why),
                    (_("备案"), filing.number if filing else "—"),
                ),
            )
        )
    return findings


# --- rule 2: issued before publicity ended or with an objection open --------------------------------
def _objection_open_at_issue():
    return Exists(
        Objection.objects.filter(plan_id=OuterRef("plan_id"), received_on__lte=OuterRef("issue_date")).filter(
            Q(status=Objection.Status.OPEN) | Q(resolved_at__date__gt=OuterRef("issue_date"))
        )
    )


def rule_early_issue(ctx: ScanContext) -> list[Finding]:
    """Per plan: certificates dated on or before the last day of publicity (or with no publicity at
    all), or dated while an objection received by then was still unresolved. The printed issue
    date is what the certificate claims, so it is what is judged."""
    early = Q(plan__publicity_end__isnull=True) | Q(issue_date__lte=F("plan__publicity_end"))
    base = Certificate.objects.filter(version=1).annotate(objection_open=_objection_open_at_issue())
    bad = early | Q(objection_open=True)
    plan_ids = set(base.filter(bad, issued_at__gte=ctx.since).values_list("plan_id", flat=True).distinct())
    if not plan_ids:
        return []
    stats = (
        base.filter(plan_id__in=plan_ids)
        .values("plan_id")
        .annotate(
            early=Count("pk", filter=early),
            with_objection=Count("pk", filter=Q(objection_open=True)),
            first_issue=Min("issue_date", filter=bad),
        )
    )
    samples: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for plan_id, pk, number in (
        base.filter(bad, plan_id__in=plan_ids).order_by("pk").values_list("plan_id", "pk", "number")
    ):
        if len(samples[plan_id]) < MAX_LINKS:
            samples[plan_id].append((pk, number))
    objections: dict[int, list[int]] = defaultdict(list)
    for plan_id, pk in Objection.objects.filter(plan_id__in=plan_ids).order_by("pk").values_list("plan_id", "pk"):
        objections[plan_id].append(pk)
    plans = AssessmentPlan.objects.in_bulk(plan_ids)
    findings = []
    for row in stats:
        plan = plans[row["plan_id"]]
        parts = []
        if row["early"]:
            parts.append(_("%(n)d 张证书的发证日期不晚于公示截止日") % {"n": row["early"]})
        if row["with_objection"]:
            parts.append(_("%(n)d 张证书发证时尚有未处理的异议") % {"n": row["with_objection"]})
        findings.append(
            Finding(
                rule=R.EARLY_ISSUE,
                organization_id=plan.organization_id,
                target_type="certify.assessmentplan",
                target_id=str(plan.pk),
                target_repr=_("评价计划 %(n)s %(t)s") % {"n": plan.number, "t": plan.title},
                summary=_("评价计划 %(n)s：%(parts)s") % {"n": plan.number, "parts": "；".join(parts)},
                evidence={
                    "plan": plan.pk,
                    "publicity_start": plan.publicity_start,
                    "publicity_end": plan.publicity_end,
                    "closed_at": plan.closed_at,
                    "early_certificates": row["early"],
                    "certificates_with_open_objection": row["with_objection"],
                    "first_issue_date": row["first_issue"],
                    "certificates": [pk for pk, _n in samples[plan.pk]],
                    "objections": objections[plan.pk],
                },
                link=_plan_link(plan.organization_id, plan.pk, plan.number),
                links=tuple(_certificate_link(plan.organization_id, pk, n) for pk, n in samples[plan.pk]),
                facts=(
                    (_("公示期"), f"{plan.publicity_start or '—'} ～ {plan.publicity_end or '—'}"),
                    (_("最早发证日期"), row["first_issue"].isoformat() if row["first_issue"] else "—"),
                    (_("公示截止前发证"), row["early"]),
                    (_("异议未处理时发证"), row["with_objection"]),
                    (_("本计划异议"), len(objections[plan.pk])),
                ),
                signature=f"{row['early']}:{row['with_objection']}",
            )
        )
    return findings


# --- rule 3: a score changed after the results were approved ---------------------------------------
def _shown(score: Score | None) -> str:
    if score is None:
        return "—"
    if score.outcome == Score.Outcome.SCORED:
        return str(score.value)
    return str(score.get_outcome_display())


def rule_score_after_approval(ctx: ScanContext) -> list[Finding]:
    """Every score row written after its plan's results were approved: a correction (the services
    allow one only to carry out an objection of the publicity) or any other late row. Each row is
    one flag, linked to the candidate's page, which lists all their scores."""
    rows = (
        Score.objects.filter(
            submitted_at__gte=ctx.since, plan__approved_at__isnull=False, submitted_at__gt=F("plan__approved_at")
        )
        .select_related("plan", "enrolment__person", "assessor", "replaces", "objection")
        .order_by("pk")
    )
    findings = []
    for s in rows:
        plan, name = s.plan, s.enrolment.person.name
        component = str(s.get_component_display()) + (f"·{s.subscore}" if s.subscore else "")
        change = f"{_shown(s.replaces)} → {_shown(s)}" if s.replaces_id else _shown(s)
        what = _("更正") if s.replaces_id else _("新增")
        summary = _("评价计划 %(p)s 结果审核后%(what)s成绩：%(name)s %(c)s %(change)s") % {
            "p": plan.number,
            "what": what,
            "name": name,
            "c": component,
            "change": change,
        }
        objection = s.objection
        findings.append(
            Finding(
                rule=R.SCORE_AFTER_APPROVAL,
                organization_id=s.organization_id,
                target_type="certify.score",
                target_id=str(s.pk),
                target_repr=_("%(name)s 的%(c)s成绩（计划 %(p)s）") % {"name": name, "c": component, "p": plan.number},
                summary=summary,
                evidence={
                    "score": s.pk,
                    "replaces": s.replaces_id,
                    "plan": plan.pk,
                    "enrolment": s.enrolment_id,
                    "assessor": s.assessor_id,
                    "old_value": s.replaces.value if s.replaces_id else None,
                    "new_value": s.value,
                    "outcome": s.outcome,
                    "approved_at": plan.approved_at,
                    "submitted_at": s.submitted_at,
                    "objection": s.objection_id,
                    "objection_status": objection.status if objection else None,
                },
                link=Link(
                    "certify:enrolment_detail",
                    (s.organization_id, plan.pk, s.enrolment_id),
                    _("%(name)s 的成绩") % {"name": name},
                ),
                links=(_plan_link(s.organization_id, plan.pk, plan.number),),
                facts=(
                    (_("考生"), name),
                    (_("考核项目"), component),
                    (_("成绩"), change),
                    (_("考评员"), s.assessor.get_full_name()),
                    (_("结果审核时间"), _local_day(plan.approved_at)),
                    (_("成绩提交时间"), _local_day(s.submitted_at)),
                    (_("更正原因"), s.reason or "—"),
                    (
                        _("依据的异议"),
                        f"#{objection.pk}（{objection.get_status_display()}）" if objection else _("无"),
                    ),
                ),
            )
        )
    return findings


# --- rule 4: many identical score patterns in one plan ---------------------------------------------
def rule_identical_scores(ctx: ScanContext) -> list[Finding]:
    """A candidate's pattern is every current score they got (component, sub-score, assessor,
    value). Fires when a plan has at least ``identical_min_candidates`` scored candidates and at
    least ``identical_share_percent`` of them share their whole pattern with another candidate.
    Looks at plans whose results were approved in the window: the patterns are final then, and a
    later change is rule 3's business."""
    cfg = ctx.cfg
    plans = AssessmentPlan.objects.filter(approved_at__gte=ctx.since).exclude(status=AssessmentPlan.Status.CANCELLED)
    rows = Score.objects.filter(
        plan__in=plans,
        replaced_by__isnull=True,
        outcome=Score.Outcome.SCORED,
        enrolment__status=Enrolment.Status.REGISTERED,
    ).values_list("plan_id", "enrolment_id", "component", "subscore", "assessor_id", "value")
    by_plan: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for plan_id, enrolment_id, component, subscore, assessor_id, value in rows.iterator(chunk_size=5000):
        by_plan[plan_id][enrolment_id].append((component, subscore, assessor_id, value))
    hits = []
    for plan_id, patterns in by_plan.items():
        groups: dict[tuple, list[int]] = defaultdict(list)
        for enrolment_id, items in patterns.items():
            groups[tuple(sorted(items))].append(enrolment_id)
        shared = sorted(((p, sorted(g)) for p, g in groups.items() if len(g) > 1), key=lambda x: (-len(x[1]), x[1]))
        candidates, sharing = len(patterns), sum(len(g) for _p, g in shared)
        if candidates >= cfg.identical_min_candidates and sharing * 100 >= cfg.identical_share_percent * candidates:
            hits.append((plan_id, candidates, sharing, shared))
    if not hits:
        return []
    plans_by_id = AssessmentPlan.objects.in_bulk([h[0] for h in hits])
    linked = {e for h in hits for e in h[3][0][1][:MAX_LINKS]}
    names = dict(Enrolment.objects.filter(pk__in=linked).values_list("pk", "person__name"))
    findings = []
    for plan_id, candidates, sharing, shared in hits:
        plan = plans_by_id[plan_id]
        percent = round(sharing * 100 / candidates)
        largest_pattern, largest = shared[0]
        marks: dict[str, list[str]] = defaultdict(list)
        for component, subscore, _assessor, value in largest_pattern:
            marks[str(Score.Component(component).label) + (f"·{subscore}" if subscore else "")].append(str(value))
        values = "；".join(f"{name} {'、'.join(given)}" for name, given in marks.items())
        findings.append(
            Finding(
                rule=R.IDENTICAL_SCORES,
                organization_id=plan.organization_id,
                target_type="certify.assessmentplan",
                target_id=str(plan.pk),
                target_repr=_("评价计划 %(n)s %(t)s") % {"n": plan.number, "t": plan.title},
                summary=_("评价计划 %(n)s：%(k)d 名考生中 %(s)d 名（%(p)d%%）的全部成绩与他人完全相同")
                % {"n": plan.number, "k": candidates, "s": sharing, "p": percent},
                evidence={
                    "plan": plan.pk,
                    "candidates": candidates,
                    "sharing": sharing,
                    "percent": percent,
                    "groups": [g[:MAX_LINKS] for _p, g in shared[:5]],
                    "group_sizes": [len(g) for _p, g in shared],
                },
                link=_plan_link(plan.organization_id, plan.pk, plan.number),
                links=tuple(
                    Link(
                        "certify:enrolment_detail",
                        (plan.organization_id, plan.pk, e),
                        _("%(name)s 的成绩") % {"name": names.get(e, e)},
                    )
                    for e in largest[:MAX_LINKS]
                ),
                facts=(
                    (_("有成绩的考生"), candidates),
                    (_("成绩与他人完全相同的考生"), f"{sharing}（{percent}%）"),
                    (_("相同成绩组数"), len(shared)),
                    (_("最大一组人数"), len(largest)),
                    (_("最大一组的成绩"), values),
                    (
                        _("阈值"),
                        _("不少于 %(n)d 名考生且占比达到 %(p)d%%")
                        % {"n": cfg.identical_min_candidates, "p": cfg.identical_share_percent},
                    ),
                ),
                signature=f"{sharing}/{candidates}",
            )
        )
    return findings


# --- rule 5: 100% pass rate in a large plan --------------------------------------------------------
def rule_full_pass(ctx: ScanContext) -> list[Finding]:
    """Approved plans with more than ``full_pass_min_candidates`` assessed candidates (registered,
    not absent) where every one of them passed."""
    cfg = ctx.cfg
    active = Q(results__enrolment__status=Enrolment.Status.REGISTERED)
    plans = (
        AssessmentPlan.objects.filter(approved_at__isnull=False)
        .exclude(status=AssessmentPlan.Status.CANCELLED)
        .annotate(
            assessed=Count("results", filter=active & ~Q(results__outcome=Result.Outcome.ABSENT)),
            passed=Count("results", filter=active & Q(results__outcome=Result.Outcome.PASS)),
        )
        .filter(assessed__gt=cfg.full_pass_min_candidates, passed=F("assessed"))
        .order_by("pk")
    )
    return [
        Finding(
            rule=R.FULL_PASS,
            organization_id=plan.organization_id,
            target_type="certify.assessmentplan",
            target_id=str(plan.pk),
            target_repr=_("评价计划 %(n)s %(t)s") % {"n": plan.number, "t": plan.title},
            summary=_("评价计划 %(n)s：%(k)d 名参评考生全部合格") % {"n": plan.number, "k": plan.assessed},
            evidence={
                "plan": plan.pk,
                "assessed": plan.assessed,
                "passed": plan.passed,
                "threshold": cfg.full_pass_min_candidates,
            },
            link=_plan_link(plan.organization_id, plan.pk, plan.number),
            facts=(
                (_("参评考生（不含缺考）"), plan.assessed),
                (_("合格"), plan.passed),
                (_("阈值"), _("考生数超过 %(n)d 且合格率 100%%") % {"n": cfg.full_pass_min_candidates}),
            ),
            signature=f"{plan.assessed}",
        )
        for plan in plans
    ]


# --- rule 6: an assessor scoring too many candidates in a day --------------------------------------
def rule_assessor_overload(ctx: ScanContext) -> list[Finding]:
    """An assessor who scored more than ``assessor_daily_limit`` different candidates on one
    calendar day (Asia/Shanghai, by submission time), across all plans. Practical and review
    scores only: theory papers are marked quickly or by machine. Corrections add no candidate."""
    cfg = ctx.cfg
    scores = Score.objects.filter(
        submitted_at__gte=ctx.since,
        replaces__isnull=True,
        component__in=[Score.Component.PRACTICAL, Score.Component.REVIEW],
    ).annotate(day=TruncDate("submitted_at"))
    busy = list(
        scores.values("assessor_id", "day")
        .annotate(candidates=Count("enrolment_id", distinct=True))
        .filter(candidates__gt=cfg.assessor_daily_limit)
        .order_by("assessor_id", "day")
    )
    if not busy:
        return []
    keys = {(b["assessor_id"], b["day"]) for b in busy}
    per_plan: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    for row in (
        scores.filter(assessor_id__in={k[0] for k in keys})
        .values("assessor_id", "day", "plan_id")
        .annotate(candidates=Count("enrolment_id", distinct=True))
        .order_by("-candidates", "plan_id")
    ):
        if (row["assessor_id"], row["day"]) in keys:
            per_plan[(row["assessor_id"], row["day"])].append((row["plan_id"], row["candidates"]))
    users = User.objects.in_bulk(k[0] for k in keys)
    plans = AssessmentPlan.objects.in_bulk({p for rows in per_plan.values() for p, _n in rows})
    findings = []
    for b in busy:
        key = (b["assessor_id"], b["day"])
        user, day = users[b["assessor_id"]], b["day"]
        rows = per_plan[key]
        main = plans[rows[0][0]]
        findings.append(
            Finding(
                rule=R.ASSESSOR_OVERLOAD,
                organization_id=main.organization_id,
                target_type="accounts.user",
                target_id=f"{user.pk}:{day.isoformat()}",
                target_repr=_("考评员 %(name)s（%(day)s）") % {"name": user.get_full_name(), "day": day.isoformat()},
                summary=_("考评员 %(name)s 于 %(day)s 为 %(n)d 名考生评分，超过每日 %(limit)d 人")
                % {
                    "name": user.get_full_name(),
                    "day": day.isoformat(),
                    "n": b["candidates"],
                    "limit": cfg.assessor_daily_limit,
                },
                evidence={
                    "assessor": user.pk,
                    "day": day,
                    "candidates": b["candidates"],
                    "limit": cfg.assessor_daily_limit,
                    "plans": [[p, n] for p, n in rows],
                },
                link=_plan_link(main.organization_id, main.pk, main.number),
                links=tuple(_plan_link(plans[p].organization_id, p, plans[p].number) for p, _n in rows[1:MAX_LINKS]),
                facts=(
                    (_("考评员"), user.get_full_name()),
                    (_("日期"), day.isoformat()),
                    (_("评分考生数"), b["candidates"]),
                    (
                        _("涉及计划"),
                        "；".join(_("%(p)s：%(n)d 人") % {"p": plans[p].number, "n": n} for p, n in rows),
                    ),
                    (_("阈值"), _("每日不超过 %(n)d 人") % {"n": cfg.assessor_daily_limit}),
                ),
                signature=f"{b['candidates']}",
            )
        )
    return findings


# --- rule 7: 定级 share above the limit -------------------------------------------------------------
def rule_direct_share(ctx: ScanContext) -> list[Finding]:
    """Filed plans (any later status except cancelled) with at least ``direct_min_candidates``
    registered candidates, more than ``direct_share_percent`` of them on the 定级 route (a
    rejected 定级 application is not counted: that candidate is not admitted)."""
    cfg = ctx.cfg
    registered = Q(enrolments__status=Enrolment.Status.REGISTERED)
    direct = (
        registered
        & Q(enrolments__route=Enrolment.Route.DIRECT)
        & ~Q(enrolments__direct_status=Enrolment.DirectStatus.REJECTED)
    )
    plans = (
        AssessmentPlan.objects.filter(filed_at__isnull=False)
        .exclude(status=AssessmentPlan.Status.CANCELLED)
        .annotate(total=Count("enrolments", filter=registered), direct=Count("enrolments", filter=direct))
        .annotate(direct_x100=F("direct") * 100, total_x_limit=F("total") * cfg.direct_share_percent)
        .filter(total__gte=cfg.direct_min_candidates, direct__gt=0, direct_x100__gt=F("total_x_limit"))
        .order_by("pk")
    )
    findings = []
    for plan in plans:
        percent = round(plan.direct * 100 / plan.total)
        findings.append(
            Finding(
                rule=R.DIRECT_SHARE,
                organization_id=plan.organization_id,
                target_type="certify.assessmentplan",
                target_id=str(plan.pk),
                target_repr=_("评价计划 %(n)s %(t)s") % {"n": plan.number, "t": plan.title},
                summary=_("评价计划 %(n)s：%(k)d 名考生中 %(d)d 名为定级申报（%(p)d%%），超过 %(limit)d%%")
                % {
                    "n": plan.number,
                    "k": plan.total,
                    "d": plan.direct,
                    "p": percent,
                    "limit": cfg.direct_share_percent,
                },
                evidence={
                    "plan": plan.pk,
                    "candidates": plan.total,
                    "direct": plan.direct,
                    "percent": percent,
                    "limit": cfg.direct_share_percent,
                },
                link=_plan_link(plan.organization_id, plan.pk, plan.number),
                facts=(
                    (_("报名考生"), plan.total),
                    (_("定级申报"), f"{plan.direct}（{percent}%）"),
                    (
                        _("阈值"),
                        _("不少于 %(n)d 名考生且占比超过 %(p)d%%")
                        % {"n": cfg.direct_min_candidates, "p": cfg.direct_share_percent},
                    ),
                ),
                signature=f"{plan.direct}/{plan.total}",
            )
        )
    return findings


# --- rule 8: plan filed with less lead time than required ------------------------------------------
def rule_short_lead(ctx: ScanContext) -> list[Finding]:
    """Filed plans (not cancelled) whose lead time — working days after the filing day up to the
    exam date — is below ``PLAN_LEAD_WORKING_DAYS``: either as recorded at filing, or recounted
    with today's calendar (a holiday the bureau entered after the filing, e.g. next year's
    arrangement that was not yet known, can make a filing short after the fact)."""
    required = int(conf("PLAN_LEAD_WORKING_DAYS"))
    candidates = list(
        AssessmentPlan.objects.filter(filed_at__isnull=False)
        .exclude(status=AssessmentPlan.Status.CANCELLED)
        .filter(Q(filed_lead_days__isnull=True) | Q(filed_lead_days__lt=required + RECOUNT_MARGIN_DAYS))
        .order_by("pk")
    )
    if not candidates:
        return []
    starts = {plan.pk: timezone.localtime(plan.filed_at).date() for plan in candidates}
    first, last = min(starts.values()), max(max(p.exam_date for p in candidates), max(starts.values()))
    overrides = dict(CalendarDay.objects.filter(day__gte=first, day__lte=last).values_list("day", "is_working_day"))
    findings = []
    for plan in candidates:
        recount = workdays.working_days_between(starts[plan.pk], plan.exam_date, overrides=overrides)
        recorded = plan.filed_lead_days
        lead = recount if recorded is None else min(recorded, recount)
        if lead >= required:
            continue
        findings.append(
            Finding(
                rule=R.SHORT_LEAD,
                organization_id=plan.organization_id,
                target_type="certify.assessmentplan",
                target_id=str(plan.pk),
                target_repr=_("评价计划 %(n)s %(t)s") % {"n": plan.number, "t": plan.title},
                summary=_("评价计划 %(n)s 于 %(f)s 报备，距考核日期 %(d)s 仅 %(lead)d 个工作日，应不少于 %(req)d 个")
                % {
                    "n": plan.number,
                    "f": starts[plan.pk].isoformat(),
                    "d": plan.exam_date.isoformat(),
                    "lead": lead,
                    "req": required,
                },
                evidence={
                    "plan": plan.pk,
                    "filed_at": plan.filed_at,
                    "exam_date": plan.exam_date,
                    "recorded_lead": recorded,
                    "recounted_lead": recount,
                    "required": required,
                },
                link=_plan_link(plan.organization_id, plan.pk, plan.number),
                links=(Link("certify:calendar_list", (), _("节假日安排")),),
                facts=(
                    (_("报备时间"), _local_day(plan.filed_at)),
                    (_("考核日期"), plan.exam_date.isoformat()),
                    (_("报备时记录的提前工作日"), "—" if recorded is None else recorded),
                    (_("按现行节假日安排重算"), recount),
                    (_("规定"), _("至少 %(n)d 个工作日") % {"n": required}),
                ),
                signature=f"{lead}",
            )
        )
    return findings


# --- rule 9: repeated revocations ------------------------------------------------------------------
def rule_repeated_revocations(ctx: ScanContext) -> list[Finding]:
    """Organisations that revoked at least ``revocation_limit`` certificates in the last
    ``revocation_window_days`` days. One flag per organisation; a newer revocation is new evidence
    (it reopens a resolved flag), an old one leaving the window is not."""
    cfg = ctx.cfg
    start = ctx.now - dt.timedelta(days=cfg.revocation_window_days)
    revoked = Certificate.objects.filter(status=Certificate.Status.REVOKED, revoked_at__gte=start)
    heavy = list(
        revoked.values("organization_id")
        .annotate(count=Count("pk"), newest=Max("pk"))
        .filter(count__gte=cfg.revocation_limit)
        .order_by("organization_id")
    )
    if not heavy:
        return []
    orgs = Organization.objects.in_bulk(h["organization_id"] for h in heavy)
    samples: dict[int, list] = defaultdict(list)
    rows = revoked.filter(organization_id__in=list(orgs)).order_by("-revoked_at", "-pk")
    for pk, org_id, number, category in rows.values_list("pk", "organization_id", "number", "reason_category"):
        if len(samples[org_id]) < MAX_LINKS:
            samples[org_id].append((pk, number, category))
    findings = []
    for h in heavy:
        org = orgs[h["organization_id"]]
        categories: dict[str, int] = defaultdict(int)
        for _pk, _n, category in samples[org.pk]:
            categories[category] += 1
        labels = dict(Certificate.RevokeReason.choices)
        findings.append(
            Finding(
                rule=R.REPEATED_REVOCATIONS,
                organization_id=org.pk,
                target_type="accounts.organization",
                target_id=str(org.pk),
                target_repr=org.name,
                summary=_("%(org)s 近 %(days)d 天撤销证书 %(n)d 张")
                % {"org": org.name, "days": cfg.revocation_window_days, "n": h["count"]},
                evidence={
                    "organization": org.pk,
                    "revoked": h["count"],
                    "window_days": cfg.revocation_window_days,
                    "limit": cfg.revocation_limit,
                    "certificates": [pk for pk, _n, _c in samples[org.pk]],
                },
                link=Link(
                    "certify:certificate_list",
                    (org.pk,),
                    _("%(org)s 已撤销的证书") % {"org": org.name},
                    query="status=revoked",
                ),
                links=tuple(_certificate_link(org.pk, pk, n) for pk, n, _c in samples[org.pk]),
                facts=(
                    (_("期间"), _("近 %(n)d 天") % {"n": cfg.revocation_window_days}),
                    (_("撤销证书"), h["count"]),
                    (
                        _("撤销原因（最近 %(n)d 张）") % {"n": len(samples[org.pk])},
                        "；".join(f"{labels.get(c, c or '—')} {k}" for c, k in categories.items()),
                    ),
                    (_("阈值"), _("达到 %(n)d 张") % {"n": cfg.revocation_limit}),
                ),
                signature=str(h["newest"]),
            )
        )
    return findings


# --- rule 10: the same person at several organisations for the same occupation and level -------------
def rule_cross_org_duplicate(ctx: ScanContext) -> list[Finding]:
    """Registrations in open plans, since the window start, whose person is also registered for the
    same occupation and level in an open plan of another organisation, or holds that certificate from another
    organisation (重复考证 / 一人多证 across organisations). Clerks are never told what another
    organisation holds, so the bureau is: one flag per registration, naming both sides."""
    same = {"person": OuterRef("person"), "occupation": OuterRef("plan__occupation"), "level": OuterRef("plan__level")}
    elsewhere = Enrolment.objects.filter(
        person=same["person"],
        plan__occupation=same["occupation"],
        plan__level=same["level"],
        status=Enrolment.Status.REGISTERED,
    ).exclude(organization=OuterRef("organization"))
    elsewhere = elsewhere.exclude(plan__status__in=[AssessmentPlan.Status.CANCELLED, AssessmentPlan.Status.CLOSED])
    held = Certificate.objects.filter(
        person=same["person"],
        occupation=same["occupation"],
        level=same["level"],
        status__in=[Certificate.Status.VALID, Certificate.Status.SUSPENDED],
    ).exclude(organization=OuterRef("organization"))
    rows = (
        Enrolment.objects.filter(status=Enrolment.Status.REGISTERED, created_at__gte=ctx.since)
        .exclude(plan__status__in=[AssessmentPlan.Status.CANCELLED, AssessmentPlan.Status.CLOSED])
        .annotate(applying=Exists(elsewhere), holding=Exists(held))
        .filter(Q(applying=True) | Q(holding=True))
        .select_related("plan__occupation", "organization", "person")
        .order_by("pk")
    )
    findings = []
    for enrolment in rows:
        plan = enrolment.plan
        others = [f"{e.organization.name}（{e.plan.number}）" for e in _duplicates_elsewhere(enrolment)]
        others += [f"{c.organization_name}（{c.number}）" for c in _held_elsewhere(enrolment)]
        findings.append(
            Finding(
                rule=R.CROSS_ORG_DUPLICATE,
                organization_id=enrolment.organization_id,
                target_type="certify.enrolment",
                target_id=str(enrolment.pk),
                target_repr=_("%(name)s（计划 %(n)s）") % {"name": enrolment.person.name, "n": plan.number},
                summary=_("%(name)s 在%(org)s申报%(occ)s%(level)s，同时在其他机构申报或持有同职业同等级证书")
                % {
                    "name": enrolment.person.name,
                    "org": enrolment.organization.name,
                    "occ": plan.occupation.name,
                    "level": plan.level_wording,
                },
                evidence={"enrolment": enrolment.pk, "person": enrolment.person_id, "elsewhere": others},
                link=_plan_link(enrolment.organization_id, plan.pk, plan.number),
                facts=(
                    (_("本次申报"), f"{enrolment.organization.name}（{plan.number}）"),
                    (_("其他机构"), "；".join(others)),
                ),
                signature="|".join(sorted(others)),
            )
        )
    return findings


def _duplicates_elsewhere(enrolment: Enrolment) -> list[Enrolment]:
    plan = enrolment.plan
    return list(
        Enrolment.objects.filter(
            person_id=enrolment.person_id,
            plan__occupation_id=plan.occupation_id,
            plan__level=plan.level,
            status=Enrolment.Status.REGISTERED,
        )
        .exclude(organization_id=enrolment.organization_id)
        .exclude(plan__status__in=[AssessmentPlan.Status.CANCELLED, AssessmentPlan.Status.CLOSED])
        .select_related("organization", "plan")
        .order_by("pk")[:MAX_LINKS]
    )


def _held_elsewhere(enrolment: Enrolment) -> list[Certificate]:
    plan = enrolment.plan
    return list(
        Certificate.objects.filter(
            person_id=enrolment.person_id,
            occupation_id=plan.occupation_id,
            level=plan.level,
            status__in=[Certificate.Status.VALID, Certificate.Status.SUSPENDED],
        )
        .exclude(organization_id=enrolment.organization_id)
        .order_by("pk")[:MAX_LINKS]
    )


RULES: dict[str, Callable[[ScanContext], list[Finding]]] = {
    R.OUT_OF_SCOPE: rule_out_of_scope,
    R.EARLY_ISSUE: rule_early_issue,
    R.SCORE_AFTER_APPROVAL: rule_score_after_approval,
    R.IDENTICAL_SCORES: rule_identical_scores,
    R.FULL_PASS: rule_full_pass,
    R.ASSESSOR_OVERLOAD: rule_assessor_overload,
    R.DIRECT_SHARE: rule_direct_share,
    R.SHORT_LEAD: rule_short_lead,
    R.REPEATED_REVOCATIONS: rule_repeated_revocations,
    R.CROSS_ORG_DUPLICATE: rule_cross_org_duplicate,
}


# --- the scan ---------------------------------------------------------------------------------------
@dataclass
class ScanReport:
    raised: int = 0
    refreshed: int = 0
    reopened: int = 0
    unchanged: int = 0
    findings: dict[str, int] = field(default_factory=dict)


def risk_scan(*, actor: User, rules: Iterable[str] | None = None, since: dt.datetime | None = None) -> ScanReport:
    """Run the rules and keep one flag per (rule, target). Safe to run twice or concurrently: a
    finding already flagged with the same evidence changes nothing, and the unique constraint
    settles a race between two scans."""
    chosen = list(rules) if rules else list(RULES)
    unknown = set(chosen) - set(RULES)
    if unknown:
        raise ValueError(f"unknown risk rules: {sorted(unknown)}")
    now = timezone.now()
    ctx = ScanContext(cfg=risk_settings_get(), since=since or scan_window_start(now), now=now)
    report = ScanReport()
    for rule in chosen:
        findings = RULES[rule](ctx)
        report.findings[rule] = len(findings)
        _record(rule, findings, actor=actor, now=now, report=report)
    return report


def _record(rule: str, findings: list[Finding], *, actor: User, now: dt.datetime, report: ScanReport) -> None:
    if not findings:
        return
    known: dict[tuple[str, str], tuple[int, Any]] = {}
    ids = sorted({f.target_id for f in findings})
    for i in range(0, len(ids), 500):
        flags = RiskFlag.objects.filter(rule=rule, target_id__in=ids[i : i + 500])
        for pk, target_type, target_id, signature in flags.values_list(
            "pk", "target_type", "target_id", "evidence__signature"
        ):
            known[(target_type, target_id)] = (pk, signature)
    organizations = Organization.objects.in_bulk({f.organization_id for f in findings})
    for finding in findings:
        organization = organizations[finding.organization_id]
        if finding.key not in known:
            report.raised += _raise(finding, actor=actor, organization=organization, now=now)
            continue
        pk, signature = known[finding.key]
        if signature == finding.signature:
            report.unchanged += 1
            continue
        outcome = _refresh(pk, finding, actor=actor, organization=organization, now=now)
        setattr(report, outcome, getattr(report, outcome) + 1)


def _raise(finding: Finding, *, actor: User, organization: Organization, now: dt.datetime) -> int:
    with transaction.atomic():
        flag = RiskFlag(
            rule=finding.rule,
            organization=organization,
            target_type=finding.target_type,
            target_id=finding.target_id,
            target_repr=finding.target_repr[:300],
            summary=finding.summary[:300],
            evidence=finding.stored_evidence(),
            first_seen=now,
            last_seen=now,
        )
        flag._history_user = actor
        try:
            with transaction.atomic():
                flag.save()
        except IntegrityError:
            return 0  # a concurrent scan raised it first
        audit_append(
            actor=actor,
            event_type=EventType.RISK_FLAG_RAISED,
            target=flag,
            organization=organization,
            data={"rule": finding.rule, "summary": flag.summary, "signature": finding.signature},
        )
    return 1


def _refresh(pk: int, finding: Finding, *, actor: User, organization: Organization, now: dt.datetime) -> str:
    """New evidence for a known flag: an open flag takes it; a handled one is reopened with it."""
    with transaction.atomic():
        flag = RiskFlag.objects.select_for_update().get(pk=pk)
        old_signature = (flag.evidence or {}).get("signature")
        if old_signature == finding.signature:
            return "unchanged"
        old_status = flag.status
        reopened = old_status != ST.OPEN
        flag.target_repr, flag.summary = finding.target_repr[:300], finding.summary[:300]
        flag.evidence, flag.last_seen = finding.stored_evidence(), now
        if reopened:
            flag.status, flag.note, flag.handled_by, flag.handled_at = ST.OPEN, "", None, None
        flag._history_user = actor
        flag.save()
        data = {
            "rule": finding.rule,
            "summary": flag.summary,
            "changes": {"signature": [old_signature, finding.signature]},
            "refreshed": not reopened,
            "reopened": reopened,
        }
        if reopened:
            data["changes"]["status"] = [old_status, ST.OPEN]
        audit_append(
            actor=actor, event_type=EventType.RISK_FLAG_RAISED, target=flag, organization=organization, data=data
        )
    return "reopened" if reopened else "refreshed"


@shared_task(name="audit.risk.scan_risks", acks_late=True, ignore_result=True)
def scan_risks(rules: list[str] | None = None) -> None:
    """The daily job (and the 立即扫描 button): every rule, as the system actor ``system:risk``."""
    risk_scan(actor=system_actor("risk"), rules=rules)


# --- handling flags ---------------------------------------------------------------------------------
def _locked_flag(flag: RiskFlag) -> RiskFlag:
    return RiskFlag.objects.select_for_update(of=("self",)).select_related("organization").get(pk=flag.pk)


def _handle(*, actor: User, flag: RiskFlag, to: str, note: str, event_type: EventType) -> RiskFlag:
    old = flag.status
    flag.status, flag.note, flag.handled_by, flag.handled_at = to, note, actor, timezone.now()
    flag._history_user = actor
    flag._change_reason = note or None
    flag.save()
    audit_append(
        actor=actor,
        event_type=event_type,
        target=flag,
        organization=flag.organization,
        data={"rule": flag.rule, "changes": {"status": [old, to]}},
        reason=note,
    )
    return flag


@transaction.atomic
def risk_flag_acknowledge(*, actor: User, flag: RiskFlag, note: str = "") -> RiskFlag:
    """The bureau has seen the flag and is looking into it (a note is optional here)."""
    require(can_handle_risk(actor), _("只有人社局管理员可以处理风险提示"))
    flag = _locked_flag(flag)
    if flag.status != ST.OPEN:
        raise ValidationError(
            _("只有待核查的风险提示可以标记为已知悉（当前：%(s)s）") % {"s": flag.get_status_display()}
        )
    return _handle(
        actor=actor,
        flag=flag,
        to=ST.ACKNOWLEDGED,
        note=(note or "").strip(),
        event_type=EventType.RISK_FLAG_ACKNOWLEDGED,
    )


@transaction.atomic
def risk_flag_resolve(*, actor: User, flag: RiskFlag, note: str) -> RiskFlag:
    """Closed with a written account of what was checked and decided (required)."""
    require(can_handle_risk(actor), _("只有人社局管理员可以处理风险提示"))
    flag = _locked_flag(flag)
    if flag.status == ST.RESOLVED:
        raise ValidationError(_("该风险提示已处理"))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请写明核查情况和处理结果")})
    return _handle(actor=actor, flag=flag, to=ST.RESOLVED, note=note, event_type=EventType.RISK_FLAG_RESOLVED)


# --- reading ---------------------------------------------------------------------------------------
def risk_flag_list(*, rule: str = "", status: str = "", organization: Organization | None = None) -> QuerySet:
    qs = RiskFlag.objects.select_related("organization", "handled_by")
    if rule:
        qs = qs.filter(rule=rule)
    if status:
        qs = qs.filter(status=status)
    if organization is not None:
        qs = qs.filter(organization=organization)
    return qs.order_by("-last_seen", "-pk")


def risk_rule_counts() -> list[dict]:
    """Per rule: flags in each status, every rule listed even without flags."""
    counts = {
        row["rule"]: row
        for row in RiskFlag.objects.values("rule").annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(status=ST.OPEN)),
            acknowledged=Count("pk", filter=Q(status=ST.ACKNOWLEDGED)),
            resolved=Count("pk", filter=Q(status=ST.RESOLVED)),
        )
    }
    empty = {"total": 0, "open": 0, "acknowledged": 0, "resolved": 0}
    return [
        {"rule": value, "label": label, **{k: counts.get(value, empty)[k] for k in empty}} for value, label in R.choices
    ]


def flag_links(flag: RiskFlag) -> list[dict]:
    """The evidence pages of a flag as (label, url); a page that no longer resolves is left out."""
    evidence = flag.evidence or {}
    found = []
    for item in [evidence.get("link"), *(evidence.get("links") or [])]:
        if not item:
            continue
        try:
            url = reverse(item["name"], args=item.get("args") or [])
        except (NoReverseMatch, KeyError):
            continue
        found.append({"label": item.get("label") or url, "url": f"{url}?{item['query']}" if item.get("query") else url})
    return found


def flag_events(flag: RiskFlag) -> QuerySet:
    from audit.models import AuditEvent

    return AuditEvent.objects.filter(target_type=RiskFlag._meta.label_lower, target_id=str(flag.pk)).order_by("seq")


def risk_flag_export(*, actor: User, flags: QuerySet, filters: dict) -> bytes:
    """The list as a workbook; the export itself is an audited console event."""
    from certify.excel import write_table

    require(can_view_risk(actor), _("此页面仅供人社局工作人员使用"))

    def local(moment):
        return timezone.localtime(moment).replace(tzinfo=None) if moment else None

    rows = [
        [
            f.pk,
            f.get_rule_display(),
            f.organization.name,
            f.target_repr,
            f.summary,
            f.get_status_display(),
            local(f.first_seen),
            local(f.last_seen),
            f.note,
            f.handled_by.get_full_name() if f.handled_by_id else "",
            local(f.handled_at),
        ]
        for f in flags
    ]
    headers = [
        _("编号"),
        _("规则"),
        _("评价机构"),
        _("对象"),
        _("摘要"),
        _("状态"),
        _("首次发现"),
        _("最近发现"),
        _("处理说明"),
        _("处理人"),
        _("处理时间"),
    ]
    data = write_table(sheets=[(_("风险提示"), headers, rows)])
    with transaction.atomic():
        audit_append(
            actor=actor,
            event_type=EventType.CONSOLE_EXPORTED,
            target=("audit.riskflag", "list", _("风险提示列表")),
            data={"what": "risk_flags", "filters": filters, "rows": len(rows)},
        )
    return data
