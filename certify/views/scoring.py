"""The assessor's score sheet, corrections, and score-sheet import."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import require
from certify import selectors
from certify.actions import Act
from certify.forms import CorrectionForm
from certify.models import Enrolment, Score
from certify.services import imports
from certify.services import scoring as services
from certify.views.plans import plan_context, refused_unless_available, require_permitted
from certify.views.uploads import run_import
from lib.web import error_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COMPONENT_OF = {v: k for k, v in services.DUTY_FOR.items()}


def _columns(plan, user) -> list[tuple[str, str, str]]:
    """(component, sub-score, heading) the user scores in this plan."""
    cfg = plan.standard_level
    columns = []
    for duty in selectors.scorer_duties(plan, user):
        component = COMPONENT_OF[duty]
        if component not in cfg.components():
            continue
        label = str(Score.Component(component).label)
        if component == Score.Component.REVIEW and cfg.review_subscores:
            columns += [(component, s["name"], f"{label}·{s['name']}") for s in cfg.review_subscores]
        else:
            columns.append((component, "", label))
    return columns


@require_GET
@login_required
def score_sheet(request, org_id: int, plan_id: int):
    org, plan = plan_context(request, org_id, plan_id)
    require_permitted(request, plan, Act.SCORE)
    columns = _columns(plan, request.user)
    recused = selectors.scorer_recusals(plan, request.user)
    mine = selectors.scorer_current_scores(plan, request.user)
    rows = []
    for enrolment in selectors.plan_enrolments(plan).filter(status=Enrolment.Status.REGISTERED):
        cells = [{"column": c, "score": mine.get((enrolment.pk, c[0], c[1]))} for c in columns]
        rows.append({"enrolment": enrolment, "recused": enrolment.pk in recused, "cells": cells})
    return render(
        request,
        "certify/score_sheet.html",
        {
            "org": org,
            "plan": plan,
            "columns": columns,
            "rows": rows,
            "outcomes": Score.Outcome.choices,
            "scoring": selectors.plan_action(plan, request.user, Act.SCORE),
            "correcting": selectors.plan_action(plan, request.user, Act.CORRECT_SCORE),
        },
    )


@require_POST
@login_required
def score_submit(request, org_id: int, plan_id: int, enrolment_id: int):
    """One candidate's row of the sheet: every filled cell is submitted, all or none."""
    org, plan = plan_context(request, org_id, plan_id)
    require_permitted(request, plan, Act.SCORE)
    enrolment = selectors.enrolment_get(plan, enrolment_id)
    submitted = 0
    try:
        with transaction.atomic():
            for component, subscore, _heading in _columns(plan, request.user):
                key = f"{component}:{subscore}"
                value = request.POST.get(f"value_{key}", "").strip()
                outcome = request.POST.get(f"outcome_{key}", Score.Outcome.SCORED)
                if not value and outcome == Score.Outcome.SCORED:
                    continue
                services.score_submit(
                    actor=request.user,
                    enrolment=enrolment,
                    component=component,
                    subscore=subscore,
                    value=value or None,
                    outcome=outcome,
                )
                submitted += 1
    except ValidationError as exc:
        messages.error(request, f"{enrolment.person.name}：{error_text(exc)}")
    else:
        if submitted:
            messages.success(
                request,
                _("已提交 %(name)s 的 %(n)d 项成绩，提交后不能修改。")
                % {"name": enrolment.person.name, "n": submitted},
            )
        else:
            messages.warning(request, _("没有填写成绩。"))
    return redirect("certify:score_sheet", org_id=org.pk, plan_id=plan.pk)


@require_http_methods(["GET", "POST"])
@login_required
def score_correct(request, org_id: int, plan_id: int, score_id: int):
    org, plan = plan_context(request, org_id, plan_id)
    score = selectors.plan_score_get(plan, score_id)
    require(score.assessor_id == request.user.pk, _("只能由原评分的考评员更正自己的成绩"))
    refused = refused_unless_available(request, plan, Act.CORRECT_SCORE)
    if refused is not None:
        return refused
    objections = selectors.plan_open_objections(plan)
    form = CorrectionForm(request.POST or None, initial={"value": score.value, "outcome": score.outcome})
    if request.method == "POST" and form.is_valid():
        objection = objections.filter(pk=form.cleaned_data.get("objection") or 0).first()
        try:
            services.score_correct(
                actor=request.user,
                score=score,
                value=form.cleaned_data["value"] or None,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
                objection=objection,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("已提交更正，原成绩保留在记录中。"))
            return redirect("certify:score_sheet", org_id=org.pk, plan_id=plan.pk)
    return render(
        request,
        "certify/score_correct.html",
        {"org": org, "plan": plan, "score": score, "form": form, "objections": objections},
    )


@require_http_methods(["GET", "POST"])
@login_required
def scores_import(request, org_id: int, plan_id: int):
    org, plan = plan_context(request, org_id, plan_id)
    refused = refused_unless_available(request, plan, Act.SCORE)
    if refused is not None:
        return refused
    form, result, errors = run_import(request, imports.scores_import, plan=plan)
    if result is not None:
        messages.success(request, _("已导入 %(n)d 项成绩。") % {"n": result.created})
        return redirect("certify:score_sheet", org_id=org.pk, plan_id=plan.pk)
    return render(
        request,
        "certify/scores_import.html",
        {"org": org, "plan": plan, "form": form, "errors": errors},
        status=400 if errors else 200,
    )


@require_GET
@login_required
def scores_template(request, org_id: int, plan_id: int):
    _org, plan = plan_context(request, org_id, plan_id)
    require_permitted(request, plan, Act.SCORE)
    response = HttpResponse(imports.scores_template(plan, assessor=request.user), content_type=XLSX)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''score-sheet.xlsx"
    return response
