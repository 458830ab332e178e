"""What the pipelines' admin pages share: read-only rows and links between them."""

from django.urls import reverse
from django.utils.html import format_html


def change_link(model: str, pk, empty: str = "—"):
    """A link to a pipelines object's change page, or `empty` without one."""
    if pk is None:
        return empty
    url = reverse(f"admin:pipelines_{model}_change", args=[pk])
    return format_html('<a href="{}">{}</a>', url, pk)


class ReadOnlyAdminMixin:
    """Pipeline rows are written by the steps only; the admin inspects and acts. The edit
    forms stay closed to everyone: an action checks the model permission it stands for
    (docs/contract.md §5), not has_change_permission."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
