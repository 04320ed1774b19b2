"""``lianke token USERNAME``: make a new API token for a user and print its key (once)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lianke.core.context import Source, system_context
from lianke.org import tokens
from lianke.org.choices import TokenRevocation, TokenScope
from lianke.org.models import User


def expiry_days(text: str) -> int:
    value = int(text)
    if not 1 <= value <= tokens.MAX_EXPIRY_DAYS:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Create a new API token for USERNAME and print its key (shown only now; Lianke keeps "
        "its hash). --rotate first revokes the user's other tokens."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--name", default="lianke token", help="what the token is for (default: %(default)s)"
        )
        parser.add_argument(
            "--scope",
            choices=TokenScope.values,
            default=TokenScope.READ_WRITE,
            help="read: GET only; read_write (default): every method the user's roles allow",
        )
        parser.add_argument(
            "--expires-days",
            type=expiry_days,
            default=None,
            help=f"the token stops working after this many days (1–{tokens.MAX_EXPIRY_DAYS}; default: never)",
        )
        parser.add_argument("--rotate", action="store_true", help="revoke the user's existing tokens first")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        if not user.is_active:
            raise CommandError(f"User {user.username!r} is inactive: a token would not work.")
        name = options["name"].strip()
        if not name:
            raise CommandError("--name may not be empty.")
        with system_context(source=Source.COMMAND):
            if options["rotate"]:
                tokens.revoke_tokens(user=user, reason=TokenRevocation.ROTATED)
            issued = tokens.issue_token(
                user=user, name=name, scope=options["scope"], expires_days=options["expires_days"]
            )
        self.stdout.write(issued.key)
