from django.contrib import admin
from django.contrib.auth.models import Group

from accounts.models import Membership, Organization, User
from config.admin import ReadOnlyModelAdmin

# Bureau roles are auth groups: renaming or deleting one in the admin would take a role from
# every holder with no audit event. They change only through accounts.services.
admin.site.unregister(Group)


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
