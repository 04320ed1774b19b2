from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "lianke.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.db.models.signals import post_migrate
        from django.utils.module_loading import autodiscover_modules

        from . import (
            cfindexes,
            checks,  # noqa: F401  (registers the system checks)
            configcache,
            fieldtypes,
        )
        from .models import CustomField, SavedView
        from .records import events, rollups  # noqa: F401  (rollups: registers the roll-up kind)
        from .search import fts

        # SQLite's JSON expressions compiled alike in every process (an index serves a sort).
        cfindexes.steady_sqlite_json_sql()

        # Field kinds that keep a value in step with other records' writes (roll-ups) hear the
        # write pipeline's events inside its transaction.
        events.unsubscribe(fieldtypes.dispatch)
        events.subscribe(fieldtypes.dispatch, durable=True)

        # The search tables of SQLite follow the declared search fields after every migrate.
        post_migrate.connect(fts.sync, sender=self, dispatch_uid="lianke.core.search.fts.sync")

        # Configuration read by every request is kept across requests behind a token that
        # triggers on its tables replace (installed again after every migrate).
        for model in (
            CustomField,
            SavedView,
            SavedView.shared_roles.through,
            SavedView.shared_departments.through,
        ):
            configcache.watch(model)
        post_migrate.connect(configcache.install, sender=self, dispatch_uid="lianke.core.configcache.install")

        # The recycle bin is emptied of what is past the retention period every night (a
        # scheduled job: the ``jobs`` app runs it and keeps its run log).
        from . import schedules, tasks

        schedules.job(
            "purge_recycle_bin",
            tasks.purge_job,
            label=_("Empty the recycle bin"),
            description=_(
                "Deletes for good the records in the recycle bin longer than the retention period."
            ),
            cron="0 3 * * *",
        )

        # Each business app declares its object types in ``objects.py`` and its home-page
        # widgets in ``home.py``.
        autodiscover_modules("objects")
        autodiscover_modules("home")
