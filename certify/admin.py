"""Read-only admin for inspection; every change goes through the services."""

from django.contrib import admin

from certify import models
from config.admin import ReadOnlyModelAdmin


@admin.register(models.Occupation)
class OccupationAdmin(ReadOnlyModelAdmin):
    list_display = ("code", "name", "edition", "is_shortage")
    search_fields = ("code", "name")


@admin.register(models.WorkType)
class WorkTypeAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "occupation")
    search_fields = ("name",)
    list_select_related = ("occupation",)


@admin.register(models.Filing)
class FilingAdmin(ReadOnlyModelAdmin):
    list_display = ("number", "organization", "valid_from", "valid_until", "status")
    list_filter = ("status",)
    list_select_related = ("organization",)


@admin.register(models.StandardVersion)
class StandardVersionAdmin(ReadOnlyModelAdmin):
    list_display = ("title", "version", "status", "published_at")
    list_filter = ("status",)


@admin.register(models.StandardLevel)
class StandardLevelAdmin(ReadOnlyModelAdmin):
    list_display = ("version", "level")
    list_select_related = ("version",)
