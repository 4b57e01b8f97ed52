"""Evaluation standards: the filing gate, immutability after publishing, versions, templates."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from certify.models import PublishedStandardError, Standard, StandardLevel, StandardVersion
from certify.services.filings import filing_suspend
from certify.services.standards import (
    standard_adopt,
    standard_draft_create,
    standard_level_add,
    standard_level_update,
    standard_new_version,
    standard_publish,
    standard_retire,
    standard_template_create,
    standard_version_update,
)
from lib.eligibility import ruleset_from_data
from tests.helpers import assert_one_event, assert_status, check_guards
from tests.workflow import occ

pytestmark = pytest.mark.django_db


def _draft(world, **overrides):
    kwargs = {
        "actor": world.a_operator,
        "organization": world.org_a,
        "occupation": occ("6-18-01-01"),
        "work_type": None,
        "title": "甲机械车工企业评价规范",
        "levels": [4],
    }
    kwargs.update(overrides)
    return standard_draft_create(**kwargs)


# --- the filing gate ------------------------------------------------------------------------
def test_drafting_outside_the_filed_scope_is_refused_in_chinese(world, filings):
    with pytest.raises(ValidationError) as caught:
        _draft(world, occupation=occ("6-18-01-02"))
    assert caught.value.messages == ["本机构的备案范围不包括「铣工」，请先向人社局申请备案。"]
    with pytest.raises(ValidationError) as caught:
        _draft(world, levels=[2])
    assert "不包括二级/技师" in caught.value.messages[0]
    assert not Standard.objects.filter(organization=world.org_a).exists()


def test_drafting_after_the_filing_expired_is_refused(world, filings):
    filing_a, _ = filings
    with pytest.raises(ValidationError) as caught:
        _draft(world, today=filing_a.valid_until + dt.timedelta(days=1))
    assert "已于" in caught.value.messages[0] and "到期" in caught.value.messages[0]
    assert not Standard.objects.filter(organization=world.org_a).exists()


def test_drafting_under_a_suspended_filing_is_refused(world, filings):
    filing_a, _ = filings
    filing_suspend(actor=world.bureau_admin, filing=filing_a, reason="质量督导发现问题")
    with pytest.raises(ValidationError) as caught:
        _draft(world)
    [message] = caught.value.messages
    assert message.startswith(f"备案 {filing_a.number} 已被暂停（质量督导发现问题），") and "在暂停期间" in message


def test_a_work_type_outside_a_work_type_scope_is_refused(world, filings):
    with pytest.raises(ValidationError, match="不包括「电工（内线电工）」"):
        _draft(world, occupation=occ("6-31-01-03"), work_type="内线电工")
    # …and the new 工种 name did not survive the refusal
    assert not occ("6-31-01-03").work_types.filter(name="内线电工").exists()


def test_publishing_checks_the_filing_again(world, draft, filings):
    filing_a, _ = filings
    filing_suspend(actor=world.bureau_admin, filing=filing_a, reason="暂停")
    with pytest.raises(ValidationError, match="已被暂停"):
        standard_publish(actor=world.a_operator, version=draft)
    draft.refresh_from_db()
    assert draft.status == StandardVersion.Status.DRAFT


def test_only_roles_that_manage_standards_may_draft(world, filings):
    for user in (world.a_viewer, world.a_assessor, world.a_reviewer, world.b_operator, world.bureau_admin):
        with pytest.raises(PermissionDenied):
            _draft(world, actor=user)


# --- what a draft holds ---------------------------------------------------------------------
def test_a_new_draft_starts_from_the_national_template_and_configured_defaults(world, draft, settings):
    level4 = draft.levels.get(level=4)
    assert level4.theory_pass == Decimal("60") and level4.practical_pass == Decimal("60")
    assert (level4.min_practical_assessors, level4.candidates_per_assessor) == (3, 5)
    assert len(ruleset_from_data(level4.eligibility_rules)) == 3
    assert draft.standard.work_type.name == "数控车工"


def test_senior_levels_require_the_review_with_weighted_sub_scores(world, filings, catalogue):
    template = standard_template_create(
        actor=world.bureau_admin,
        occupation=occ("6-31-01-03"),
        work_type=None,
        source="national",
        title="电工国家职业技能标准",
        levels=[2],
    )
    level2 = template.levels.get()
    assert level2.has_review and sum(s["weight"] for s in level2.review_subscores) == 100
    with pytest.raises(ValidationError, match="须进行综合评审"):
        standard_level_update(actor=world.bureau_admin, level=level2, has_review=False)
    with pytest.raises(ValidationError, match="权重合计应为 100"):
        standard_level_update(
            actor=world.bureau_admin, level=level2, review_subscores=[{"name": "个人素质", "weight": 50}]
        )


def test_a_draft_level_can_be_edited_with_one_event(world, draft, audit_probe):
    level = draft.levels.get(level=4)
    probe = audit_probe()
    standard_level_update(
        actor=world.a_operator, level=level, practical_pass=Decimal("65"), direct_grading_allowed=True
    )
    level.refresh_from_db()
    assert level.practical_pass == Decimal("65.0") and level.direct_grading_allowed
    event = assert_one_event(
        probe, event_type="standard.level_updated", actor=world.a_operator, organization=world.org_a
    )
    assert event.data["changes"]["practical_pass"] == ["60.0", "65"] or "practical_pass" in event.data["changes"]


def test_bad_eligibility_data_is_refused_in_chinese(world, draft):
    level = draft.levels.get(level=4)
    with pytest.raises(ValidationError) as caught:
        standard_level_update(actor=world.a_operator, level=level, eligibility_rules=[{"min_years_since_prior": "2"}])
    assert "第 1 项条件" in caught.value.message_dict["eligibility_rules"][0]


# --- immutability -----------------------------------------------------------------------------
def test_no_service_edits_a_published_version(world, published):
    level = published.levels.get(level=4)
    with pytest.raises(ValidationError, match="已发布，不能修改"):
        standard_version_update(actor=world.a_operator, version=published, title="改名")
    with pytest.raises(ValidationError, match="已发布，不能修改"):
        standard_level_update(actor=world.a_operator, level=level, practical_pass=Decimal("50"))
    with pytest.raises(ValidationError, match="已发布，不能修改"):
        standard_level_add(actor=world.a_operator, version=published, level=5)
    published.refresh_from_db()
    assert published.title == "甲机械数控车工企业评价规范"


def test_the_model_refuses_to_save_a_published_version_or_its_levels(world, published):
    published.title = "绕过服务改名"
    with pytest.raises(PublishedStandardError):
        published.save()
    level = StandardLevel.objects.get(version=published, level=4)
    level.practical_pass = Decimal("10")
    with pytest.raises(PublishedStandardError):
        level.save()
    with pytest.raises(PublishedStandardError):
        level.delete()
    with pytest.raises(PublishedStandardError):
        StandardLevel(version=published, level=5).save()


def test_the_form_views_refuse_to_edit_a_published_version(world, as_user, published):
    level = published.levels.get(level=4)
    client = as_user(world.a_operator)
    edit = reverse("certify:standard_edit", args=[world.org_a.pk, published.pk])
    response = client.post(edit, {"title": "改名", "source_code": "", "notes": ""}, follow=True)
    assert "已发布，不能修改" in response.content.decode()
    level_url = reverse("certify:standard_level_edit", args=[world.org_a.pk, published.pk, level.pk])
    response = client.post(level_url, {"practical_pass": "10"}, follow=True)
    assert "已发布，不能修改" in response.content.decode()
    published.refresh_from_db()
    level.refresh_from_db()
    assert published.title == "甲机械数控车工企业评价规范" and level.practical_pass == Decimal("60.0")


def test_the_admin_cannot_edit_a_published_version(world, published, client):
    from accounts.models import User

    root = User.objects.create_superuser("root", "root@example.com", "Xq7!kdPz2")
    client.force_login(root)
    change = reverse("admin:certify_standardversion_change", args=[published.pk])
    response = client.post(change, {"title": "管理后台改名", "status": "draft"})
    assert response.status_code in (302, 403) or "保存" not in response.content.decode()
    published.refresh_from_db()
    assert published.title == "甲机械数控车工企业评价规范" and published.status == "published"
    assert client.get(reverse("admin:certify_standardversion_add")).status_code == 403
    assert Permission.objects.filter(codename="change_standardversion").exists()


# --- versions -------------------------------------------------------------------------------
def test_a_change_is_a_new_version_and_publishing_it_retires_the_old_one(world, published):
    draft2 = standard_new_version(actor=world.a_operator, version=published)
    assert (draft2.version, draft2.status) == (2, "draft")
    assert draft2.levels.count() == published.levels.count()
    standard_level_update(actor=world.a_operator, level=draft2.levels.get(level=4), practical_pass=Decimal("70"))
    standard_publish(actor=world.a_operator, version=draft2)
    published.refresh_from_db()
    assert published.status == "retired"
    assert published.levels.get(level=4).practical_pass == Decimal("60.0")


def test_only_one_draft_version_at_a_time(world, published):
    standard_new_version(actor=world.a_operator, version=published)
    with pytest.raises(ValidationError, match="已有一个草稿版本"):
        standard_new_version(actor=world.a_operator, version=published)


def test_retiring_needs_a_reason(world, published):
    with pytest.raises(ValidationError, match="须填写原因"):
        standard_retire(actor=world.a_operator, version=published, reason="")
    standard_retire(actor=world.a_operator, version=published, reason="岗位调整")
    published.refresh_from_db()
    assert published.status == "retired"


# --- templates -------------------------------------------------------------------------------
def _published_template(world):
    template = standard_template_create(
        actor=world.bureau_admin,
        occupation=occ("6-18-01-01"),
        work_type=None,
        source="national",
        title="车工国家职业技能标准",
        levels=[5, 4, 3, 2, 1],
    )
    return standard_publish(actor=world.bureau_admin, version=template)


def test_adopting_a_template_copies_only_the_levels_in_scope(world, filings, audit_probe):
    template = _published_template(world)
    probe = audit_probe()
    version, skipped = standard_adopt(actor=world.a_operator, organization=world.org_a, template=template)
    assert sorted(version.levels.values_list("level", flat=True)) == [3, 4, 5]
    assert skipped == [2, 1]
    assert version.standard.adopted_from == template and version.status == "draft"
    event = assert_one_event(probe, event_type="standard.adopted", actor=world.a_operator, organization=world.org_a)
    assert event.data["levels_outside_scope"] == [2, 1]


def test_adopting_a_template_for_an_occupation_outside_the_scope_is_refused(world, filings):
    template = _published_template(world)
    with pytest.raises(ValidationError, match="不包括「车工」"):
        standard_adopt(actor=world.b_operator, organization=world.org_b, template=template)


def test_only_the_bureau_admin_writes_templates(world, filings):
    with pytest.raises(PermissionDenied):
        standard_template_create(
            actor=world.a_org_admin,
            occupation=occ("6-18-01-01"),
            work_type=None,
            source="national",
            title="x",
            levels=[5],
        )


# --- views --------------------------------------------------------------------------------
def test_org_standard_list_shows_own_standards_and_templates(world, as_user, published):
    template = _published_template(world)
    url = reverse("certify:org_standard_list", args=[world.org_a.pk])
    text = assert_status(as_user(world.a_viewer), "get", url, 200).content.decode()
    assert published.title in text and template.title in text and "采用" not in text
    text_b = assert_status(
        as_user(world.b_operator), "get", reverse("certify:org_standard_list", args=[world.org_b.pk]), 200
    ).content.decode()
    assert published.title not in text_b
    check_guards(
        as_user,
        method="get",
        url=url,
        outsiders=[world.b_operator, world.supervisor],
        wrong_method="post",
        user=world.a_viewer,
    )


def test_org_standard_create_view(world, as_user, filings, audit_probe):
    url = reverse("certify:org_standard_create", args=[world.org_a.pk])
    data = {"occupation": occ("6-18-01-01").pk, "work_type": "", "title": "新规范", "source_code": "", "levels": ["5"]}
    check_guards(
        as_user,
        method="post",
        url=url,
        data=data,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer, world.a_assessor, world.bureau_auditor],
        wrong_method="put",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", url, 302, data)
    assert StandardVersion.objects.filter(title="新规范", standard__organization=world.org_a).exists()
    assert_one_event(probe, event_type="standard.created", actor=world.a_operator, organization=world.org_a)


def test_org_standard_create_view_shows_the_scope_refusal(world, as_user, filings):
    url = reverse("certify:org_standard_create", args=[world.org_a.pk])
    data = {"occupation": occ("6-18-01-02").pk, "work_type": "", "title": "铣工规范", "levels": ["5"]}
    text = assert_status(as_user(world.a_operator), "post", url, 200, data).content.decode()
    assert "本机构的备案范围不包括「铣工」" in text


def test_org_standard_adopt_view(world, as_user, filings, audit_probe):
    template = _published_template(world)
    url = reverse("certify:org_standard_adopt", args=[world.org_a.pk, template.pk])
    check_guards(
        as_user,
        method="post",
        url=url,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer],
        wrong_method="get",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", url, 302)
    assert_one_event(probe, event_type="standard.adopted", actor=world.a_operator, organization=world.org_a)


def test_standard_detail_isolation(world, as_user, published):
    url = reverse("certify:standard_detail", args=[world.org_a.pk, published.pk])
    assert "发布" in assert_status(as_user(world.a_viewer), "get", url, 200).content.decode()
    assert_status(as_user(world.bureau_auditor), "get", url, 200)
    check_guards(as_user, method="get", url=url, outsiders=[world.b_operator], wrong_method="post", user=world.a_viewer)
    # the same version through another organisation's URL is a 404, even for its own staff
    assert_status(
        as_user(world.b_operator), "get", reverse("certify:standard_detail", args=[world.org_b.pk, published.pk]), 404
    )


@pytest.mark.parametrize(
    ("name", "data", "event_type"),
    [
        ("standard_edit", {"title": "改过的名称", "source_code": "", "notes": ""}, "standard.updated"),
        ("standard_level_add", {"level": "5"}, "standard.level_added"),
        ("standard_publish", {}, "standard.published"),
        ("standard_discard", {}, "standard.discarded"),
    ],
)
def test_draft_actions(world, as_user, draft, audit_probe, name, data, event_type):
    url = reverse(f"certify:{name}", args=[world.org_a.pk, draft.pk])
    check_guards(
        as_user,
        method="post",
        url=url,
        data=data,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer, world.a_reviewer, world.bureau_auditor],
        wrong_method="put",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", url, 302, data)
    assert_one_event(probe, event_type=event_type, actor=world.a_operator, organization=world.org_a)


def test_level_edit_view_saves_conditions_entered_field_by_field(world, as_user, draft, audit_probe):
    level = draft.levels.get(level=4)
    url = reverse("certify:standard_level_edit", args=[world.org_a.pk, draft.pk, level.pk])
    assert_status(as_user(world.a_operator), "get", url, 200)
    data = {
        "has_theory": "on",
        "theory_pass": "60",
        "theory_minutes": "90",
        "has_practical": "on",
        "practical_pass": "60",
        "practical_minutes": "120",
        "review_pass": "60",
        "min_practical_assessors": "3",
        "candidates_per_assessor": "5",
        "require_odd_panel": "on",
        "candidates_per_invigilator": "15",
        "min_invigilators_per_room": "2",
        "min_review_panel": "3",
        "sub-TOTAL_FORMS": "0",
        "sub-INITIAL_FORMS": "0",
        "sub-MIN_NUM_FORMS": "0",
        "sub-MAX_NUM_FORMS": "1000",
        "rule-TOTAL_FORMS": "2",
        "rule-INITIAL_FORMS": "0",
        "rule-MIN_NUM_FORMS": "0",
        "rule-MAX_NUM_FORMS": "1000",
        "rule-0-min_years_in_occupation": "2",
        "rule-0-note": "企业特殊规定：满 2 年",
        "rule-1-prior_level": "5",
        "rule-1-min_years_since_prior": "1",
    }
    check_guards(
        as_user,
        method="post",
        url=url,
        data=data,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer],
        wrong_method="put",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", url, 302, data)
    level.refresh_from_db()
    rules = ruleset_from_data(level.eligibility_rules)
    assert [r.min_years_in_occupation for r in rules] == [Decimal("2"), None]
    assert rules[1].prior_level == 5
    assert_one_event(probe, event_type="standard.level_updated", actor=world.a_operator, organization=world.org_a)


def test_published_version_actions(world, as_user, published, audit_probe):
    url = reverse("certify:standard_new_version", args=[world.org_a.pk, published.pk])
    check_guards(
        as_user,
        method="post",
        url=url,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer],
        wrong_method="get",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", url, 302)
    assert_one_event(probe, event_type="standard.new_version", actor=world.a_operator, organization=world.org_a)
    retire = reverse("certify:standard_retire", args=[world.org_a.pk, published.pk])
    check_guards(
        as_user,
        method="post",
        url=retire,
        data={"reason": "x"},
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer],
        wrong_method="get",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", retire, 302, {"reason": "岗位调整"})
    assert_one_event(probe, event_type="standard.retired", actor=world.a_operator, organization=world.org_a)


def test_bureau_standard_pages(world, as_user, published, audit_probe, catalogue):
    url = reverse("certify:bureau_standard_list")
    text = assert_status(as_user(world.bureau_auditor), "get", url, 200).content.decode()
    assert published.title in text and "新建规范模板" not in text
    check_guards(
        as_user,
        method="get",
        url=url,
        wrong_roles=[world.a_org_admin, world.supervisor],
        wrong_method="post",
        user=world.bureau_auditor,
    )
    create = reverse("certify:template_create")
    data = {
        "occupation": occ("6-18-01-01").pk,
        "work_type": "",
        "title": "车工模板",
        "source": "national",
        "levels": ["5", "4"],
    }
    check_guards(
        as_user,
        method="post",
        url=create,
        data=data,
        wrong_roles=[world.bureau_auditor, world.a_org_admin],
        wrong_method="put",
        user=world.bureau_admin,
    )
    probe = audit_probe()
    assert_status(as_user(world.bureau_admin), "post", create, 302, data)
    template = StandardVersion.objects.get(title="车工模板")
    assert template.standard.organization is None
    assert_one_event(probe, event_type="standard.created", actor=world.bureau_admin)
    detail = reverse("certify:template_detail", args=[template.pk])
    assert_status(as_user(world.a_viewer), "get", detail, 200)  # organisations read the templates
    publish = reverse("certify:template_publish", args=[template.pk])
    assert_status(as_user(world.a_org_admin), "post", publish, 403)
    assert_status(as_user(world.bureau_auditor), "post", publish, 403)
    probe = audit_probe()
    assert_status(as_user(world.bureau_admin), "post", publish, 302)
    assert_one_event(probe, event_type="standard.published", actor=world.bureau_admin)
    # an organisation's version is not reachable through the template URLs
    assert_status(as_user(world.bureau_admin), "get", reverse("certify:template_detail", args=[published.pk]), 404)


def test_an_enterprise_user_reading_a_template_is_led_back_to_their_own_standards(world, as_user, catalogue):
    template = _published_template(world)
    detail = reverse("certify:template_detail", args=[template.pk])
    text = assert_status(as_user(world.a_viewer), "get", detail, 200).content.decode()
    assert reverse("certify:org_standard_list", args=[world.org_a.pk]) in text
    assert f'href="{reverse("accounts:bureau_home")}"' not in text
    assert f'href="{reverse("certify:bureau_standard_list")}"' not in text
    bureau_text = assert_status(as_user(world.bureau_auditor), "get", detail, 200).content.decode()
    assert f'href="{reverse("certify:bureau_standard_list")}"' in bureau_text
