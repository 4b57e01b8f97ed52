"""Celery tasks of the bureau's oversight. Safe to run twice."""

from celery import shared_task

from audit.actors import system_actor
from bureau.risk.scan import risk_scan


@shared_task(acks_late=True, ignore_result=True)
def scan_risks(rules: list[str] | None = None) -> None:
    """The daily job (and the 立即扫描 button): every rule, as the system actor ``system:risk``."""
    risk_scan(actor=system_actor("risk"), rules=rules)
