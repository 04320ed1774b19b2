"""The console's forms: they parse and show; the services (``console.services``) decide and
write. Errors are coded (``CodedErrorsForm``), departments chosen by path, people among the
active users. The custom field form is the one the advanced settings use (``core.admin``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lianke.core.admin import CustomFieldForm as AdminCustomFieldForm
from lianke.core.errors import CodedErrorsForm
from lianke.core.ui.filtersets import KeyChoiceField
from lianke.core.ui.forms import style_settings_form
from lianke.org.models import Department, Role, User
from lianke.org.paths import DepartmentPathChoiceField
from lianke.org.users import active_users

from .services import DEPARTMENT_FIELDS, USER_FIELDS


class PersonChoiceField(KeyChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.username})"


class DepartmentForm(CodedErrorsForm, forms.ModelForm):
    parent = DepartmentPathChoiceField(queryset=Department.objects.all(), required=False, label=_("parent"))
    manager = PersonChoiceField(queryset=User.objects.none(), required=False, label=_("manager"))

    class Meta:
        model = Department
        fields = DEPARTMENT_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = active_users().order_by("name_pinyin", "username")

    def _post_clean(self):
        """The service validates the stored record under its lock; the form's copy is not
        touched (a refused save must leave the page's record as it was)."""


class MoveDepartmentForm(CodedErrorsForm, forms.Form):
    parent = DepartmentPathChoiceField(
        queryset=Department.objects.all(), required=False, label=_("Move under"), empty_label=_("(top level)")
    )


class UserForm(CodedErrorsForm, forms.ModelForm):
    department = DepartmentPathChoiceField(
        queryset=Department.objects.all(), required=False, label=_("department")
    )
    superior = PersonChoiceField(queryset=User.objects.none(), required=False, label=_("superior"))
    roles = forms.ModelMultipleChoiceField(
        queryset=Role.objects.all(), required=False, widget=forms.CheckboxSelectMultiple, label=_("roles")
    )
    password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Required for a new user; leave empty to keep the password."),
    )

    class Meta:
        model = User
        fields = USER_FIELDS
        labels = {"is_superuser": _("administrator")}
        help_texts = {"is_superuser": _("Administrators open every settings page and see every record.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = active_users()
        if self.instance.pk:
            people = people.exclude(pk=self.instance.pk)
        self.fields["superior"].queryset = people.order_by("name_pinyin", "username")
        self.fields["roles"].queryset = Role.objects.filter(is_active=True) | Role.objects.filter(
            pk__in=self.instance.roles.all() if self.instance.pk else []
        )

    def _post_clean(self):
        """Validated by the service, on the stored user under a lock (a superior loop…)."""


class RoleForm(CodedErrorsForm, forms.ModelForm):
    class Meta:
        model = Role
        fields = ("name", "description", "is_active")
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def _post_clean(self):
        """Validated by the service (a duplicate name is a coded field error there)."""


class CustomFieldForm(CodedErrorsForm, AdminCustomFieldForm):
    """The definition form of the advanced settings, without what the console sets itself (the
    object type from the page, the order by dragging, the active flag by its own button); a
    field's type and name are chosen once."""

    class Meta(AdminCustomFieldForm.Meta):
        fields = (  # type: ignore[assignment]
            "name",
            "label",
            "label_en",
            "type",
            "section",
            "required",
            "help_text",
            "options",
            "default",
            "target_object_type",
            "depends_on",
            "formula",
            "max_length",
            "min_value",
            "max_value",
            "decimal_places",
            "searchable",
            "indexed",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["object_type"]
        if self.instance.pk:
            for name in ("name", "type"):
                self.fields[name].disabled = True
        style_settings_form(self)  # the admin's widgets (a 60-column textarea) fit a phone

    def _post_clean(self):
        """Validated by the service, with the definition's own checks (options, formulas…)."""
