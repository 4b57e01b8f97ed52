from django.contrib import admin

from audit.models import AuditEvent
from config.admin import ReadOnlyModelAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    list_display = ("seq", "created_at", "actor_repr", "event_type", "target_repr")
    list_filter = ("event_type",)
    search_fields = ("target_repr", "actor_repr", "target_id")
