"""Files a browser asks for outside ``/static/``: ``/favicon.ico`` (browsers ask for it on every
site), and the API docs' Redoc bundle made to work offline (no request leaves the host)."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.views.decorators.http import condition, require_safe

REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
# Redoc's menu footer shows its maker's logo from their CDN: a request leaving the host on every
# visit (a CSP violation, and nothing on a machine without internet). It becomes an empty image.
OUTSIDE_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"
CACHE_SECONDS = 24 * 3600


@require_safe
def favicon(request):
    """``/favicon.ico`` → the SVG icon (under its hashed static name in production)."""
    response = HttpResponseRedirect(static("lianke/favicon.svg"))
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


@lru_cache(maxsize=1)
def offline_redoc() -> tuple[bytes, str]:
    """The vendored Redoc bundle without its outside logo (nor its source map reference, which
    is not served from here), and its ETag."""
    path = finders.find(REDOC_BUNDLE)
    if not path:
        raise FileNotFoundError(REDOC_BUNDLE)
    text = Path(path).read_text(encoding="utf-8").replace(OUTSIDE_LOGO, EMPTY_IMAGE)
    text = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", text)
    data = text.encode("utf-8")
    return data, hashlib.sha256(data).hexdigest()[:20]


@require_safe
@condition(etag_func=lambda request: offline_redoc()[1])
def redoc_js(request):
    data, _etag = offline_redoc()
    response = HttpResponse(data, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response
