from .context import Source, request_context


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
