"""Issue 11, item 9: revocation, which cannot be undone, takes two people — an operator asks, a
reviewer or the organisation's admin (not the one who asked) approves or refuses, as 定级 does —
while SKILLCERT_REVOCATION_NEEDS_APPROVAL is on (the default); the bureau's own revocation stays one
step with a reason."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from certify.models import Certificate, RevocationRequest
from certify.services.certificates import certificate_revoke
from certify.services.revocation import revocation_decide, revocation_request
from tests.helpers import assert_one_event, assert_status, check_guards, html

pytestmark = pytest.mark.django_db


def _ask(world, certificate, **fields):
    data = {"category": "fraud", "reason": "伪造工作年限证明材料", **fields}
    return revocation_request(actor=world.a_operator, certificate=certificate, **data)


def _decide_url(request) -> str:
    certificate = request.certificate
    return reverse(
        "certify:certificate_revocation_decide", args=[certificate.organization_id, certificate.pk, request.pk]
    )


# --- the setting ---------------------------------------------------------------------------------
def test_approval_is_on_by_default():
    assert settings.SKILLCERT_REVOCATION_NEEDS_APPROVAL is True


# --- the services --------------------------------------------------------------------------------
def test_an_operator_cannot_revoke_in_one_step(world, certs):
    with pytest.raises(ValidationError) as caught:
        certificate_revoke(actor=world.a_operator, certificate=certs[0], category="fraud", reason="伪造")
    assert caught.value.messages == ["本机构撤销证书须经审核人或机构管理员批准，请提交撤销申请"]
    certs[0].refresh_from_db()
    assert certs[0].status == Certificate.Status.VALID


def test_a_request_changes_nothing_on_the_certificate_and_is_one_event(world, certs, audit_probe):
    probe = audit_probe()
    request = _ask(world, certs[0])

    certs[0].refresh_from_db()
    assert certs[0].status == Certificate.Status.VALID
    assert request.status == RevocationRequest.Status.PENDING and request.requested_by == world.a_operator
    event = assert_one_event(
        probe, event_type="certificate.revocation_requested", actor=world.a_operator, organization=world.org_a
    )
    assert event.data["number"] == certs[0].number and event.data["category"] == "fraud"


def test_a_request_needs_a_reason_and_only_one_waits_at_a_time(world, certs):
    with pytest.raises(ValidationError) as caught:
        _ask(world, certs[0], reason=" ")
    assert caught.value.message_dict == {"reason": ["申请撤销证书须填写原因"]}
    _ask(world, certs[0])
    with pytest.raises(ValidationError) as caught:
        _ask(world, certs[0])
    assert caught.value.messages == ["该证书已有待审批的撤销申请"]


def test_the_reviewer_approves_and_the_certificate_is_revoked_in_one_event(world, certs, audit_probe):
    request = _ask(world, certs[0])
    probe = audit_probe()

    revocation_decide(actor=world.a_reviewer, request=request, approve=True)

    certificate = Certificate.objects.get(pk=certs[0].pk)
    assert certificate.status == Certificate.Status.REVOKED and certificate.revoked_at is not None
    assert certificate.reason_category == "fraud" and certificate.reason == "伪造工作年限证明材料"
    request.refresh_from_db()
    assert request.status == RevocationRequest.Status.APPROVED and request.decided_by == world.a_reviewer
    event = assert_one_event(probe, event_type="certificate.revoked", actor=world.a_reviewer, organization=world.org_a)
    assert event.data["requested_by"] == world.a_operator.get_full_name()


def test_the_org_admin_may_approve_too(world, certs):
    revocation_decide(actor=world.a_org_admin, request=_ask(world, certs[0]), approve=True)
    assert Certificate.objects.get(pk=certs[0].pk).status == Certificate.Status.REVOKED


def test_the_requester_cannot_approve_their_own_request(world, certs):
    request = revocation_request(actor=world.a_org_admin, certificate=certs[0], category="error", reason="评分汇总错误")
    with pytest.raises(ValidationError) as caught:
        revocation_decide(actor=world.a_org_admin, request=request, approve=True)
    assert caught.value.messages == ["撤销申请须由申请人以外的第二人审批"]
    assert Certificate.objects.get(pk=certs[0].pk).status == Certificate.Status.VALID


def test_an_operator_or_a_viewer_cannot_decide(world, certs):
    request = _ask(world, certs[0])
    for user in (world.a_operator, world.a_viewer, world.b_org_admin):
        with pytest.raises(PermissionDenied):
            revocation_decide(actor=user, request=request, approve=True)


def test_refusing_needs_a_reason_and_leaves_the_certificate_valid(world, certs, audit_probe):
    request = _ask(world, certs[0])
    with pytest.raises(ValidationError) as caught:
        revocation_decide(actor=world.a_reviewer, request=request, approve=False, note="")
    assert caught.value.message_dict == {"note": ["不批准时须写明理由"]}
    probe = audit_probe()

    revocation_decide(actor=world.a_reviewer, request=request, approve=False, note="举报材料不足，继续核查")

    assert Certificate.objects.get(pk=certs[0].pk).status == Certificate.Status.VALID
    request.refresh_from_db()
    assert request.status == RevocationRequest.Status.REJECTED
    assert_one_event(
        probe, event_type="certificate.revocation_refused", actor=world.a_reviewer, organization=world.org_a
    )
    # decided once: a second decision is refused, and a new request may be made
    with pytest.raises(ValidationError):
        revocation_decide(actor=world.a_reviewer, request=request, approve=True)
    _ask(world, certs[0], reason="补充了新的证据")


def test_the_bureau_revokes_in_one_step_with_a_reason(world, certs, audit_probe):
    with pytest.raises(ValidationError):
        certificate_revoke(actor=world.bureau_admin, certificate=certs[0], category="misconduct", reason=" ")
    probe = audit_probe()
    certificate_revoke(actor=world.bureau_admin, certificate=certs[0], category="misconduct", reason="督导发现违规")
    assert_one_event(probe, event_type="certificate.revoked", actor=world.bureau_admin, organization=world.org_a)


def test_with_approval_switched_off_an_operator_revokes_in_one_step(world, certs, settings):
    settings.SKILLCERT_REVOCATION_NEEDS_APPROVAL = False
    certificate_revoke(actor=world.a_operator, certificate=certs[0], category="error", reason="评分汇总错误")
    assert Certificate.objects.get(pk=certs[0].pk).status == Certificate.Status.REVOKED
    with pytest.raises(ValidationError):
        _ask(world, certs[1])


# --- the pages -----------------------------------------------------------------------------------
def test_the_operator_sees_a_request_form_without_a_browser_confirmation(world, as_user, certs):
    page = html(as_user(world.a_operator).get(certs[0].get_absolute_url()))
    assert "申请撤销" in page and "须由审核人或机构管理员批准后才生效" in page
    assert "撤销后扫码将显示“已撤销”，确定撤销吗？" not in page


def test_posting_the_revoke_form_as_an_operator_files_a_request(world, as_user, certs):
    url = reverse("certify:certificate_revoke", args=[world.org_a.pk, certs[0].pk])
    response = as_user(world.a_operator).post(url, {"category": "fraud", "reason": "伪造工作年限"}, follow=True)

    page = html(response)
    assert "已提交撤销申请。审核人或机构管理员批准后证书才撤销" in page
    assert "撤销申请（待审批）" in page and "等待审核人或机构管理员审批" in page
    # while it waits, a second request is shown disabled with its reason
    assert '<span class="action-blocked" data-action="revoke">' in page
    assert "已有待审批的撤销申请，审批后才能再次申请" in page
    assert Certificate.objects.get(pk=certs[0].pk).status == Certificate.Status.VALID


def test_the_reviewer_sees_the_request_and_approves_it_on_the_certificate_page(world, as_user, certs, audit_probe):
    request = _ask(world, certs[0])
    page = html(as_user(world.a_reviewer).get(certs[0].get_absolute_url()))
    assert "伪造工作年限证明材料" in page and "批准撤销" in page and "不批准" in page
    assert 'data-confirm="批准后证书立即撤销' in page

    url = _decide_url(request)
    check_guards(
        as_user,
        method="post",
        url=url,
        data={"decision": "approve"},
        outsiders=[world.b_org_admin],
        wrong_roles=[world.a_operator, world.a_viewer],
        wrong_method="get",
        user=world.a_reviewer,
    )
    probe = audit_probe()
    response = as_user(world.a_reviewer).post(url, {"decision": "approve", "note": ""}, follow=True)
    assert "已批准撤销申请，证书已撤销" in html(response)
    assert_one_event(probe, event_type="certificate.revoked", actor=world.a_reviewer, organization=world.org_a)


def test_a_refusal_without_a_reason_is_said_and_a_refusal_is_listed_on_the_page(world, as_user, certs):
    request = _ask(world, certs[0])
    client = as_user(world.a_reviewer)
    page = html(client.post(_decide_url(request), {"decision": "refuse", "note": ""}, follow=True))
    assert "不批准时须写明理由" in page
    page = html(client.post(_decide_url(request), {"decision": "refuse", "note": "证据不足"}, follow=True))
    assert "已不批准撤销申请，证书状态不变" in page
    assert "撤销申请记录" in page and "证据不足" in page


def test_the_requester_is_not_offered_the_decision(world, as_user, certs):
    _ask(world, certs[0])
    page = html(as_user(world.a_operator).get(certs[0].get_absolute_url()))
    assert "批准撤销" not in page and 'data-action="decide_revocation"' not in page


def test_another_certificates_request_is_not_found(world, as_user, certs):
    request = _ask(world, certs[0])
    url = reverse("certify:certificate_revocation_decide", args=[world.org_a.pk, certs[1].pk, request.pk])
    assert_status(as_user(world.a_reviewer), "post", url, 404, {"decision": "approve"})


def test_the_certificate_list_tells_an_approver_what_waits_for_them(world, as_user, certs):
    _ask(world, certs[0])
    url = reverse("certify:certificate_list", args=[world.org_a.pk])

    page = html(as_user(world.a_reviewer).get(url))
    assert "1 项撤销申请待您审批" in page and f"{certs[0].get_absolute_url()}#revocation-request" in page
    assert "撤销申请待您审批" not in html(as_user(world.a_operator).get(url))
    assert "撤销申请待您审批" not in html(as_user(world.a_viewer).get(url))


def test_a_waiting_request_is_in_the_approvers_inbox_but_not_the_requesters(world, certs):
    from accounts.inbox import organization_inbox

    def keys(user, org=None):
        return {item.key: item for group in organization_inbox(user, [org or world.org_a]) for item in group.items}

    _ask(world, certs[0])

    waiting = keys(world.a_reviewer).get("reviewer.revocation")
    assert waiting is not None and waiting.count == 1 and waiting.url.endswith("#revocations-waiting")
    assert "reviewer.revocation" not in keys(world.a_operator)  # the requester
    assert "reviewer.revocation" not in keys(world.b_org_admin, world.org_b)  # another tenant's approver
