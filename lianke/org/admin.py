from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lianke.core.admin import HistoryAdmin, ReadOnlyAdmin
from lianke.core.errors import coded_form
from lianke.core.objecttypes.registry import registry

from . import tokens
from .choices import Action
from .fieldaccess import configurable_fields
from .models import ApiToken, AuditEvent, Department, FieldPermission, Role, RolePermission, User
from .paths import DepartmentPathChoiceField, DepartmentPathListFilter, department_path


class DepartmentPathsMixin:
    """Departments are chosen and listed by path ("江苏公司 / 销售一部"): team names repeat."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Department:
            return DepartmentPathChoiceField(
                queryset=Department.objects.all(),
                required=not db_field.blank,
                label=capfirst(db_field.verbose_name),
                help_text=db_field.help_text,
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("department"), ordering="department__name")
    def department_path(self, obj):
        return department_path(obj.department_id)


@admin.register(Department)
class DepartmentAdmin(DepartmentPathsMixin, HistoryAdmin):
    list_display = ("name", "parent_path", "manager", "code", "sort_order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    autocomplete_fields = ("manager",)

    @admin.display(description=_("parent"), ordering="parent__name")
    def parent_path(self, obj):
        return department_path(obj.parent_id)


@admin.register(User)
class UserAdmin(DepartmentPathsMixin, BaseUserAdmin, HistoryAdmin):
    list_display = ("username", "name", "department_path", "title", "superior", "is_active", "is_superuser")
    list_filter = ("is_active", "is_superuser", "roles", ("department", DepartmentPathListFilter))
    search_fields = ("username", "name", "mobile", "email")
    autocomplete_fields = ("superior",)
    change_password_form = coded_form(AdminPasswordChangeForm)
    filter_horizontal = ("roles", "groups", "user_permissions")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("Organisation"),
            {
                "fields": (
                    "name",
                    "department",
                    "title",
                    "superior",
                    "mobile",
                    "phone",
                    "employee_no",
                    "roles",
                )
            },
        ),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "name", "department", "superior", "password1", "password2"),
            },
        ),
    )


class RolePermissionForm(forms.ModelForm):
    """Object type as a list of registered objects; actions as checkboxes."""

    object_type = forms.ChoiceField(label=_("object type"), choices=())
    actions = forms.MultipleChoiceField(
        label=_("actions"), choices=(), widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = RolePermission
        fields = ("object_type", "actions", "scope")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A child type takes no grants of its own: its parent's decide.
        # An empty first choice: the inline's blank extra row must post nothing (with a type
        # preselected it would be a new grant, refused as a duplicate of an existing one).
        self.fields["object_type"].choices = [
            ("", "---------"),
            *((t.key, t.label) for t in registry if t.kind != "child"),
        ]
        actions: dict[str, str] = {}
        for ot in registry:
            actions.update(dict(ot.actions))
        self.fields["actions"].choices = list(actions.items())


class RolePermissionInline(admin.TabularInline):
    model = RolePermission
    form = RolePermissionForm
    extra = 1


class FieldPermissionForm(forms.ModelForm):
    """Object type from the registry; the field from that type's fields, grouped by type
    ("客户 / 统一社会信用代码"), custom fields included. The model's ``clean`` checks the pair."""

    object_type = forms.ChoiceField(label=_("object type"), choices=())
    field = forms.ChoiceField(label=_("field"), choices=())

    class Meta:
        model = FieldPermission
        fields = ("object_type", "field", "mode")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", "---------"), *registry.choices()]
        groups = []
        for ot in registry:
            specs = configurable_fields(ot.key) or {}
            groups.append((ot.label, [(name, spec.label) for name, spec in specs.items()]))
        self.fields["field"].choices = [("", "---------"), *groups]


class FieldPermissionInline(admin.TabularInline):
    model = FieldPermission
    form = FieldPermissionForm
    extra = 1
    verbose_name = _("field permission")
    verbose_name_plural = _("field permissions (hidden, masked, read only; no rule: editable)")


@admin.register(Role)
class RoleAdmin(HistoryAdmin):
    history_related = ("permissions", "field_permissions")
    list_display = ("name", "is_active", "description")
    search_fields = ("name",)
    inlines = [RolePermissionInline, FieldPermissionInline]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin, HistoryAdmin):
    """Every user's API tokens, to see and to revoke — administrators only (a config kind) —,
    never to make or read: a key is made by its user on the profile page or by ``lianke
    token``, and shown only then. Revoking goes through ``org.tokens`` (history included)."""

    list_display = (
        "name",
        "user",
        "display_key",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "user__username", "user__name")
    list_select_related = ("user",)
    actions = ["revoke"]

    @admin.display(description=_("key"))
    def display_key(self, obj):
        return obj.display_key

    def has_revoke_permission(self, request):
        return self._may(request, Action.EDIT)

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request, queryset):
        count = 0
        for user in User.objects.filter(pk__in=queryset.values("user")):
            count += tokens.revoke_tokens(user=user, tokens=queryset, actor=request.user)
        message = ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, HistoryAdmin):
    """The data-protection audit for superusers in the fallback admin (the page of record is
    Settings › Audit, ``org.views.audit_log``); never edited or deleted."""

    list_display = ("at", "kind", "actor_name", "ip", "object_type", "summary")
    list_filter = ("kind",)
    search_fields = ("summary", "actor_name")
    date_hierarchy = "at"
