"""``lianke handover FROM_USER TO_USER [--dry-run]``: hand everything of a leaving user over to a
colleague (``core.records.handover``), printing per kind what moves (count and a sample)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from lianke.core.context import Source, acting_as
from lianke.core.records.handover import handover
from lianke.org.models import User


class Command(BaseCommand):
    help = (
        "Hand over everything of FROM_USER (records he owns, open tasks, records shared with him, "
        "shared saved views…) to TO_USER. --dry-run prints what would move and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("from_user", help="username of the leaving user")
        parser.add_argument("to_user", help="username of the colleague who takes over")
        parser.add_argument("--dry-run", action="store_true", help="print what would move; change nothing")
        parser.add_argument(
            "--deactivate", action="store_true", help="deactivate FROM_USER once everything has moved"
        )
        parser.add_argument(
            "--by",
            metavar="USERNAME",
            help="the administrator the history names (default: the first active administrator)",
        )

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        return user

    def handle(self, *args, **options):
        from_user, to_user = self._user(options["from_user"]), self._user(options["to_user"])
        if options["by"]:
            actor = self._user(options["by"])
        else:
            actor = User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()
            if actor is None:
                raise CommandError("No active administrator to act as: name one with --by.")
        with acting_as(actor, source=Source.COMMAND):
            try:
                report = handover(
                    actor,
                    from_user,
                    to_user,
                    dry_run=options["dry_run"],
                    deactivate=options["deactivate"],
                )
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from exc
        verb = "would move" if report.dry_run else "moved"
        self.stdout.write(f"{from_user.username} → {to_user.username}")
        for item in report.items:
            if not item.count and not item.error:
                continue
            done = item.count if report.dry_run else item.moved
            line = f"  {item.label}: {verb} {done} of {item.count}"
            if item.sample:
                line += f" (e.g. {', '.join(item.sample)})"
            self.stdout.write(line)
            if item.error:
                self.stderr.write(f"    stopped, {item.left} left: {item.error}")
        total = report.total if report.dry_run else report.moved
        self.stdout.write(f"Total: {verb} {total} of {report.total}.")
        if report.deactivated:
            self.stdout.write(f"{from_user.username} is deactivated.")
        if not report.dry_run and not report.complete:
            raise CommandError("Not everything moved; run the command again to move what is left.")
