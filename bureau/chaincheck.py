"""The 立即完整校验 button: a bureau admin starts the full audit verification as a background job.

One at a time: a cache lock is taken when the job is requested and released when it ends (or after
``LOCK_SECONDS`` if a worker died). Progress (events checked / chain length) lives in the cache
where the page polls it; the outcome is recorded by ``verify_all`` itself, in the same place as the
nightly run, so the chain banner then says when this check ran and what it found.
"""

from __future__ import annotations

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.permissions import require
from audit.events import EventType
from audit.models import ChainHead
from audit.services import audit_append
from audit.verify import verify_all
from bureau import dispatch
from bureau.permissions import can_start_chain_check

LOCK_KEY = "bureau:chain-check:running"
PROGRESS_KEY = "bureau:chain-check:progress"
LOCK_SECONDS = 6 * 3600
CHAIN_CHECK_REFUSED = gettext_lazy("只有人社局管理员可以立即进行完整校验")
ALREADY_RUNNING = gettext_lazy("完整校验正在进行中，请等它完成后再试")


def chain_check_start(*, actor: User) -> None:
    """Request a full check now; refused while one is queued or running."""
    require(can_start_chain_check(actor), str(CHAIN_CHECK_REFUSED))
    head = ChainHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    if not cache.add(LOCK_KEY, timezone.now().isoformat(), timeout=LOCK_SECONDS):
        raise ValidationError(str(ALREADY_RUNNING), code="running")
    _save(state="queued", done=0, total=head)
    try:
        with transaction.atomic():
            audit_append(
                actor=actor,
                event_type=EventType.AUDIT_CHAIN_CHECK_REQUESTED,
                target=("audit.chain", "chain", _("审计链")),
                data={"records": head},
            )
            dispatch.check_chain(on_failure=_release)
    except Exception:
        _release()
        raise


def _release() -> None:
    cache.delete(LOCK_KEY)
    _save(state="failed", done=0, total=0)


def chain_check_run() -> None:
    """The job: the full verification with progress; the lock is released whatever happens."""
    try:
        _save(state="running", done=0, total=chain_check_progress().get("total", 0))
        report = verify_all(progress=lambda done, total: _save(state="running", done=done, total=total))
        _save(
            state="finished",
            done=report.events,
            total=max(report.events, chain_check_progress().get("total", 0)),
            ok=report.ok,
        )
    except Exception:
        _save(state="failed", done=0, total=0)
        raise
    finally:
        cache.delete(LOCK_KEY)


def chain_check_running() -> bool:
    return cache.get(LOCK_KEY) is not None


def chain_check_progress() -> dict:
    """What the page shows: state (idle, queued, running, finished, failed), done, total."""
    progress = cache.get(PROGRESS_KEY) or {"state": "idle", "done": 0, "total": 0}
    if progress["state"] in ("queued", "running") and not chain_check_running():
        progress = {**progress, "state": "failed"}  # the lock expired: the worker is gone
    return progress


def _save(**progress) -> None:
    cache.set(PROGRESS_KEY, progress, timeout=LOCK_SECONDS)
