"""The API's JSON parser: a body nested deeper than Python's recursion limit is a clear 400 that
names the field it is under (``{"custom_fields": {"memo": ["…nested too deeply…"]}}``), not a
``RecursionError`` (a 500). Shallower nesting reaches the fields' own validation (custom field
values allow a few levels, ``CustomField.clean_value``)."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Strings (whose brackets do not count), brackets and the colon after an object's key.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:]', re.S)


def nesting_path(text: str) -> list[str]:
    """The object keys leading to the most deeply nested container of ``text``."""
    stack: list[str | None] = []  # per open container: the key being read, for objects
    deepest: list[str] = []
    deepest_depth = 0
    last_string = None
    for match in _TOKENS.finditer(text):
        piece = match.group()
        if piece[0] == '"':
            last_string = piece[1:-1]
        elif piece in "[{":
            stack.append(None)
            if len(stack) > deepest_depth:
                deepest_depth = len(stack)
                deepest = [k for k in stack if k is not None]
        elif piece in "]}":
            if stack:
                stack.pop()
        elif stack and last_string is not None:  # ":" after a key
            stack[-1] = last_string
    return deepest


def too_deep_error(path: list[str]) -> ParseError:
    if not path:
        return ParseError(_("The request body is nested too deeply."), code="too_deep")
    detail: Any = [_("%(field)s: the value is nested too deeply.") % {"field": path[-1]}]
    for key in reversed(path):
        detail = {key: detail}
    return ParseError(detail, code="too_deep")


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            return super().parse(_Replay(raw), media_type, parser_context)
        except RecursionError:
            encoding = (parser_context or {}).get("encoding") or "utf-8"
            raise too_deep_error(nesting_path(raw.decode(encoding, errors="replace"))) from None


class _Replay:
    """The body, read once, handed to DRF's parser again."""

    def __init__(self, raw: bytes):
        self.raw = raw

    def read(self, *args) -> bytes:
        raw, self.raw = self.raw, b""
        return raw
