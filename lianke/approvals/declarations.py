"""What the approval engine declares at start-up: its notification types, the lock rule, the
re-approval subscriber, the escalation job and the ``submit`` record action."""

from __future__ import annotations


def register() -> None:
    pass
