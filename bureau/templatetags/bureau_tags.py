"""Readable forms of audit data for the console: every stored code in words (申报方式 promotion →
晋级), every object named as what it is, no file paths or checksums, system actors by what they do."""

import datetime as dt
import re

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import BureauRole, Role
from certify.models import Certificate, Enrolment, Result, Score

register = template.Library()

_ROLE_LABELS = {**dict(Role.choices), **dict(BureauRole.choices), "system": _("系统")}

# What an event's data says, in words, for the keys a reader cares about.
_DATA_LABELS = {
    "matched": _("符合的申报条件"),
    "summary": _("审查结论"),
    "route": _("申报方式"),
    "name": _("姓名"),
    "id_number": _("证件号码"),
    "component": _("考核项目"),
    "subscore": _("评审分项"),
    "value": _("成绩"),
    "outcome": _("情况"),
    "number": _("编号"),  # named after the record: see _NUMBER_LABELS
    "plan": _("评价计划"),
    "category": _("原因类别"),
    "outcomes": _("评定结果"),
    "start": _("公示开始"),
    "end": _("公示截止"),
    "filing": _("备案"),
    "lead_working_days": _("报备提前工作日"),
    "candidates": _("考生人数"),
    "sha256": _("文件校验值"),
    "warnings": _("提示"),
    "viewed": _("查阅内容"),
    "masked": _("证件号码（脱敏）"),
    "records": _("审计记录数"),
}

# "number" is the number of the record the event is about.
_NUMBER_LABELS = {
    "certify.certificate": _("证书编号"),
    "certify.assessmentplan": _("计划编号"),
    "certify.filing": _("备案编号"),
}

# Stored codes of an event's data, in the words of the model choices they come from.
_VALUE_LABELS = {
    "route": dict(Enrolment.Route.choices),
    "component": dict(Score.Component.choices),
    "outcome": {
        **dict(Result.Outcome.choices),
        **dict(Score.Outcome.choices),
        # the holder's own copy (certify.services.worker_copy)
        "ok": _("查验码与姓名相符"),
        "mismatch": _("查验码或姓名不符"),
        "locked": _("尝试过多，已暂时锁定"),
    },
    "category": dict(Certificate.RevokeReason.choices),
    "outcomes": dict(Result.Outcome.choices),
    "viewed": {
        "certificate_timeline": _("证书的完整记录"),
        "person_timeline": _("人员记录"),
        "plan_timeline": _("评价计划的完整记录"),
        "organization_timeline": _("评价机构的完整记录"),
        "id_number_search": _("按证件号码检索"),
        "name_search": _("按姓名检索"),
    },
    "sha256": {},  # never the value itself: only that it was recorded
}

# The named system actors (audit.actors.system_actor) by what they do.
_SYSTEM_ACTORS = {
    "celery": _("系统后台任务"),
    "beat": _("系统定时任务"),
    "risk": _("风险扫描"),
    "public": _("公众查验页面"),
    "command": _("系统维护"),
    "seed_demo": _("演示数据"),
    "pii_rotate": _("个人信息密钥轮换"),
}
_SYSTEM_REPR = re.compile(r"（system(?::([\w-]+))?）$")


@register.filter
def role_label(code: str) -> str:
    return str(_ROLE_LABELS.get(code, code or ""))


@register.filter
def actor_name(actor_repr: str) -> str:
    """Who acted, from the recorded text: a person as recorded (name and account), a system actor
    (``系统任务 celery（system:celery）``; no person may hold a ``system`` account) by what it does."""
    found = _SYSTEM_REPR.search(actor_repr or "")
    if found:
        return str(_SYSTEM_ACTORS.get(found.group(1) or "", _("系统自动处理")))
    return actor_repr


@register.filter
def actor_label(event) -> str:
    return actor_name(event.actor_repr)


@register.filter
def readable(value):
    """ISO timestamps in local time, lists joined, booleans in words."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(readable(v)) for v in value) or "—"
    if isinstance(value, dict):
        return "；".join(f"{k} {readable(v)}" for k, v in value.items())
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return "—" if value in (None, "") else value


def _in_words(key: str, value):
    words = _VALUE_LABELS.get(key)
    if words is None:
        return readable(value)
    if key == "sha256":
        return str(_("已记录"))
    if isinstance(value, dict):  # counts per code: the codes in words, the zeros left out
        return "；".join(f"{words.get(k, k)} {n}" for k, n in value.items() if n) or "—"
    if isinstance(value, list):
        return "、".join(str(words.get(v, v)) for v in value) or "—"
    return str(words.get(value, value))


@register.filter
def event_facts(event) -> list[tuple[str, object]]:
    data = event.data or {}
    facts = []
    for key, label in _DATA_LABELS.items():
        if key not in data or data[key] in ("", None, [], {}):
            continue
        if key == "number":
            label = _NUMBER_LABELS.get(event.target_type, label)
        facts.append((str(label), _in_words(key, data[key])))
    return facts
