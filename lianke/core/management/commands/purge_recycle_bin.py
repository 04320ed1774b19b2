from django.conf import settings
from django.core.management.base import BaseCommand

from lianke.core.tasks import purge_recycle_bin


class Command(BaseCommand):
    help = (
        "Delete for good the records that have been in the recycle bin longer than the retention"
        " period. The scheduled job purge_recycle_bin does this every night; `lianke jobs run"
        " purge_recycle_bin` runs it now and records the run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.LIANKE_RECYCLE_BIN_DAYS)
        parser.add_argument("--dry-run", action="store_true", help="list what would be purged, purge nothing")

    def handle(self, *args, **options):
        def report(message, **data):
            if options["dry_run"] and options["verbosity"] >= 1:
                self.stdout.write(message)

        count = purge_recycle_bin(days=options["days"], dry_run=options["dry_run"], report=report)
        if options["dry_run"]:
            self.stdout.write(f"Would purge {count} records older than {options['days']} days.")
        else:
            self.stdout.write(f"Purged {count} records older than {options['days']} days.")
