import copy
import json
import re

from django import forms
from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from lianke.org import access
from lianke.org.choices import Action
from lianke.org.kinds import Config

from .context import SOURCE_LABELS
from .errors import CodedErrorList, coded_form
from .models import Attachment, CustomField, ObjectChange
from .objecttypes.registry import registry
from .records import audit
from .records.attachments import delete_attachment

# The settings pages are named for people, not "Django administration"; so are the
# third-party apps that show there (their app names are not translatable upstream).
admin.site.site_header = _("Lianke CRM settings")
admin.site.site_title = _("Lianke CRM")
admin.site.index_title = _("Settings")
for _label, _name in (("axes", _("Login security")), ("django_tasks_database", _("Background jobs"))):
    if _label in apps.app_configs:
        apps.app_configs[_label].verbose_name = _name


class HistoryAdmin(admin.ModelAdmin):
    """Settings pages of a config kind (``org.kinds.Config``): who may see and change them is the
    kind's to say (administrators; the delegates it declares for their own records), and every
    change goes into history (who, when, old → new), many-to-many choices and the inline rows
    named in ``history_related`` included."""

    history_related: tuple[str, ...] = ()
    #: The settings object's kind; a page declares its delegates here (a pool's administrators).
    config: Config = Config()

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        access.register_policy(model, copy.copy(self.config))

    # The kind decides, not Django's model permissions: a staff user given "change role" must
    # not be able to grant himself more (a permission escalation).
    def has_module_permission(self, request):
        return access.has_action(request.user, self.model, Action.VIEW)

    def _may(self, request, action, obj=None) -> bool:
        if obj is not None:
            return access.can(request.user, obj, action)
        return access.has_action(request.user, self.model, action)

    def has_view_permission(self, request, obj=None):
        return self._may(request, Action.VIEW, obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request, Action.EDIT, obj)

    def has_add_permission(self, request):
        return self._may(request, Action.CREATE)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, Action.DELETE, obj)

    def get_queryset(self, request):
        q = access.scope_q(request.user, self.model, Action.VIEW)
        queryset = super().get_queryset(request)
        return queryset.filter(q) if q is not None else queryset.none()

    def _snapshot(self, obj):
        return audit.config_snapshot(obj, self.history_related)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id:
            stored = self.model._default_manager.filter(pk=object_id).first()
            request._history_before = self._snapshot(stored) if stored is not None else None
        return super().changeform_view(request, object_id, form_url, extra_context)

    # Every settings page shows each error with its stable code (``data-error-code``), as the
    # record forms do: its form and its inline rows use the coded error list.
    def get_form(self, request, obj=None, change=False, **kwargs):
        return coded_form(super().get_form(request, obj, change=change, **kwargs))

    def get_formset_kwargs(self, request, obj, inline, prefix):
        return {**super().get_formset_kwargs(request, obj, inline, prefix), "error_class": CodedErrorList}

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(request, "_history_before", None) if change else None
        action = ObjectChange.ActionChoices.UPDATE if change else ObjectChange.ActionChoices.CREATE
        audit.record(action, obj, before, self._snapshot(obj), actor=request.user)

    def delete_model(self, request, obj):
        before = self._snapshot(obj)
        pk = obj.pk
        super().delete_model(request, obj)
        obj.pk = pk
        audit.record(ObjectChange.ActionChoices.DELETE, obj, before, None, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class OptionsField(forms.CharField):
    """Options edited as lines ``key | 中文 | English`` (prefix ``-`` to deactivate); a dependent
    select adds ``| parent values`` (comma-separated option keys or provinces)."""

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
            when = ", ".join(o.get("when") or [])
            line = f"{prefix}{o['key']} | {o.get('label', '')} | {o.get('label_en', '')} | {when}"
            lines.append(line.rstrip(" |"))
        return "\n".join(lines)

    def to_python(self, value):
        options = []
        for line in (value or "").splitlines():
            if not line.strip():
                continue
            active = not line.strip().startswith("-")
            parts = [p.strip() for p in line.strip().lstrip("-").split("|")]
            key = parts[0]
            option = {
                "key": key,
                "label": parts[1] if len(parts) > 1 and parts[1] else key,
                "label_en": parts[2] if len(parts) > 2 else "",
                "is_active": active,
            }
            when = [v.strip() for v in re.split(r"[,，]", parts[3]) if v.strip()] if len(parts) > 3 else []
            if when:  # a dependent select: the parent's values this option is offered for
                option["when"] = when
            options.append(option)
        return options


class CustomFieldForm(forms.ModelForm):
    object_type = forms.ChoiceField(label=_("object type"), choices=())
    target_object_type = forms.ChoiceField(label=_("lookup target"), choices=(), required=False)
    options = OptionsField(
        label=_("options"),
        required=False,
        help_text=_(
            "One option per line: key | 中文 | English. Start a line with - to deactivate it (old "
            "values stay). Dependent selects add | the parent's values it is offered for, e.g. "
            "suzhou | 苏州市 | Suzhou | 江苏省."
        ),
    )

    class Meta:
        model = CustomField
        fields = "__all__"  # noqa: DJ007 - the admin edits every attribute of a definition

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = registry.choices()
        self.fields["target_object_type"].choices = [("", "---------"), *registry.choices()]


@admin.display(description=_("object type"), ordering="object_type")
def custom_field_object_type(obj):
    return registry.get(obj.object_type).label if obj.object_type in registry else obj.object_type


@admin.register(CustomField)
class CustomFieldAdmin(HistoryAdmin):
    form = CustomFieldForm
    list_display = (
        "label",
        "name",
        custom_field_object_type,
        "type",
        "required",
        "section",
        "order",
        "indexed",
        "is_active",
    )
    list_filter = ("object_type", "type", "indexed", "is_active")
    search_fields = ("name", "label", "label_en")
    list_editable = ("order", "is_active")


class ObjectTypeListFilter(admin.RelatedFieldListFilter):
    """The ``content_type`` filter, titled for people (the field has no verbose name)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("object type")


@admin.display(description=_("object type"), ordering="content_type")
def object_type(obj):
    return obj.content_type


@admin.display(description=_("record ID"), ordering="object_id")
def record_id(obj):
    return obj.object_id


@admin.display(description=_("source"), ordering="source")
def source(obj):
    return SOURCE_LABELS.get(obj.source, obj.source)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A settings page to look at (and act on through its own actions), never to edit: history,
    API tokens."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ObjectChange)
class ObjectChangeAdmin(ReadOnlyAdmin):
    list_display = ("time", "user_name", source, "action", object_type, "object_repr")
    list_filter = ("action", "source", ("content_type", ObjectTypeListFilter))
    search_fields = ("object_repr", "user_name", "request_id")
    date_hierarchy = "time"


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("name", "mime_type", "size", object_type, record_id, "uploaded_by", "created_at")
    list_filter = ("mime_type",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a file is added or removed on its record, never edited in place

    def delete_model(self, request, obj):
        # Through the service: the edit check on the record, its history and an event.
        delete_attachment(actor=request.user, attachment=obj)

    def delete_queryset(self, request, queryset):
        for attachment in queryset:
            delete_attachment(actor=request.user, attachment=attachment)
