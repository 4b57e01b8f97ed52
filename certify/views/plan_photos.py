"""Photos up front on the plan page: a photo column and a "缺照片" filter in the candidate list,
and a line in the checklist before filing (a photo is needed only at issuance, so it does not
block filing — but it is said now, not discovered then)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from certify.models import AssessmentPlan, Enrolment

MISSING = "missing"


def photo_context(request, plan: AssessmentPlan, enrolments: list[Enrolment]) -> dict:
    """``enrolments`` (all of the plan's, loaded once) → the list to show, the count missing a
    photo, whether the filter is on, and the checklist line (before filing only)."""
    missing = [e for e in enrolments if e.status == Enrolment.Status.REGISTERED and not e.photo]
    only_missing = request.GET.get("photo") == MISSING
    line = None
    if plan.status == AssessmentPlan.Status.DRAFT and any(e.status == Enrolment.Status.REGISTERED for e in enrolments):
        if missing:
            text = ngettext(
                "尚有 %(n)d 名考生缺证件照：发证时需要，建议报备前补齐",
                "尚有 %(n)d 名考生缺证件照：发证时需要，建议报备前补齐",
                len(missing),
            ) % {"n": len(missing)}
        else:
            text = _("考生证件照已齐（发证时需要）")
        line = {"ok": not missing, "text": text}
    return {
        "enrolments": missing if only_missing else enrolments,
        "missing_photo_count": len(missing),
        "only_missing_photo": only_missing,
        "photo_check": line,
    }
