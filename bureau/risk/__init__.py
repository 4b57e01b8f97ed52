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

from bureau.risk.export import risk_flag_export
from bureau.risk.findings import Finding, Link, ScanContext, scan_window_start
from bureau.risk.flags import risk_flag_acknowledge, risk_flag_resolve
from bureau.risk.scan import RULES, ScanReport, risk_scan
from bureau.risk.selectors import flag_events, flag_links, risk_flag_get, risk_flag_list, risk_rule_counts
from bureau.risk.thresholds import THRESHOLDS, risk_settings_get, risk_settings_update

__all__ = [
    "RULES",
    "THRESHOLDS",
    "Finding",
    "Link",
    "ScanContext",
    "ScanReport",
    "flag_events",
    "flag_links",
    "risk_flag_acknowledge",
    "risk_flag_export",
    "risk_flag_get",
    "risk_flag_list",
    "risk_flag_resolve",
    "risk_rule_counts",
    "risk_scan",
    "risk_settings_get",
    "risk_settings_update",
    "scan_window_start",
]
