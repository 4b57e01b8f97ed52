from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", views.password_change, name="password_change"),
    path("orgs/<int:org_id>/", views.org_detail, name="org_detail"),
    path("orgs/<int:org_id>/members/add/", views.member_add, name="member_add"),
    path("orgs/<int:org_id>/members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path("orgs/<int:org_id>/members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("bureau/", views.bureau_home, name="bureau_home"),
    path("bureau/orgs/", views.bureau_org_list, name="bureau_org_list"),
    path("bureau/orgs/new/", views.bureau_org_create, name="bureau_org_create"),
    path("bureau/orgs/<int:org_id>/edit/", views.bureau_org_edit, name="bureau_org_edit"),
    path("bureau/orgs/<int:org_id>/status/", views.bureau_org_status, name="bureau_org_status"),
]
