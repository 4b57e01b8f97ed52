"""Home, organisation pages, members and invitations, and the bureau's organisation pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import inbox, selectors, services
from accounts.forms import (
    MemberAddForm,
    OrganizationCreateForm,
    OrganizationForm,
    OrganizationStatusForm,
    RoleChangeForm,
)
from accounts.models import MembershipInvitation, Organization
from accounts.permissions import (
    BUREAU_STAFF_ONLY,
    ORGANIZATION_CREATE_REFUSED,
    ORGANIZATION_EDIT_REFUSED,
    ORGANIZATION_STATUS_REFUSED,
    can_manage_members,
    can_manage_organizations,
    is_bureau,
    is_bureau_reader,
    require,
)
from accounts.roles import Role
from lib.web import apply_service_errors, error_text, paginate


@require_GET
@login_required
def home(request):
    # The bureau's entry comes from the ``navigation`` context processor (nav_bureau_roles).
    memberships = list(selectors.memberships_for_user(request.user))
    return render(
        request,
        "accounts/home.html",
        {
            "memberships": memberships,
            "invitations": selectors.invitations_pending_for_user(request.user),
            "inbox_groups": inbox.organization_inbox(request.user, [m.organization for m in memberships]),
        },
    )


@require_GET
@login_required
def org_detail(request, org_id: int):
    org = selectors.organization_get_for_user(request.user, org_id)
    manage = can_manage_members(request.user, org)
    memberships = list(selectors.membership_list_for_org(org))
    if manage:
        selectors.annotate_sign_in_security(memberships)
    return render(
        request,
        "accounts/org_detail.html",
        {
            "org": org,
            "memberships": memberships,
            "invitations": selectors.invitation_list_for_org(org) if manage else [],
            "can_manage_members": manage,
            "can_edit_org": can_manage_organizations(request.user),
            "role_form": RoleChangeForm(),
            "roles": Role.choices,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def member_add(request, org_id: int):
    org = selectors.organization_get_for_user(request.user, org_id)
    require(can_manage_members(request.user, org), _("只有机构管理员可以添加成员"))
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            added = services.membership_add(actor=request.user, organization=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if isinstance(added, MembershipInvitation):
                # The same words whoever the username belongs to (or nobody): see membership_add.
                messages.info(request, INVITATION_SENT)
            else:
                messages.success(
                    request,
                    _("已添加成员 %(user)s，角色：%(role)s。") % {"user": added.user, "role": added.get_role_display()},
                )
            return redirect(org)
    return render(request, "accounts/member_add.html", {"org": org, "form": form})


@require_POST
@login_required
def member_role(request, org_id: int, membership_id: int):
    org = selectors.organization_get_for_user(request.user, org_id)
    membership = selectors.membership_get_for_org(org, membership_id)
    require(can_manage_members(request.user, org), _("只有机构管理员可以变更成员角色"))
    form = RoleChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择有效的角色。"))
        return redirect(org)
    try:
        membership = services.membership_change_role(
            actor=request.user, membership=membership, role=form.cleaned_data["role"]
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("%(user)s 的角色已改为 %(role)s。") % {"user": membership.user, "role": membership.get_role_display()},
        )
    return redirect(org)


@require_POST
@login_required
def member_remove(request, org_id: int, membership_id: int):
    org = selectors.organization_get_for_user(request.user, org_id)
    membership = selectors.membership_get_for_org(org, membership_id)
    require(can_manage_members(request.user, org), _("只有机构管理员可以移除成员"))
    try:
        services.membership_remove(actor=request.user, membership=membership)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已移除成员 %(user)s。") % {"user": membership.user})
    return redirect(org)


# --- invitations ------------------------------------------------------------------------------
INVITATION_SENT = gettext_lazy(
    "已记录对该账号的邀请。如该账号可以加入本机构，对方登录后会在首页看到邀请，接受后即成为成员。"
    "如果是新同事，请填写姓名和初始密码为其新建账号。"
)


def _decide_invitation(request, invitation_id: int, decide, done: str):
    invitation = selectors.invitation_get_for_user(request.user, invitation_id)
    try:
        decide(actor=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, done % {"org": invitation.organization.name})
    return redirect("home")


@require_POST
@login_required
def invitation_accept(request, invitation_id: int):
    return _decide_invitation(request, invitation_id, services.membership_invitation_accept, _("您已加入「%(org)s」。"))


@require_POST
@login_required
def invitation_decline(request, invitation_id: int):
    return _decide_invitation(
        request, invitation_id, services.membership_invitation_decline, _("已谢绝「%(org)s」的邀请。")
    )


@require_POST
@login_required
def invitation_cancel(request, org_id: int, invitation_id: int):
    org = selectors.organization_get_for_user(request.user, org_id)
    invitation = selectors.invitation_get_for_org(org, invitation_id)
    require(can_manage_members(request.user, org), _("只有机构管理员可以撤回邀请"))
    try:
        services.membership_invitation_cancel(actor=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已撤回对 %(username)s 的邀请。") % {"username": invitation.username})
    return redirect(org)


# --- sign-in security of a member --------------------------------------------------------------
def _member_security_action(request, org_id: int, membership_id: int, action, done: str):
    org = selectors.organization_get_for_user(request.user, org_id)
    membership = selectors.membership_get_for_org(org, membership_id)
    require(can_manage_members(request.user, org), _("只有机构管理员可以管理成员的登录安全"))
    try:
        action(actor=request.user, user=membership.user, organization=org)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, done % {"user": membership.user})
    return redirect(org)


@require_POST
@login_required
def member_unlock(request, org_id: int, membership_id: int):
    return _member_security_action(
        request, org_id, membership_id, services.login_unlock_user, _("已解除 %(user)s 的登录锁定。")
    )


@require_POST
@login_required
def member_two_factor_reset(request, org_id: int, membership_id: int):
    return _member_security_action(
        request,
        org_id,
        membership_id,
        services.two_factor_reset,
        _("已重置 %(user)s 的两步验证，对方下次登录时重新设置。"),
    )


# --- bureau -----------------------------------------------------------------------------
def _require_bureau_reader(user) -> None:
    require(is_bureau_reader(user), BUREAU_STAFF_ONLY)


@require_GET
@login_required
def bureau_home(request):
    require(is_bureau(request.user), BUREAU_STAFF_ONLY)
    tasks, tiles = inbox.bureau_inbox(request.user)
    return render(
        request,
        "accounts/bureau_home.html",
        {
            "is_bureau_reader": is_bureau_reader(request.user),
            "inbox_groups": [tasks] if tasks.items else [],
            "tiles": tiles,
        },
    )


@require_GET
@login_required
def bureau_org_list(request):
    _require_bureau_reader(request.user)
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    orgs = selectors.organization_list_for_bureau(request.user, query=query, status=status)
    return render(
        request,
        "accounts/bureau_org_list.html",
        {
            "page": paginate(request, orgs),
            "query": query,
            "status": status,
            "statuses": Organization.Status.choices,
            "can_manage": can_manage_organizations(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def bureau_org_create(request):
    require(can_manage_organizations(request.user), ORGANIZATION_CREATE_REFUSED)
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已新建评价机构「%(name)s」。") % {"name": org.name})
            return redirect(org)
    return render(request, "accounts/bureau_org_form.html", {"form": form, "creating": True})


@require_http_methods(["GET", "POST"])
@login_required
def bureau_org_edit(request, org_id: int):
    require(can_manage_organizations(request.user), ORGANIZATION_EDIT_REFUSED)
    org = selectors.organization_get_for_user(request.user, org_id)
    # The form only parses (its _post_clean is a no-op), so it never writes into ``org``.
    form = OrganizationForm(request.POST or None, instance=org)
    status_form = OrganizationStatusForm(initial={"status": org.status})
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_update(
                actor=request.user, organization=org, **{f: form.cleaned_data[f] for f in form.Meta.fields}
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已保存评价机构信息。"))
            return redirect(org)
    return render(
        request,
        "accounts/bureau_org_form.html",
        {"form": form, "creating": False, "org": org, "status_form": status_form},
    )


@require_POST
@login_required
def bureau_org_status(request, org_id: int):
    require(can_manage_organizations(request.user), ORGANIZATION_STATUS_REFUSED)
    org = selectors.organization_get_for_user(request.user, org_id)
    form = OrganizationStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择有效的状态。"))
        return redirect("accounts:bureau_org_edit", org_id=org.pk)
    try:
        services.organization_set_status(actor=request.user, organization=org, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("机构状态已更新。"))
    return redirect("accounts:bureau_org_edit", org_id=org.pk)
