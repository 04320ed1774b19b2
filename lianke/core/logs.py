"""Logging filters for the server log (configured in ``settings.LOGGING``).

Django's ``django.request`` logger attaches the exception to the line it writes for a 403 (and a
400), so every routine refusal printed a full traceback. A refusal or a missing page is routine:
one line says what and where. Server errors (5xx) keep their traceback."""

from __future__ import annotations

import logging


class OneLineClientErrors(logging.Filter):
    """Drops the traceback from records of client errors (status 4xx); lets every record pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
