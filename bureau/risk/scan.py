"""The scan: every rule's findings become flags, once per target; re-raised only on new evidence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization, User
from audit.events import EventType
from audit.history import save_tracked
from audit.models import RiskFlag
from audit.services import audit_append
from bureau.risk.findings import (
    ST,
    Finding,
    R,
    ScanContext,
    scan_window_start,
)
from bureau.risk.rules_deadlines import rule_late_publicity
from bureau.risk.rules_issuing import rule_early_issue, rule_out_of_scope
from bureau.risk.rules_plans import (
    rule_cross_org_duplicate,
    rule_direct_share,
    rule_repeated_revocations,
    rule_short_lead,
)
from bureau.risk.rules_scores import (
    rule_assessor_overload,
    rule_full_pass,
    rule_identical_scores,
    rule_score_after_approval,
)
from bureau.risk.thresholds import risk_settings_get

RULES: dict[str, Callable[[ScanContext], list[Finding]]] = {
    R.OUT_OF_SCOPE: rule_out_of_scope,
    R.EARLY_ISSUE: rule_early_issue,
    R.SCORE_AFTER_APPROVAL: rule_score_after_approval,
    R.IDENTICAL_SCORES: rule_identical_scores,
    R.FULL_PASS: rule_full_pass,
    R.ASSESSOR_OVERLOAD: rule_assessor_overload,
    R.DIRECT_SHARE: rule_direct_share,
    R.SHORT_LEAD: rule_short_lead,
    R.LATE_PUBLICITY: rule_late_publicity,
    R.REPEATED_REVOCATIONS: rule_repeated_revocations,
    R.CROSS_ORG_DUPLICATE: rule_cross_org_duplicate,
}


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
        try:
            with transaction.atomic():
                save_tracked(flag, actor=actor)
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
        save_tracked(flag, actor=actor)
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
