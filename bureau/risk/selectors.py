"""Reading flags: the filtered list, counts per rule, a flag's evidence links and events."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse

from accounts.models import Organization
from audit.models import RiskFlag
from bureau.risk.findings import ST, R


def risk_flag_list(*, rule: str = "", status: str = "", organization: Organization | None = None) -> QuerySet:
    qs = RiskFlag.objects.select_related("organization", "handled_by")
    if rule:
        qs = qs.filter(rule=rule)
    if status:
        qs = qs.filter(status=status)
    if organization is not None:
        qs = qs.filter(organization=organization)
    return qs.order_by("-last_seen", "-pk")


def risk_flag_get(pk: int) -> RiskFlag:
    """One flag with what its page shows (any organisation's: the bureau reads them all)."""
    return get_object_or_404(RiskFlag.objects.select_related("organization", "handled_by"), pk=pk)


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
