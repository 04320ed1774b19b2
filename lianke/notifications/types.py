"""Notification types as the apps declare them (in ``AppConfig.ready()``): a stable key
("approval.waiting"), a label for the preferences page, the title shown to the recipient — a
lazy translation formatted with the notification's parameters, in the recipient's language at
the time it is read — and the channels on by default."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IN_APP, EMAIL, WECOM = "in_app", "email", "wecom"


@dataclass(frozen=True)
class NotificationType:
    key: str
    label: Any  # lazy translation
    title: Any  # lazy translation with %(name)s placeholders filled from the parameters
    channels: tuple[str, ...] = (IN_APP,)


_types: dict[str, NotificationType] = {}


def declare(key: str, *, label: Any, title: Any, channels: tuple[str, ...] = (IN_APP,)) -> NotificationType:
    declared = NotificationType(key, label, title, channels)
    _types[key] = declared
    return declared


def get(key: str) -> NotificationType:
    return _types[key]


def declared() -> dict[str, NotificationType]:
    return dict(_types)
