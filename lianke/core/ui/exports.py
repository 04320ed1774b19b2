"""Export of a list (the same filters, sort and columns as the page) to Excel or CSV.

Cells are written as text, never as formulas; in CSV a leading ``= + - @`` (or tab/CR) is
neutralised with a quote, so a hostile value like ``=HYPERLINK(...)`` stays inert (OWASP CSV
injection). Rows are read in keyset batches with their labels fetched once per batch.
"""

from __future__ import annotations

import csv
import io
import itertools
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import xlsxwriter
from django.db.models import QuerySet

from lianke.org import fieldaccess

from ..pagination import SortSpec, paginate
from .display import cell_maker, custom_export, custom_labels, prime_readable

# The approval engine's hook for exports above ``LIANKE_EXPORT_APPROVAL_ROWS``: called with
# ``(user, object_type, query, row_count)`` (the list's canonical query string), it returns the
# URL where the user asks for an approval of that export, or ``None``. Until one is registered,
# such an export is refused with no way to ask (the refusal page says to ask an administrator).
_approval_hooks: list[Callable[[Any, Any, str, int], str | None]] = []


def register_export_approval(hook: Callable[[Any, Any, str, int], str | None]) -> None:
    """Declare how a refused export is taken to an approval (the approval engine calls it once)."""
    if hook not in _approval_hooks:
        _approval_hooks.append(hook)


def approval_url(user, object_type, query: str, count: int) -> str | None:
    """Where ``user`` requests approval of exporting ``count`` rows of the list ``query``."""
    for hook in _approval_hooks:
        url = hook(user, object_type, query, count)
        if url:
            return url
    return None


# The approval engine's grants: ``hook(user, object_type, query)`` consumes an approved request
# of ``user`` for exactly this list query (once) and returns its id, or ``None``.
_grant_hooks: list[Callable[[Any, Any, str], int | None]] = []


def register_export_grant(hook: Callable[[Any, Any, str], int | None]) -> None:
    """Declare how an approved export request lets a large export through."""
    if hook not in _grant_hooks:
        _grant_hooks.append(hook)


def use_grant(user, object_type, query: str) -> int | None:
    """Consume ``user``'s approval to export the list ``query`` (its id), or ``None``."""
    for hook in _grant_hooks:
        granted = hook(user, object_type, query)
        if granted:
            return granted
    return None


DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BATCH = 2000


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(DANGEROUS_PREFIXES) else text


def rows(
    ot, queryset: QuerySet, spec: SortSpec, columns: list[tuple[str, str]], definitions
) -> Iterator[list[str]]:
    """The cells of the export, read in batches. The reader's field access is resolved now,
    while the request is current: a CSV streams after the view has returned."""
    return _rows(ot, queryset, spec, columns, definitions, fieldaccess.current(ot.model))


def _rows(ot, queryset, spec, columns, definitions, fields) -> Iterator[list[str]]:
    by_name = {d.filter_name: d for d in definitions}
    wanted = [by_name[key] for key, _label in columns if key in by_name]
    makers = {key: cell_maker(ot, key, fields) for key, _label in columns if key not in by_name}
    cursor = None
    while True:
        page = paginate(queryset, spec, cursor, BATCH)
        labels = custom_labels(wanted, page.rows)
        prime_readable(page.rows, [key for key, _label in columns if key not in by_name], ot)
        for obj in page.rows:
            yield [
                (
                    custom_export(obj, by_name[key], labels, fields)
                    if key in by_name
                    else str(makers[key](obj).text)
                )
                for key, _label in columns
            ]
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def to_xlsx(title: str, header: list[str], data: Iterator[list[str]]):
    """Write to a temporary file (constant memory) and return it, rewound."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - returned open; FileResponse closes it
    book = xlsxwriter.Workbook(
        handle, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True})
    for col, text in enumerate(header):
        sheet.write_string(0, col, text, bold)
        sheet.set_column(col, col, max(10, min(40, len(text) * 2 + 4)))
    for row_index, values in enumerate(data, start=1):
        for col, text in enumerate(values):
            sheet.write_string(row_index, col, text)
    sheet.freeze_panes(1, 0)
    book.close()
    handle.seek(0)
    return handle


def to_csv(header: list[str], data: Iterator[list[str]]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark, which Excel needs to show Chinese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    for row in itertools.chain([header], data):
        writer.writerow([neutralise(v) for v in row])
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate(0)
