"""Notification types as the apps declare them (in ``AppConfig.ready()``): a stable key
("approval.waiting"), a label for the preferences page, the title shown to the recipient — a
lazy translation formatted with the notification's parameters, in the recipient's language at
the time it is read — and the channels on by default.

Besides the producer's parameters a title may name ``%(actor)s`` (who caused it),
``%(record)s`` (the record's name, or "Restricted record" for a reader who may not open it),
``%(type)s`` (the record's type) and ``%(count)s`` (how many records one notification stands
for), all filled at read time (``render``).

A type may also offer ``actions``: a callable ``(request, notifications) -> {notification id:
HTML}`` that renders what the reader can do right in the notification's row (an approval
waiting for him: approve or reject). The declaring app renders and handles them; the
notifications app only places the HTML (``rows``) and never imports the declaring app."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

IN_APP, EMAIL, WECOM = "in_app", "email", "wecom"
CHANNELS = (IN_APP, EMAIL, WECOM)


@dataclass(frozen=True)
class NotificationType:
    key: str
    label: Any  # lazy translation
    title: Any  # lazy translation with %(name)s placeholders filled from the parameters
    channels: tuple[str, ...] = (IN_APP,)
    actions: Callable[[Any, Sequence[Any]], dict[int, str]] | None = None


_types: dict[str, NotificationType] = {}


def declare(
    key: str,
    *,
    label: Any,
    title: Any,
    channels: tuple[str, ...] = (IN_APP,),
    actions: Callable[[Any, Sequence[Any]], dict[int, str]] | None = None,
) -> NotificationType:
    unknown = set(channels) - set(CHANNELS)
    if unknown:
        raise ValueError(f"notification type {key!r}: unknown channels {sorted(unknown)}")
    declared = NotificationType(key, label, title, tuple(channels), actions)
    _types[key] = declared
    return declared


def get(key: str) -> NotificationType:
    return _types[key]


def find(key: str) -> NotificationType | None:
    """The declared type, or ``None`` for a key no app declares (any more)."""
    return _types.get(key)


def declared() -> dict[str, NotificationType]:
    return dict(_types)
