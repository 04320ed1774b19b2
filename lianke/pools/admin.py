from django.contrib import admin

from lianke.core.admin import HistoryAdmin
from lianke.org.kinds import Config

from .models import Pool, administered
from .services import DELEGATED_FIELDS


@admin.register(Pool)
class PoolAdmin(HistoryAdmin):
    # A pool's administrators see and edit that pool (Settings › Pools, ``pools.views``).
    config = Config(delegates=administered)
    list_display = ("name", "object_type", "is_active")
    list_filter = ("object_type", "is_active")
    search_fields = ("name",)
    filter_horizontal = ("members", "member_departments", "admins")

    def get_readonly_fields(self, request, obj=None):
        """A delegate (a pool's administrator) changes only what is delegated to him."""
        if request.user.is_superuser:
            return ()
        return [
            f.name
            for f in Pool._meta.get_fields()
            if not f.auto_created and f.editable and f.name not in DELEGATED_FIELDS
        ]
