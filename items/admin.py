"""The items backoffice (docs/contract.md §5): search, filter by owner and deletion, restore."""

from django import forms
from django.contrib import admin, messages

from api.errors import ApiError
from items.inputs import validate_item_data
from items.models import Item
from items.services import item_admin_save, item_restore


class ItemAdminForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = ("name", "body", "data")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An emptied name/body is removed from the item (NULL), not kept as "".
        for field in ("name", "body"):
            self.fields[field].empty_value = None

    def clean_data(self):
        data = self.cleaned_data["data"]
        try:
            validate_item_data(data)
        except ApiError as error:
            raise forms.ValidationError(error.message) from error
        return data


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("yes", "Deleted"), ("no", "Not deleted")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "owner", "created_at", "last_updated_at", "deleted_at")
    list_filter = (DeletedFilter, ("owner", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "body", "owner__username")
    list_select_related = ("owner",)
    ordering = ("-created_at",)
    readonly_fields = ("id", "created_at", "last_updated_at", "deleted_at")
    fields = ("id", "owner", "name", "body", "data", "created_at", "last_updated_at", "deleted_at")
    raw_id_fields = ("owner",)
    actions = ["restore_items"]
    form = ItemAdminForm

    def has_add_permission(self, request):
        return False  # items are created by their owners through the API

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "owner")

    def save_model(self, request, obj, form, change):
        item_admin_save(item=obj)

    @admin.action(description="Restore selected deleted items")
    def restore_items(self, request, queryset):
        restored = 0
        for item in queryset.filter(deleted_at__isnull=False):
            item_restore(item=item)
            restored += 1
        self.message_user(request, f"Restored {restored} item(s).", messages.SUCCESS)
