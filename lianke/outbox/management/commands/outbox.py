"""``lianke outbox list|retry|replay|purge|deliver``: look after the outbox from the shell."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from lianke.core.context import Source, system_context
from lianke.outbox import delivery
from lianke.outbox.models import OutboxMessage


class Command(BaseCommand):
    help = "List, retry, replay, purge or deliver outbox messages (webhooks and other consumers)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        ls = sub.add_parser("list", help="The latest messages, newest first.")
        ls.add_argument("--status", choices=OutboxMessage.Status.values)
        ls.add_argument("--consumer")
        ls.add_argument("--limit", type=int, default=50)
        for name, text in (
            ("retry", "Make dead or pending messages due now (attempts start again)."),
            ("replay", "Send delivered messages again, with the same delivery ID."),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("ids", nargs="*", type=int)
            p.add_argument("--all-dead", action="store_true", help="every dead message (retry only)")
        purge = sub.add_parser("purge", help="Delete delivered messages older than --days.")
        purge.add_argument("--days", type=int, help="default: LIANKE_OUTBOX_KEEP_DAYS (30)")
        deliver = sub.add_parser("deliver", help="Send what is due now (with --loop: every --interval s).")
        deliver.add_argument("--limit", type=int, default=500)
        deliver.add_argument("--loop", action="store_true")
        deliver.add_argument("--interval", type=float, default=15.0)

    def handle(self, *args, action, **options):
        with system_context(source=Source.COMMAND):
            getattr(self, f"do_{action}")(**options)

    def do_list(self, *, status=None, consumer=None, limit=50, **_):
        qs = OutboxMessage.objects.order_by("-id")
        if status:
            qs = qs.filter(status=status)
        if consumer:
            qs = qs.filter(consumer=consumer)
        for m in qs[:limit]:
            self.stdout.write(
                f"{m.pk}\t{m.status}\t{m.attempts}\t{m.consumer}\t{m.topic}\t{m.aggregate_key}"
                f"\t{m.idempotency_key}\t{m.last_error[:80]}"
            )

    def _selected(self, ids, all_dead=False):
        if all_dead:
            return OutboxMessage.objects.filter(status=OutboxMessage.Status.DEAD)
        if not ids:
            raise CommandError("name the message ids")
        return OutboxMessage.objects.filter(pk__in=ids)

    def do_retry(self, *, ids, all_dead=False, **_):
        count = delivery.retry_now(self._selected(ids, all_dead))
        delivery.schedule()
        self.stdout.write(f"{count} message(s) due now")

    def do_replay(self, *, ids, all_dead=False, **_):
        if all_dead:
            raise CommandError("--all-dead is for retry")
        count = delivery.replay(self._selected(ids))
        delivery.schedule()
        self.stdout.write(f"{count} message(s) queued again")

    def do_purge(self, *, days, **_):
        self.stdout.write(f"{delivery.purge(days)} delivered message(s) deleted")

    def do_deliver(self, *, limit, loop, interval, **_):
        while True:
            sent = delivery.deliver_due(limit)
            if not loop:
                self.stdout.write(f"{sent} message(s) delivered")
                return
            time.sleep(interval)
