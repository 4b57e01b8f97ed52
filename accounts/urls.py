from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.views import orgs, security

app_name = "accounts"

urlpatterns = [
    path("login/", security.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", security.password_change, name="password_change"),
    path("account/two-factor/", security.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/verify/", security.two_factor_verify, name="two_factor_verify"),
    path("invitations/<int:invitation_id>/accept/", orgs.invitation_accept, name="invitation_accept"),
    path("invitations/<int:invitation_id>/decline/", orgs.invitation_decline, name="invitation_decline"),
    path("orgs/<int:org_id>/", orgs.org_detail, name="org_detail"),
    path("orgs/<int:org_id>/members/add/", orgs.member_add, name="member_add"),
    path("orgs/<int:org_id>/members/<int:membership_id>/role/", orgs.member_role, name="member_role"),
    path("orgs/<int:org_id>/members/<int:membership_id>/remove/", orgs.member_remove, name="member_remove"),
    path("orgs/<int:org_id>/members/<int:membership_id>/unlock/", orgs.member_unlock, name="member_unlock"),
    path(
        "orgs/<int:org_id>/members/<int:membership_id>/two-factor-reset/",
        orgs.member_two_factor_reset,
        name="member_two_factor_reset",
    ),
    path("orgs/<int:org_id>/invitations/<int:invitation_id>/cancel/", orgs.invitation_cancel, name="invitation_cancel"),
    path("bureau/", orgs.bureau_home, name="bureau_home"),
    path("bureau/orgs/", orgs.bureau_org_list, name="bureau_org_list"),
    path("bureau/orgs/new/", orgs.bureau_org_create, name="bureau_org_create"),
    path("bureau/orgs/<int:org_id>/edit/", orgs.bureau_org_edit, name="bureau_org_edit"),
    path("bureau/orgs/<int:org_id>/status/", orgs.bureau_org_status, name="bureau_org_status"),
    path("bureau/sign-in/", security.bureau_security, name="bureau_security"),
    path("bureau/sign-in/unlock/", security.bureau_unlock_user, name="bureau_unlock_user"),
    path("bureau/sign-in/unlock-address/", security.bureau_unlock_address, name="bureau_unlock_address"),
    path("bureau/sign-in/two-factor-reset/", security.bureau_two_factor_reset, name="bureau_two_factor_reset"),
]
