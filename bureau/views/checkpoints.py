"""The bureau's checkpoint page and the download of every checkpoint as JSON Lines.

Only the bureau's admins and auditors; every download is written to the audit trail.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import require
from audit.checkpoints import CONTENT_TYPE, audit_public_keys, checkpoint_signature_ok, checkpoints_export
from audit.keys import audit_keyring
from audit.models import AuditCheckpoint
from audit.verify import chain_status
from bureau import chaincheck
from bureau.permissions import can_download_checkpoints, can_start_chain_check
from lib.web import paginate


def _require_bureau(user) -> None:
    require(can_download_checkpoints(user), _("审计检查点仅供人社局管理员和审计员查看和下载"))


@require_GET
@login_required
def checkpoint_list(request):
    _require_bureau(request.user)
    page = paginate(request, AuditCheckpoint.objects.order_by("-seq"), per_page=50)
    keys = audit_public_keys()
    for checkpoint in page:
        checkpoint.signature_ok = checkpoint_signature_ok(checkpoint, keys=keys)
    return render(
        request,
        "bureau/checkpoints.html",
        {
            "page": page,
            "status": chain_status(),
            "keys": _keys_for_display(),
            "can_check": can_start_chain_check(request.user),
            "check": _progress(),
        },
    )


_STATE_LABELS = {
    "idle": gettext_lazy("未在校验"),
    "queued": gettext_lazy("已提交，等待后台开始校验"),
    "running": gettext_lazy("正在逐条校验审计记录"),
    "finished": gettext_lazy("校验已完成"),
    "failed": gettext_lazy("校验未能完成，请稍后重试或通知系统管理员"),
}


def _progress() -> dict:
    progress = chaincheck.chain_check_progress()
    state = progress.get("state", "idle")
    return {
        "state": state,
        "state_label": str(_STATE_LABELS.get(state, state)),
        "done": progress.get("done", 0),
        "total": progress.get("total", 0),
        "running": state in ("queued", "running"),
    }


STARTED = gettext_lazy("已开始完整校验，进度显示在下方；校验完成后，审计链提示会写明本次校验的时间和结果。")


@require_POST
@login_required
def chain_check_start(request):
    """立即完整校验: the bureau admin starts the full verification in the background."""
    try:
        chaincheck.chain_check_start(actor=request.user)
    except ValidationError as refused:
        messages.error(request, refused.messages[0])
    else:
        messages.success(request, STARTED)
    return redirect("bureau:checkpoint_list")


@require_GET
@login_required
def chain_check_progress(request):
    """The progress the checkpoint page polls (bureau readers)."""
    _require_bureau(request.user)
    return JsonResponse(_progress(), headers={"Cache-Control": "no-store"})


def _keys_for_display() -> list[dict]:
    # The manifest keeps UTC text; pages show Asia/Shanghai time like every other date.
    return [{**key, "created": parse_datetime(key["created_at"])} for key in audit_keyring().public_keys()]


@require_GET
@login_required
def checkpoint_download(request):
    _require_bureau(request.user)
    filename, lines = checkpoints_export(actor=request.user)
    response = StreamingHttpResponse((line.encode("utf-8") for line in lines), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
