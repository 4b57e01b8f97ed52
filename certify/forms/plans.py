"""Forms of the plan workflow: plans, panels, candidates, scores, publicity, supervision."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import BureauRole, Role
from certify.models import AssessmentPlan, Enrolment, Person, PlanAssessor, RecusalRelation, Score, StandardVersion
from certify.services.enrolments import CandidateInput, PriorInput
from lib.eligibility import CertificateKind, Diploma
from lib.levels import level_choices

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YES_NO = [("1", _("是")), ("0", _("否"))]


class VersionLevelField(forms.ChoiceField):
    """One choice per (published standard version, level) of the organisation."""

    def __init__(self, organization, **kwargs):
        versions = StandardVersion.objects.filter(
            standard__organization=organization, status=StandardVersion.Status.PUBLISHED
        ).prefetch_related("levels")
        choices = [("", "—")]
        for version in versions:
            for level in version.levels.order_by("-level"):
                choices.append(
                    (
                        f"{version.pk}:{level.level}",
                        _("%(title)s（第 %(v)s 版）· %(level)s")
                        % {"title": version.title, "v": version.version, "level": level.level_label},
                    )
                )
        super().__init__(choices=choices, label=_("评价规范与等级"), **kwargs)
        self.help_text = _("只能选择本机构已发布的评价规范")


class PlanCreateForm(forms.Form):
    title = forms.CharField(
        label=_("计划名称"), max_length=200, required=False, help_text=_("不填时按职业和等级自动命名")
    )
    exam_date = forms.DateField(label=_("考核日期"), widget=DATE)
    exam_end_date = forms.DateField(label=_("考核结束日期"), widget=DATE, required=False)
    venue = forms.CharField(label=_("考核地点"), max_length=200)
    theory_rooms = forms.IntegerField(label=_("理论考场数"), min_value=1, initial=1)
    allow_direct_grading = forms.BooleanField(label=_("接受定级申报"), required=False)
    contact = forms.CharField(
        label=_("异议受理联系方式"), max_length=100, required=False, help_text=_("公示页面上显示")
    )
    internal_supervisor = forms.CharField(label=_("内部质量督导员"), max_length=60, required=False)
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, organization=None, with_standard: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_standard:
            self.fields = {"standard": VersionLevelField(organization), **self.fields}

    def clean_standard(self):
        value = self.cleaned_data["standard"]
        version_id, _sep, level = value.partition(":")
        version = StandardVersion.objects.filter(pk=version_id).first()
        if version is None:
            raise forms.ValidationError(_("请选择评价规范"))
        return version, int(level)

    @classmethod
    def for_plan(cls, plan: AssessmentPlan, data=None):
        fields = (
            "title",
            "exam_date",
            "exam_end_date",
            "venue",
            "theory_rooms",
            "allow_direct_grading",
            "contact",
            "internal_supervisor",
            "notes",
        )
        return cls(data, initial={f: getattr(plan, f) for f in fields}, with_standard=False)


class AssessorAddForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label=_("考评员"))
    duty = forms.ChoiceField(label=_("职责"), choices=PlanAssessor.Duty.choices)
    grade = forms.ChoiceField(label=_("考评资格"), choices=PlanAssessor.Grade.choices)
    qualification_no = forms.CharField(label=_("考评员证书编号"), max_length=60, required=False)

    def __init__(self, *args, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(
            memberships__organization=organization, memberships__role=Role.ASSESSOR
        ).order_by("username")
        self.fields["user"].label_from_instance = lambda u: str(u)


class RecusalForm(forms.Form):
    """One relation select per candidate; empty means no relation."""

    statement = forms.CharField(label=_("补充说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(label=_("本人承诺以上声明真实、完整；与考生存在需回避关系的，不参与其评分。"))

    def __init__(self, *args, enrolments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.enrolments = list(enrolments)
        choices = [("", _("无")), *list(RecusalRelation.Relation.choices)]
        for enrolment in self.enrolments:
            self.fields[f"rel_{enrolment.pk}"] = forms.ChoiceField(
                label=f"{enrolment.person.name}（{enrolment.person.id_number_masked}）", choices=choices, required=False
            )

    def relations(self) -> list[tuple]:
        return [
            (e, self.cleaned_data[f"rel_{e.pk}"], "") for e in self.enrolments if self.cleaned_data.get(f"rel_{e.pk}")
        ]


class EnrolmentForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=60)
    id_type = forms.ChoiceField(label=_("证件类型"), choices=Person.IdType.choices, initial=Person.IdType.RESIDENT)
    id_number = forms.CharField(label=_("证件号码"), max_length=40)
    employee_number = forms.CharField(label=_("工号"), max_length=40, required=False)
    hire_date = forms.DateField(label=_("入职日期"), widget=DATE, required=False)
    dispatched = forms.BooleanField(label=_("劳务派遣人员"), required=False)
    phone = forms.CharField(label=_("手机号码"), max_length=20, required=False)
    years_in_occupation = forms.DecimalField(
        label=_("从事本职业年限（年）"), min_value=Decimal("0"), max_value=Decimal("60"), decimal_places=1, max_digits=4
    )
    education = forms.ChoiceField(
        label=_("文化程度"), choices=[("", "—"), *Enrolment.Education.choices], required=False
    )
    diploma = forms.ChoiceField(label=_("职业院校毕业证书"), choices=[("", _("无")), *Diploma.choices], required=False)
    diploma_in_field = forms.BooleanField(label=_("本专业或相关专业"), required=False, initial=True)
    final_year_student = forms.BooleanField(label=_("在校应届毕业生"), required=False)
    apprenticeship_completed = forms.BooleanField(label=_("学徒期满"), required=False)
    prior_level = forms.TypedChoiceField(
        label=_("已有证书等级"), coerce=int, empty_value=None, required=False, choices=[("", _("无")), *level_choices()]
    )
    prior_kind = forms.ChoiceField(label=_("已有证书类型"), choices=CertificateKind.choices, required=False)
    prior_number = forms.CharField(label=_("已有证书编号"), max_length=40, required=False)
    prior_obtained_on = forms.DateField(label=_("已有证书取得日期"), widget=DATE, required=False)
    photo = forms.FileField(
        label=_("证件照"),
        required=False,
        help_text=_("白底正面免冠彩色照片，JPG 或 PNG，不超过 5 MB；发证时需要，可以以后再传"),
    )
    route = forms.ChoiceField(label=_("申报方式"), choices=Enrolment.Route.choices, initial=Enrolment.Route.PROMOTION)
    direct_justification = forms.CharField(
        label=_("定级申报说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("仅定级申报填写：该员工的技能水平、工作业绩等，须由第二人审批"),
    )

    def clean(self):
        data = super().clean()
        if data.get("prior_level") and not data.get("prior_obtained_on"):
            self.add_error("prior_obtained_on", _("请填写已有证书的取得日期"))
        if data.get("prior_obtained_on") and not data.get("prior_level"):
            self.add_error("prior_level", _("请选择已有证书的等级"))
        return data

    def candidate(self) -> CandidateInput:
        d = self.cleaned_data
        prior = []
        if d.get("prior_level"):
            prior.append(
                PriorInput(
                    level=d["prior_level"],
                    obtained_on=d["prior_obtained_on"],
                    kind=d.get("prior_kind") or CertificateKind.SKILL_LEVEL,
                    number=d.get("prior_number", ""),
                )
            )
        return CandidateInput(
            name=d["name"],
            id_type=d["id_type"],
            id_number=d["id_number"],
            employee_number=d.get("employee_number", ""),
            hire_date=d.get("hire_date"),
            dispatched=d.get("dispatched", False),
            phone=d.get("phone", ""),
            education=d.get("education", ""),
            diploma=d.get("diploma", ""),
            diploma_in_field=d.get("diploma_in_field", False),
            final_year_student=d.get("final_year_student", False),
            apprenticeship_completed=d.get("apprenticeship_completed", False),
            years_in_occupation=d["years_in_occupation"],
            route=d["route"],
            direct_justification=d.get("direct_justification", ""),
            prior_certificates=prior,
        )


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("证件照"), help_text=_("白底正面免冠彩色照片，JPG 或 PNG，不超过 5 MB"))


class PhotoZipForm(forms.Form):
    file = forms.FileField(
        label=_("照片压缩包"),
        help_text=_(
            "把照片放进一个文件夹，每张以考生的证件号码或工号命名（如 441900199001011234.jpg），"
            "压缩为 .zip，不超过 10 MB"
        ),
    )


class ReasonRequiredForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class DirectDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("审批结果"), choices=[("approve", _("批准")), ("reject", _("不批准"))])
    note = forms.CharField(label=_("审批意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("文件"), help_text=_("Excel（.xlsx）或 CSV；请先下载模板"))


class ScoreForm(forms.Form):
    component = forms.ChoiceField(label=_("考核项目"), choices=Score.Component.choices)
    subscore = forms.CharField(label=_("评审分项"), max_length=40, required=False)
    outcome = forms.ChoiceField(label=_("情况"), choices=Score.Outcome.choices, initial=Score.Outcome.SCORED)
    value = forms.CharField(label=_("成绩"), max_length=10, required=False)


class CorrectionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("情况"), choices=Score.Outcome.choices, initial=Score.Outcome.SCORED)
    value = forms.CharField(label=_("更正后的成绩"), max_length=10, required=False)
    reason = forms.CharField(label=_("更正原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    objection = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ObjectionForm(forms.Form):
    raised_by = forms.CharField(label=_("异议人"), max_length=60)
    contact = forms.CharField(label=_("联系方式"), max_length=60, required=False)
    enrolment = forms.ModelChoiceField(queryset=Enrolment.objects.none(), label=_("涉及考生"), required=False)
    received_on = forms.DateField(label=_("收到日期"), widget=DATE)
    content = forms.CharField(label=_("异议内容"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        if plan is not None:
            self.fields["enrolment"].queryset = Enrolment.objects.filter(plan=plan).select_related("person")
            self.fields["enrolment"].label_from_instance = lambda e: f"{e.person.name}（{e.person.id_number_masked}）"


class ObjectionResolveForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("处理结果"), choices=[("rejected", _("异议不成立")), ("upheld", _("异议成立"))]
    )
    resolution = forms.CharField(label=_("处理意见"), widget=forms.Textarea(attrs={"rows": 2}))


class SupervisorAssignForm(forms.Form):
    supervisor = forms.ModelChoiceField(queryset=User.objects.none(), label=_("质量督导员"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = User.objects.filter(groups__name=BureauRole.SUPERVISOR, is_active=True)
        self.fields["supervisor"].label_from_instance = lambda u: str(u)


class SupervisionReportForm(forms.Form):
    visited_on = forms.DateField(label=_("督导日期"), widget=DATE)
    attended = forms.BooleanField(label=_("到场督导"), required=False, initial=True)
    attendance = forms.CharField(label=_("考生到考情况"), max_length=200, required=False)
    observations = forms.CharField(label=_("督导情况"), widget=forms.Textarea(attrs={"rows": 4}))
    problems = forms.CharField(label=_("发现的问题"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CalendarDayForm(forms.Form):
    day = forms.DateField(label=_("日期"), widget=DATE)
    is_working_day = forms.TypedChoiceField(
        label=_("该日为"),
        coerce=lambda v: v == "1",
        choices=[("0", _("休息日（法定节假日）")), ("1", _("工作日（调休上班）"))],
    )
    note = forms.CharField(label=_("说明"), max_length=100, required=False, help_text=_("如：2027 年春节"))


class PlanFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *AssessmentPlan.Status.choices]
    )
    q = forms.CharField(label=_("编号 / 名称"), required=False)
