"""Backoffice (docs/contract.md §5): the captures kept, with thumbnails, who asked, when, URL,
size."""

from django.contrib import admin
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from browser.models import Capture
from browser.services import capture_delete


@admin.register(Capture)
class CaptureAdmin(admin.ModelAdmin):
    list_display = ["thumbnail", "kind", "owner", "created_at", "source_url", "size", "dimensions"]
    list_filter = ["kind", "created_at"]
    search_fields = ["source_url", "owner__username"]
    list_select_related = ["owner"]
    readonly_fields = [
        "preview",
        "kind",
        "owner",
        "created_at",
        "source_url",
        "file",
        "content_type",
        "size_bytes",
        "width",
        "height",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        content = self.admin_site.admin_view(self.content_view)
        return [
            path("<int:capture_id>/content/", content, name="browser_capture_content"),
            *super().get_urls(),
        ]

    def content_view(self, request, capture_id: int):
        """The stored bytes, read through the storage (a folder, or S3), for staff only."""
        if not self.has_view_permission(request):
            raise Http404
        capture = get_object_or_404(Capture, pk=capture_id)
        try:
            handle = capture.file.open("rb")
        except FileNotFoundError:
            raise Http404("The stored file is gone") from None
        return FileResponse(handle, content_type=capture.content_type)

    def _content_url(self, capture: Capture) -> str:
        return reverse("admin:browser_capture_content", args=[capture.pk])

    @admin.display(description="Capture")
    def thumbnail(self, capture: Capture):
        if not capture.content_type.startswith("image/"):
            return format_html(
                '<a href="{}">{}</a>', self._content_url(capture), capture.kind.upper()
            )
        return format_html(
            '<img src="{}" alt="" style="max-width:160px;max-height:90px">',
            self._content_url(capture),
        )

    @admin.display(description="Preview")
    def preview(self, capture: Capture):
        if not capture.content_type.startswith("image/"):
            return format_html('<a href="{}">Open</a>', self._content_url(capture))
        return format_html(
            '<img src="{}" alt="" style="max-width:600px">', self._content_url(capture)
        )

    @admin.display(description="Size", ordering="size_bytes")
    def size(self, capture: Capture) -> str:
        return f"{capture.size_bytes / 1024:.1f} KiB"

    @admin.display(description="Pixels")
    def dimensions(self, capture: Capture) -> str:
        return f"{capture.width}x{capture.height}" if capture.width else "—"

    def delete_model(self, request, obj):
        capture_delete(capture=obj)

    def delete_queryset(self, request, queryset):
        for capture in queryset:
            capture_delete(capture=capture)
