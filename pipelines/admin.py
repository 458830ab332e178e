"""Backoffice (docs/contract.md §5): runs with progress, packets, scratchpad, results, dead letters,
uploaded input files."""

from django.contrib import admin, messages
from django.core.files.storage import default_storage

from pipelines import admin_dead_letters  # noqa: F401  (registers the dead letters' admin)
from pipelines.admin_base import ReadOnlyAdminMixin, change_link
from pipelines.models import Packet, PipelineRun, RunResult, ScratchpadEntry, Upload
from pipelines.services.cleanup import run_redrive


def _bytes_of(packet) -> str:
    """A range of the run's file, or "—" for a packet of POSTed elements."""
    if packet.byte_start is None:
        return "—"
    return f"{packet.byte_start:,} to {packet.byte_end:,}"


class PacketInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Packet
    fields = ["index", "file_bytes", "element_count", "mapped", "reduced"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("scratchpad")

    @admin.display(description="file bytes")
    def file_bytes(self, packet):
        return _bytes_of(packet)

    @admin.display(boolean=True)
    def mapped(self, packet):
        return hasattr(packet, "scratchpad")

    @admin.display(boolean=True)
    def reduced(self, packet):
        return hasattr(packet, "scratchpad") and packet.scratchpad.reduced_at is not None


@admin.register(PipelineRun)
class PipelineRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "pipeline",
        "owner",
        "state",
        "progress",
        "packet_count",
        "redrive_count",
        "queued",
        "last_sent_at",
        "created_at",
        "finished_at",
    ]
    list_filter = ["state", "pipeline"]
    search_fields = ["id", "owner__username", "request_id"]
    list_select_related = ["owner", "result"]
    readonly_fields = [
        "id",
        "pipeline",
        "owner",
        "state",
        "progress",
        "result_value",
        "element_count",
        "packet_size",
        "packet_count",
        "redrive_count",
        "failure_reason",
        "queued",
        "last_sent_at",
        "request_id",
        "upload_link",
        "ranges_read",
        "purged_at",
        "created_at",
        "updated_at",
        "finished_at",
    ]
    fields = readonly_fields
    inlines = [PacketInline]
    actions = ["redrive"]

    @admin.display(description="elements reduced")
    def progress(self, run):
        result = getattr(run, "result", None)
        done = result.elements_reduced if result else 0
        percent = 100 * done // run.element_count if run.element_count else 100
        return f"{done} / {run.element_count} ({percent}%)"

    @admin.display(boolean=True, description="queued")
    def queued(self, run):
        """Its messages reached the queue (no: the queue was down at start; the cleanup job
        or the stall watch sends it)."""
        return run.last_sent_at is not None

    @admin.display(description="upload")
    def upload_link(self, run):
        return change_link("upload", run.upload_id, empty="— (the POST's array)")

    @admin.display(description="ranges of the file read")
    def ranges_read(self, run):
        """A run over a file: how many of its byte ranges are mapped (its element count is
        known once all are)."""
        if run.upload_id is None:
            return "—"
        read = run.scratchpad.count()
        return f"{read} / {run.packet_count}" + ("" if read < run.packet_count else " (all)")

    @admin.display(description="result")
    def result_value(self, run):
        result = getattr(run, "result", None)
        return result.value_json if result and run.state == "done" else "—"

    def has_redrive_permission(self, request):
        return request.user.has_perm("pipelines.change_pipelinerun")

    @admin.action(
        description="Re-drive: queue again what the selected runs still need",
        permissions=["redrive"],
    )
    def redrive(self, request, queryset):
        sent = sum(run_redrive(run=run) for run in queryset)
        self.message_user(request, f"Queued {sent} messages.", messages.SUCCESS)


@admin.register(Upload)
class UploadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "pipeline", "owner", "size", "state", "run_link", "created_at"]
    list_filter = ["pipeline"]
    search_fields = ["id", "owner__username", "storage_name"]
    list_select_related = ["owner", "run"]
    readonly_fields = [
        "id",
        "pipeline",
        "owner",
        "storage_name",
        "size",
        "state",
        "run_link",
        "created_at",
    ]
    fields = readonly_fields
    # Each row asks the media storage for its file's size once (on S3 a HEAD request): the
    # size column and an unstarted upload's state both show it.
    list_per_page = 50

    @staticmethod
    def _file_size(upload) -> int | None:
        if not hasattr(upload, "_admin_file_size"):
            try:
                upload._admin_file_size = default_storage.size(upload.storage_name)
            except Exception:  # no file: not sent yet, or deleted by the retention step
                upload._admin_file_size = None
        return upload._admin_file_size

    @admin.display(description="size (bytes)")
    def size(self, upload):
        size = self._file_size(upload)
        return "—" if size is None else f"{size:,}"

    @admin.display(description="state")
    def state(self, upload):
        run = getattr(upload, "run", None)
        if run is None:
            return (
                "waiting for the file"
                if self._file_size(upload) is None
                else "uploaded, no run started"
            )
        if run.purged_at:
            return f"run {run.state}; file deleted by retention"
        if run.state == "pending":
            return f"run pending: {run.scratchpad.count()} of {run.packet_count} ranges read"
        return f"run {run.state}"

    @admin.display(description="run")
    def run_link(self, upload):
        run = getattr(upload, "run", None)
        return change_link("pipelinerun", run.id if run else None)


@admin.register(Packet)
class PacketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["run", "index", "file_bytes", "element_count"]
    search_fields = ["run__id"]
    readonly_fields = ["run", "index", "file_bytes", "element_count", "elements_json"]

    @admin.display(description="file bytes")
    def file_bytes(self, packet):
        return _bytes_of(packet)


@admin.register(ScratchpadEntry)
class ScratchpadEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "run",
        "packet_index",
        "element_count",
        "value_json",
        "created_at",
        "reduced_at",
    ]
    search_fields = ["run__id"]
    list_filter = [("reduced_at", admin.EmptyFieldListFilter)]


@admin.register(RunResult)
class RunResultAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["run", "packets_reduced", "elements_reduced", "value_json", "updated_at"]
    search_fields = ["run__id"]
