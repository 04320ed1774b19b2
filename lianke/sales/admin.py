from django.contrib import admin

from lianke.core.admin import HistoryAdmin

from .models import Stage, StageSet


class StageInline(admin.TabularInline):
    model = Stage
    extra = 1
    fields = ("order", "name", "name_en", "probability", "kind")


@admin.register(StageSet)
class StageSetAdmin(HistoryAdmin):
    history_related = ("stages",)
    list_display = ("name", "name_en", "is_default", "is_active")
    inlines = [StageInline]
