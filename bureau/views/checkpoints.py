"""The bureau's checkpoint page and the download of every checkpoint as JSON Lines.

Only the bureau's admins and auditors; every download is written to the audit trail.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import require
from audit.checkpoints import CONTENT_TYPE, audit_public_keys, checkpoint_signature_ok, checkpoints_export
from audit.keys import audit_keyring
from audit.models import AuditCheckpoint
from audit.verify import chain_status
from bureau.permissions import can_download_checkpoints
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
        {"page": page, "status": chain_status(), "keys": _keys_for_display()},
    )


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
