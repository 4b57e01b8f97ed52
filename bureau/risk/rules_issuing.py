"""Risk rules on issuing: outside the filed scope or under a lapsed filing (1), before publicity
ended or with an objection open (2)."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q
from django.utils.translation import gettext as _

from bureau.risk.findings import (
    MAX_LINKS,
    Finding,
    Link,
    R,
    ScanContext,
    _certificate_link,
    _local_day,
    _plan_link,
)
from certify.models import (
    AssessmentPlan,
    Certificate,
    Filing,
    FilingScope,
    Objection,
)


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
