"""Escaping for markup written out in Python (list rows and cards, the filter sidebar, the plain
widgets of ``formrender``): what Django's ``conditional_escape`` gives, without the lazy-argument
wrapper and the ``SafeString`` it builds on every call. A list page escapes some 3,000 values;
each piece of code that writes markup marks the whole of it safe once, at the end."""

from __future__ import annotations

import html


def esc(value) -> str:
    """``value`` as HTML text: a safe string (one with ``__html__``) as it is, anything else
    escaped as Django's ``escape`` does (``& < > " '``). A plain ``str``, not marked safe."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))
