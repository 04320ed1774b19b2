"""``lianke demo [--scale N]``: migrate if needed and load the demo dataset."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from lianke.core.context import system_context
from lianke.core.demo.loader import DEMO_PASSWORD, DemoLoader, demo_logins


class Command(BaseCommand):
    help = "Load the deterministic demo dataset (a steel and metal-products group)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=int, default=1, help="Multiply the volume (500 = 1,000,000 accounts)."
        )
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args, **options):
        from lianke.org.models import User

        if options["scale"] < 1:
            raise CommandError("--scale must be 1 or more.")
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        from lianke.core.objecttypes.registry import registry

        with system_context():
            loaded = User.objects.filter(username="zhang.wei").exists()
            has_data = User.objects.exists() or any(ot.model._base_manager.exists() for ot in registry)
        if has_data and not loaded:
            # The bulk load rebuilds indexes and constraints: never on a database in use.
            raise CommandError(
                "This database already holds data; the demo loads only into an empty database."
            )
        if loaded:
            self.stdout.write("The demo data is already loaded.")
        else:
            started = time.monotonic()
            DemoLoader(scale=options["scale"], progress=self.stdout.write).load()
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {time.monotonic() - started:.0f} s."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, what in demo_logins():
            self.stdout.write(f"  {username:<10} {what}")
