from django.contrib import admin

from lianke.core.admin import HistoryAdmin

from .models import Pool


@admin.register(Pool)
class PoolAdmin(HistoryAdmin):
    list_display = ("name", "object_type", "is_active")
    list_filter = ("object_type", "is_active")
    search_fields = ("name",)
    filter_horizontal = ("members", "member_departments", "admins")
