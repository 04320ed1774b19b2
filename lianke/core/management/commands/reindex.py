"""``lianke reindex``: rebuild the search tables of the embedded database (``core.search.fts``)."""

import time

from django.core.management.base import BaseCommand
from django.db import connection

from lianke.core.search import fts


class Command(BaseCommand):
    help = (
        "Rebuild the full-text search tables of an SQLite database from its records (after a restore "
        "from a file copy, say). On PostgreSQL the trigram indexes are kept by the database: nothing to do."
    )

    def handle(self, *args, **options):
        if not fts.enabled():
            self.stdout.write(
                f"{connection.vendor}: search indexes are kept by the database; nothing to rebuild."
            )
            return
        started = time.monotonic()
        built = fts.sync(force=True)
        elapsed = time.monotonic() - started
        self.stdout.write(f"Rebuilt {len(built)} search tables ({', '.join(built)}) in {elapsed:.1f} s.")
