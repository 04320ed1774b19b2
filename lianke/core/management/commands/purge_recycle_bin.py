from django.conf import settings
from django.core.management.base import BaseCommand

from lianke.core.tasks import purge_recycle_bin


class Command(BaseCommand):
    help = "Delete for good the records that have been in the recycle bin longer than the retention period."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.LIANKE_RECYCLE_BIN_DAYS)

    def handle(self, *args, **options):
        count = purge_recycle_bin(days=options["days"])
        self.stdout.write(f"Purged {count} records older than {options['days']} days.")
