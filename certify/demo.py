"""Demo data for the evaluation workflow, written through the services (called by seed_demo).

Dates are relative to today so the demo stays meaningful: one filing is about to expire (its
renewal window is open), one is suspended.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import Organization, User
from certify.models import Filing, Occupation, Standard, StandardVersion
from certify.services.catalogue import catalogue_import_builtin
from certify.services.filings import ScopeSpec, filing_create, filing_suspend
from certify.services.standards import (
    standard_adopt,
    standard_draft_create,
    standard_publish,
    standard_template_create,
)

HK_CREDIT = "91441900MA4W8HK3XF"
YH_CREDIT = "91441900MA51RQ7P23"


def _occ(code: str) -> Occupation:
    return Occupation.objects.get(code=code, edition="2022")


def seed_filings(*, bureau_admin: User, today: dt.date) -> None:
    hk = Organization.objects.get(credit_code=HK_CREDIT)
    yh = Organization.objects.get(credit_code=YH_CREDIT)
    if not Filing.objects.filter(number="东人社评备〔2023〕018号").exists():
        until = today + dt.timedelta(days=60)
        filing_create(
            actor=bureau_admin,
            organization=hk,
            number="东人社评备〔2023〕018号",
            valid_from=until - dt.timedelta(days=3 * 365),
            valid_until=until,
            scopes=[
                ScopeSpec(occupation=_occ("6-18-01-01"), work_type=None, levels=(5, 4, 3)),
                ScopeSpec(occupation=_occ("6-31-01-03"), work_type=None, levels=(5, 4, 3, 2)),
                ScopeSpec(occupation=_occ("6-18-02-04"), work_type="手工电弧焊", levels=(5, 4)),
            ],
            notes="首批企业自主评价试点单位",
        )
    if not Filing.objects.filter(number="东人社评备〔2025〕031号").exists():
        filing = filing_create(
            actor=bureau_admin,
            organization=yh,
            number="东人社评备〔2025〕031号",
            valid_from=today - dt.timedelta(days=400),
            valid_until=today + dt.timedelta(days=700),
            scopes=[
                ScopeSpec(occupation=_occ("6-25-04-07"), work_type=None, levels=(5, 4, 3)),
                ScopeSpec(occupation=_occ("6-31-01-03"), work_type=None, levels=(5, 4)),
            ],
        )
        filing_suspend(actor=bureau_admin, filing=filing, reason="年度抽查发现考评员资质不符，限期整改")


def _template(*, bureau_admin: User, code: str, title: str, source_code: str) -> StandardVersion:
    existing = StandardVersion.objects.filter(standard__organization__isnull=True, title=title).first()
    if existing:
        return existing
    version = standard_template_create(
        actor=bureau_admin,
        occupation=_occ(code),
        work_type=None,
        source=Standard.Source.NATIONAL,
        title=title,
        source_code=source_code,
        levels=[5, 4, 3, 2, 1],
        effective_from=dt.date(2018, 12, 1),
        notes="人力资源社会保障部、工业和信息化部颁布。各等级申报条件按标准原文设置。",
    )
    return standard_publish(actor=bureau_admin, version=version)


def seed_standards(*, bureau_admin: User, today: dt.date) -> None:
    turner = _template(
        bureau_admin=bureau_admin,
        code="6-18-01-01",
        title="车工国家职业技能标准（2018 年版）",
        source_code="职业编码 6-18-01-01",
    )
    _template(
        bureau_admin=bureau_admin,
        code="6-31-01-03",
        title="电工国家职业技能标准（2018 年版）",
        source_code="职业编码 6-31-01-03",
    )
    hk = Organization.objects.get(credit_code=HK_CREDIT)
    operator = User.objects.get(username="hk_operator")
    if not Standard.objects.filter(organization=hk, adopted_from=turner).exists():
        draft, _skipped = standard_adopt(actor=operator, organization=hk, template=turner, today=today)
        standard_publish(actor=operator, version=draft, today=today)
    title = "华科精密电工（设备维修）企业评价规范"
    if not StandardVersion.objects.filter(standard__organization=hk, title=title).exists():
        draft = standard_draft_create(
            actor=operator,
            organization=hk,
            occupation=_occ("6-31-01-03"),
            work_type="设备维修电工",
            title=title,
            source_code="HK/PJ-2025-02",
            levels=[4, 3],
            effective_from=today - dt.timedelta(days=30),
            notes="结合本企业自动化产线设备维修岗位要求编制。",
            today=today,
        )
        standard_publish(actor=operator, version=draft, today=today)


def seed_certify(*, system: User, bureau_admin: User, stdout=None) -> None:
    today = timezone.localdate()
    if not Occupation.objects.exists():
        catalogue_import_builtin(actor=bureau_admin)
    seed_filings(bureau_admin=bureau_admin, today=today)
    seed_standards(bureau_admin=bureau_admin, today=today)
