"""Readable forms of audit data for the console."""

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import BureauRole, Role

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
    "number": _("证书编号"),
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
}


@register.filter
def role_label(code: str) -> str:
    return str(_ROLE_LABELS.get(code, code or ""))


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


@register.filter
def event_facts(event) -> list[tuple[str, object]]:
    data = event.data or {}
    return [
        (str(label), readable(data[key]))
        for key, label in _DATA_LABELS.items()
        if key in data and data[key] not in ("", None, [], {})
    ]
