"""The flows' settings page in Django's admin (the fallback for superusers; the Settings
console's flow editor calls the same model validation and ``versions.freeze``): a config kind
whose every change is history, steps inline (at least one), and a new version frozen on save."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from lianke.core.admin import HistoryAdmin
from lianke.core.errors import ApprovalCode

from . import versions
from .models import ApprovalFlow, ApprovalStep


class StepFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not kept:
            raise forms.ValidationError(
                _("A flow needs at least one step with its approvers."), code=ApprovalCode.NO_APPROVER
            )


class StepInline(admin.TabularInline):
    model = ApprovalStep
    formset = StepFormSet
    extra = 1
    fields = (
        "position",
        "name",
        "approver_kind",
        "role",
        "levels",
        "user_ids",
        "user_field",
        "mode",
        "condition",
        "time_limit_hours",
    )


@admin.register(ApprovalFlow)
class ApprovalFlowAdmin(HistoryAdmin):
    history_related = ("steps",)
    list_display = ("name", "object_type", "position", "trigger", "is_active")
    list_filter = ("object_type", "is_active")
    inlines = [StepInline]
    readonly_fields = ("created_at",)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        versions.freeze(form.instance, actor=request.user)
