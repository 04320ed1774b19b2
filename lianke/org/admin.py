from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from lianke.core.registry import registry

from .models import Department, Role, RolePermission, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "manager", "code", "sort_order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    autocomplete_fields = ("manager",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "name", "department", "title", "superior", "is_active", "is_superuser")
    list_filter = ("is_active", "is_superuser", "roles", "department")
    search_fields = ("username", "name", "mobile", "email")
    autocomplete_fields = ("superior", "department")
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
        self.fields["object_type"].choices = registry.choices()
        actions: dict[str, str] = {}
        for ot in registry:
            actions.update(dict(ot.actions))
        self.fields["actions"].choices = list(actions.items())


class RolePermissionInline(admin.TabularInline):
    model = RolePermission
    form = RolePermissionForm
    extra = 1


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "description")
    search_fields = ("name",)
    inlines = [RolePermissionInline]
