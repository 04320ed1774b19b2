"""Record ids typed or posted as text: an id is ASCII digits that fit a 64-bit key. ``"²"`` and
``"٣"`` pass ``str.isdigit`` and a 20-digit number passes ``isdecimal``, yet either ends in a
server error once it reaches ``int()`` or the database; ``as_key`` says "no id" to both."""

from __future__ import annotations

from typing import Any

KEY_MAX = 2**63 - 1


def as_key(value: Any) -> int | None:
    """``value`` as a record id, or ``None`` when it cannot be one."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= KEY_MAX else None
