"""The dead letters' backoffice (docs/contract.md §3.6, §5): replay needs the change
permission, drop the delete permission, fetching the SQS dead-letter queues its own
`pipelines.fetch_sqs_deadletter` permission (on AWS it drains those queues)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from pipelines.admin_base import ReadOnlyAdminMixin, change_link
from pipelines.models import DeadLetter
from pipelines.services.dead_letters import (
    dead_letter_drop,
    dead_letter_replay,
    sqs_dead_letters_fetch,
)
from pipelines.services.ranges import dead_letter_range_text

FETCH_SQS_PERMISSION = "pipelines.fetch_sqs_deadletter"


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "source",
        "step",
        "run_link",
        "attempts",
        "short_body",
        "error",
        "created_at",
        "resolved_at",
    ]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter), "source", "step"]
    search_fields = ["body", "message_id", "error"]
    readonly_fields = [
        "source",
        "step",
        "run",
        "attempts",
        "message_id",
        "body",
        "range_input",
        "error",
        "created_at",
        "resolved_at",
    ]
    actions = ["replay", "drop"]
    change_list_template = "admin/pipelines/deadletter/change_list.html"

    def has_delete_permission(self, request, obj=None):
        return False  # "drop" is the deletion, with its own wording

    def has_replay_permission(self, request):
        return request.user.has_perm("pipelines.change_deadletter")

    def has_drop_permission(self, request):
        return request.user.has_perm("pipelines.delete_deadletter")

    @admin.display(description="its range of the file")
    def range_input(self, letter):
        """A range's map carries no elements: the text is read from the run's file when the
        letter is opened (its start), never stored twice."""
        return format_html("<pre>{}</pre>", dead_letter_range_text(dead_letter=letter))

    @admin.display(description="run")
    def run_link(self, letter):
        return change_link("pipelinerun", letter.run_id)

    @admin.display(description="message")
    def short_body(self, letter):
        return letter.body if len(letter.body) <= 120 else letter.body[:117] + "..."

    @admin.action(
        description="Replay: send the selected messages to their step again",
        permissions=["replay"],
    )
    def replay(self, request, queryset):
        replayed = 0
        for letter in queryset:
            try:
                dead_letter_replay(dead_letter=letter)
                replayed += 1
            except Exception as exc:  # the queue is down: keep the letter, say why
                self.message_user(request, f"Dead letter {letter.pk}: {exc}", messages.ERROR)
        self.message_user(request, f"Replayed {replayed} messages.", messages.SUCCESS)

    @admin.action(description="Drop: forget the selected messages", permissions=["drop"])
    def drop(self, request, queryset):
        count = 0
        for letter in queryset:
            dead_letter_drop(dead_letter=letter)
            count += 1
        self.message_user(request, f"Dropped {count} messages.", messages.SUCCESS)

    def get_urls(self):
        return [
            path(
                "fetch-sqs/",
                self.admin_site.admin_view(self.fetch_sqs_view),
                name="pipelines_deadletter_fetch_sqs",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        can_fetch = request.user.has_perm(FETCH_SQS_PERMISSION)
        return super().changelist_view(
            request, {**(extra_context or {}), "can_fetch_sqs": can_fetch}
        )

    def fetch_sqs_view(self, request):
        """POST: move the SQS dead-letter queues' messages into this list."""
        if not request.user.has_perm(FETCH_SQS_PERMISSION):
            raise PermissionDenied
        if request.method == "POST":
            try:
                fetched = sqs_dead_letters_fetch()
                self.message_user(
                    request,
                    f"Fetched {fetched} messages from the SQS dead-letter queues.",
                    messages.SUCCESS,
                )
            except Exception as exc:
                self.message_user(
                    request, f"Could not read the SQS dead-letter queues: {exc}", messages.ERROR
                )
        return HttpResponseRedirect(reverse("admin:pipelines_deadletter_changelist"))
