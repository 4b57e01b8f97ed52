from django.contrib import admin

from accounts.models import Membership, Organization, User
from config.admin import ReadOnlyModelAdmin


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
