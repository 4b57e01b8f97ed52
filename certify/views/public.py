"""Pages anyone can open without signing in. Personal data is masked; nothing is cached."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from certify import selectors
from certify.models import Enrolment, Result
from lib.identifiers import mask_name


@require_GET
@never_cache
def publicity_page(request, number: str):
    plan = selectors.public_plan(number)
    results = (
        Result.objects.filter(plan=plan, enrolment__status=Enrolment.Status.REGISTERED)
        .select_related("enrolment__person")
        .order_by("enrolment_id")
    )
    rows = [
        {
            "name": mask_name(r.enrolment.person.name),
            "id_number": r.enrolment.person.id_number_masked,
            "outcome": r.get_outcome_display(),
            "passed": r.outcome == Result.Outcome.PASS,
        }
        for r in results
    ]
    today = timezone.localdate()
    return render(
        request,
        "certify/publicity_public.html",
        {"plan": plan, "rows": rows, "ended": plan.publicity_end < today, "today": today},
    )
