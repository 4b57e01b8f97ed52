"""Celery tasks of the bureau's oversight. Safe to run twice."""

from celery import shared_task

from audit.actors import system_actor
from bureau.chaincheck import chain_check_run
from bureau.risk.scan import risk_scan


@shared_task(acks_late=True, ignore_result=True)
def scan_risks(rules: list[str] | None = None) -> None:
    """The daily job (and the 立即扫描 button): every rule, as the system actor ``system:risk``."""
    risk_scan(actor=system_actor("risk"), rules=rules)


@shared_task(acks_late=False, ignore_result=True)
def check_chain() -> None:
    """The 立即完整校验 button: the full audit verification with progress (bureau.chaincheck).
    Not acks_late: a redelivered run would find the lock released and the result already recorded."""
    chain_check_run()
