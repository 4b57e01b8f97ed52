from django.contrib import admin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, MembershipInvitation, Organization, User
from config.admin import ReadOnlyModelAdmin

# Bureau roles are auth groups: renaming or deleting one in the admin would take a role from
# every holder with no audit event. They change only through accounts.services.
admin.site.unregister(Group)
# django-otp's own admins show TOTP secrets and recovery codes and edit devices unaudited;
# two-factor sign-in changes only through accounts.services.security.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(Group)
class GroupAdmin(ReadOnlyModelAdmin):
    list_display = ("name",)


@admin.register(User)
class UserAdmin(ReadOnlyModelAdmin):
    list_display = ("username", "full_name", "is_active", "last_login")
    search_fields = ("username", "full_name")
    exclude = ("password",)


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "credit_code", "kind", "province_sequence", "status")
    search_fields = ("name", "credit_code")
    list_filter = ("kind", "status")


@admin.register(Membership)
class MembershipAdmin(ReadOnlyModelAdmin):
    list_display = ("user", "organization", "role")
    list_filter = ("role",)
    list_select_related = ("user", "organization")


@admin.register(MembershipInvitation)
class MembershipInvitationAdmin(ReadOnlyModelAdmin):
    list_display = ("username", "organization", "role", "status", "created_at")
    list_filter = ("status", "role")
    list_select_related = ("organization",)
