"""What a risk rule returns: findings with their evidence and links, the scan's window."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import RiskFlag, RiskSettings
from lib.chain import jsonable

R = RiskFlag.Rule

ST = RiskFlag.Status


# A holiday the bureau enters after a plan was filed removes at most one working day per day, and
# no official holiday period is longer than 9 days: plans filed with more lead than this cannot
# fall short on a recount, so only the others are recounted.
RECOUNT_MARGIN_DAYS = 10

MAX_LINKS = 20


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
    days = settings.SKILLCERT_RISK_WINDOW_DAYS
    start = timezone.localtime(now or timezone.now()).date() - dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(start, dt.time.min))


def _local_day(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _plan_link(org_id: int, plan_id: int, number: str) -> Link:
    return Link("certify:plan_detail", (org_id, plan_id), _("评价计划 %(n)s") % {"n": number})


def _certificate_link(org_id: int, certificate_id: int, number: str) -> Link:
    return Link("certify:certificate_detail", (org_id, certificate_id), _("证书 %(n)s") % {"n": number})
