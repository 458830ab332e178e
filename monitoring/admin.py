"""The backoffice's monitoring pages: the pulse dashboard (as the metrics' changelist) and
the alarm incidents."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from monitoring.dashboard import pulse
from monitoring.models import AlarmIncident, MetricMinute


@admin.register(MetricMinute)
class PulseAdmin(admin.ModelAdmin):
    """/admin/monitoring/metricminute/ shows the pulse dashboard, not rows."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # The replaced changelist checked this itself; the dashboard must too (view or change).
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Pulse",
            "opts": self.model._meta,
            **pulse(range_name=request.GET.get("range", "hour")),
        }
        return TemplateResponse(request, "admin/monitoring/pulse.html", context)


@admin.register(AlarmIncident)
class AlarmIncidentAdmin(admin.ModelAdmin):
    list_display = [
        "rule",
        "severity",
        "detail",
        "opened_at",
        "level",
        "last_notified_at",
        "resolved_at",
    ]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter), "severity"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False
