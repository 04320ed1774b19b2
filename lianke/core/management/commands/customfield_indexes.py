"""``lianke customfield_indexes [--apply]``: build the indexes of custom fields marked for sorting."""

import time

from django.core.management.base import BaseCommand

from lianke.core import cfindexes


class Command(BaseCommand):
    help = (
        "List (or with --apply, build and drop) the indexes that sort lists by the custom fields "
        "marked 'indexed for sorting'. Run at deploy or maintenance time; on PostgreSQL the "
        "indexes are built concurrently, writes go on."
    )

    def add_arguments(self, parser):
        parser.add_argument("--apply", action="store_true", help="carry the changes out")

    def handle(self, *args, apply=False, **options):
        steps = cfindexes.plan()
        if not steps:
            self.stdout.write("Custom-field indexes are up to date.")
            return
        for change, _model, _index in steps:
            what = f" for {change.field}" if change.field else " (no field marked for it any more)"
            self.stdout.write(f"{change.action} {change.index} on {change.table}{what}")
        if not apply:
            self.stdout.write(f"{len(steps)} change(s); run with --apply to carry them out.")
            return
        started = time.monotonic()
        cfindexes.apply(steps)
        self.stdout.write(f"Applied {len(steps)} change(s) in {time.monotonic() - started:.1f} s.")
