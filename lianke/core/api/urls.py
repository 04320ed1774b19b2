"""The API's URLs: one viewset per registered object type at ``<app>/<api_plural>/``.

A type whose plural used to be spelt ``model_name + "s"`` (``opportunitys``, ``activitys``)
answers its old path for one release with a 308 to the new one — same method and body, query
string kept — marked ``Deprecation: true`` with the successor in ``Link``."""

from django.http import HttpResponsePermanentRedirect
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.routers import DefaultRouter

from lianke.core.objecttypes.registry import registry

from .views import build_viewset

router = DefaultRouter()
for ot in registry:
    router.register(
        f"{ot.app_label}/{ot.api_plural}", build_viewset(ot), basename=f"{ot.app_label}-{ot.model_name}"
    )


class PermanentRedirect(HttpResponsePermanentRedirect):
    status_code = 308  # unlike 301, the client repeats the same method with the same body


@csrf_exempt  # token clients send no CSRF token; the new path applies the API's own checks
def moved(request, old: str, new: str, rest: str = ""):
    """The old path's request, sent on to the new path (under whatever prefix it came)."""
    target = request.path[: -len(rest) or None].removesuffix(old) + new + rest
    if request.META.get("QUERY_STRING"):
        target += "?" + request.META["QUERY_STRING"]
    response = PermanentRedirect(target)
    response["Deprecation"] = "true"
    response["Link"] = f'<{target}>; rel="successor-version"'
    return response


deprecated = [
    re_path(
        rf"^{ot.app_label}/{ot.model_name}s/(?P<rest>.*)$",
        moved,
        {"old": f"{ot.app_label}/{ot.model_name}s/", "new": f"{ot.app_label}/{ot.api_plural}/"},
    )
    for ot in registry
    if ot.api_plural != f"{ot.model_name}s"
]

urlpatterns = [*router.urls, *deprecated]
