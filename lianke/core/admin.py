import json

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Attachment, CustomField, ObjectChange
from .registry import registry


class OptionsField(forms.CharField):
    """Options edited as lines ``key | 中文 | English`` (prefix ``-`` to deactivate)."""

    widget = forms.Textarea(attrs={"rows": 6, "cols": 60})

    def prepare_value(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return value
        lines = []
        for o in value or []:
            prefix = "" if o.get("is_active", True) else "-"
            lines.append(f"{prefix}{o['key']} | {o.get('label', '')} | {o.get('label_en', '')}".rstrip(" |"))
        return "\n".join(lines)

    def to_python(self, value):
        options = []
        for line in (value or "").splitlines():
            if not line.strip():
                continue
            active = not line.strip().startswith("-")
            parts = [p.strip() for p in line.strip().lstrip("-").split("|")]
            key = parts[0]
            options.append(
                {
                    "key": key,
                    "label": parts[1] if len(parts) > 1 and parts[1] else key,
                    "label_en": parts[2] if len(parts) > 2 else "",
                    "is_active": active,
                }
            )
        return options


class CustomFieldForm(forms.ModelForm):
    object_type = forms.ChoiceField(label=_("object type"), choices=())
    target_object_type = forms.ChoiceField(label=_("lookup target"), choices=(), required=False)
    options = OptionsField(
        label=_("options"),
        required=False,
        help_text=_(
            "One option per line: key | 中文 | English. Start a line with - to deactivate it (old values stay)."
        ),
    )

    class Meta:
        model = CustomField
        fields = "__all__"  # noqa: DJ007 - the admin edits every attribute of a definition

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = registry.choices()
        self.fields["target_object_type"].choices = [("", "---------"), *registry.choices()]


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    form = CustomFieldForm
    list_display = ("label", "name", "object_type", "type", "required", "section", "order", "is_active")
    list_filter = ("object_type", "type", "is_active")
    search_fields = ("name", "label", "label_en")
    list_editable = ("order", "is_active")


@admin.register(ObjectChange)
class ObjectChangeAdmin(admin.ModelAdmin):
    list_display = ("time", "user_name", "source", "action", "content_type", "object_repr")
    list_filter = ("action", "source", "content_type")
    search_fields = ("object_repr", "user_name", "request_id")
    date_hierarchy = "time"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("name", "mime_type", "size", "content_type", "object_id", "uploaded_by", "created_at")
    list_filter = ("mime_type",)

    def has_add_permission(self, request):
        return False
