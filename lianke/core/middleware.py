import logging

from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from .context import Source, request_context

logger = logging.getLogger("lianke.database")

# Seconds a client is asked to wait when the database stayed locked past its busy timeout.
RETRY_AFTER = 5


class RequestContextMiddleware:
    """Opens the access/audit context for every request (web pages and API alike)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = Source.API if request.path.startswith("/api/") else Source.WEB
        with request_context(request, source=source) as ctx:
            request.lianke_context = ctx
            response = self.get_response(request)
        response.headers.setdefault("X-Request-ID", ctx.request_id)
        return response


def is_database_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" (or "database table is locked"): another writer held the
    lock for longer than the busy timeout. Nothing was written (the transaction rolled back)."""
    return isinstance(exc, OperationalError) and "is locked" in str(exc)


def database_busy_response(request) -> HttpResponse:
    message = _("The database is busy with other changes; nothing was saved. Please try again in a moment.")
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "database_busy", "detail": message}, status=503)
    else:
        try:
            html: str = render_to_string("503.html", {"message": message}, request=request)
        except Exception:  # the page must not fail in its turn
            html = message
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


class DatabaseBusyMiddleware:
    """A request that met a locked database is answered 503 with ``Retry-After`` (an HTML page,
    or ``{"code": "database_busy", …}`` on the API), never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_busy(exception):
            return None
        logger.warning("Database busy on %s %s: %s", request.method, request.path, exception)
        return database_busy_response(request)
