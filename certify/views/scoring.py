"""The assessor's score sheet, corrections, and score-sheet import."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import require
from certify import selectors
from certify.actions import Act
from certify.forms import CorrectionForm
from certify.forms.score_sheet import ScoreSheetForm
from certify.models import Enrolment, Score
from certify.services import imports
from certify.services import score_drafts as drafts
from certify.services import scoring as services
from certify.views.plans import plan_context, refused_unless_available, require_permitted
from certify.views.uploads import run_import
from lib.web import apply_service_errors, error_text

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


class Sheet:
    """The user's sheet of a plan: columns, candidates, recusals, submitted scores, the form."""

    def __init__(self, plan, user, data=None):
        self.columns = _columns(plan, user)
        self.recused = selectors.scorer_recusals(plan, user)
        self.mine = selectors.scorer_current_scores(plan, user)
        self.enrolments = list(selectors.plan_enrolments(plan).filter(status=Enrolment.Status.REGISTERED))
        self.form = ScoreSheetForm(
            data,
            rows=[e for e in self.enrolments if e.pk not in self.recused],
            columns=self.columns,
            locked=set(self.mine),
            draft=selectors.scorer_draft(plan, user) if data is None else None,
        )

    def rows(self) -> list[dict]:
        form, rows = self.form, []
        for e in self.enrolments:
            if e.pk in self.recused:
                rows.append({"enrolment": e, "recused": True})
                continue
            cells = []
            for i, (component, subscore, heading) in enumerate(self.columns):
                cell = form.by_row[e.pk][i]
                cells.append(
                    {
                        "heading": heading,
                        "score": self.mine.get((e.pk, component, subscore)),
                        "value": form[cell.value_name] if cell else None,
                        "outcome": form[cell.outcome_name] if cell else None,
                    }
                )
            pick = form[f"pick_{e.pk}"] if f"pick_{e.pk}" in form.fields else None
            rows.append({"enrolment": e, "cells": cells, "pick": pick})
        return rows


def _render_sheet(request, org, plan, sheet: Sheet, status: int = 200):
    return render(
        request,
        "certify/score_sheet.html",
        {
            "org": org,
            "plan": plan,
            "columns": sheet.columns,
            "rows": sheet.rows(),
            "form": sheet.form,
            "error_count": sum(len(v) for k, v in sheet.form.errors.items() if k != "__all__")
            if sheet.form.is_bound
            else 0,
            "scoring": selectors.plan_action(plan, request.user, Act.SCORE),
            "correcting": selectors.plan_action(plan, request.user, Act.CORRECT_SCORE),
        },
        status=status,
    )


def _render_confirmation(request, org, plan, sheet: Sheet):
    return render(
        request,
        "certify/score_confirm.html",
        {"org": org, "plan": plan, "rows": sheet.form.confirmation_rows(), "columns": sheet.columns},
    )


@require_http_methods(["GET", "POST"])
@login_required
def score_sheet(request, org_id: int, plan_id: int):
    """The whole sheet in one form. 保存草稿 (also what Enter does) keeps every typed value on the
    server, valid or not, and marks what to fix at its cell; 核对并提交 shows the ticked rows for
    confirmation. Nothing is submitted from here."""
    org, plan = plan_context(request, org_id, plan_id)
    require_permitted(request, plan, Act.SCORE)
    if request.method == "GET":
        return _render_sheet(request, org, plan, Sheet(plan, request.user))
    refused = refused_unless_available(request, plan, Act.SCORE)
    if refused is not None:
        return refused
    sheet = Sheet(plan, request.user, request.POST)
    form = sheet.form
    valid = form.is_valid()
    try:
        drafts.score_draft_save(actor=request.user, plan=plan, values=form.draft_values())
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return _render_sheet(request, org, plan, sheet, status=400)
    if request.POST.get("action") == "review":
        if form.check_picked():
            return _render_confirmation(request, org, plan, sheet)
        messages.warning(request, _("草稿已保存，尚未提交。请按标红处的提示改正后再提交。"))
        return _render_sheet(request, org, plan, sheet)
    if not valid:
        messages.warning(request, _("草稿已保存，尚未提交。请改正标红的格子。"))
        return _render_sheet(request, org, plan, sheet)
    messages.success(request, _("已保存草稿，尚未提交。勾选考生后点“核对并提交”才会提交。"))
    return redirect("certify:score_sheet", org_id=org.pk, plan_id=plan.pk)


@require_POST
@login_required
def score_sheet_submit(request, org_id: int, plan_id: int):
    """The confirmed rows, submitted in one go (all or none). Without the confirmation's own
    field this shows the confirmation instead: submitting is never one click away by accident."""
    org, plan = plan_context(request, org_id, plan_id)
    require_permitted(request, plan, Act.SCORE)
    sheet = Sheet(plan, request.user, request.POST)
    if not (sheet.form.is_valid() and sheet.form.check_picked()):
        return _render_sheet(request, org, plan, sheet)
    if request.POST.get("confirm") != "yes":
        return _render_confirmation(request, org, plan, sheet)
    cells = sheet.form.submission()
    try:
        drafts.score_sheet_submit(actor=request.user, plan=plan, cells=cells)
    except ValidationError as exc:
        messages.error(request, _("没有提交任何成绩：%(e)s") % {"e": error_text(exc)})
    else:
        names = "、".join(e.person.name for e in sheet.form.picked())
        messages.success(
            request,
            _("已提交 %(names)s 的 %(n)d 项成绩。提交后不能修改，如有错误请点“更正”并写明原因。")
            % {"names": names, "n": len(cells)},
        )
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
            apply_service_errors(form, exc)
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
        messages.success(
            request, ngettext("已导入 %(n)d 项成绩。", "已导入 %(n)d 项成绩。", result.created) % {"n": result.created}
        )
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
