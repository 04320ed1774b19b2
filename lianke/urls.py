from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from lianke.core.urls import object_urlpatterns
from lianke.core.views import assets
from lianke.core.views.misc import home


def signed_in_unless_public(view):
    """The docs page: a visitor who is not signed in goes to the login page first (the schema
    itself answers 401, ``core.api.schema.DocsReaders``), unless the docs are public."""

    def page(request, *args, **kwargs):
        if not settings.LIANKE_API_DOCS_PUBLIC and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return page


urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("favicon.ico", assets.favicon, name="favicon"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/redoc.js", assets.redoc_js, name="api-docs-redoc"),
    # Redoc (vendored through drf-spectacular-sidecar) renders in a web worker with inline styles.
    path(
        "api/docs/",
        signed_in_unless_public(
            csp_override(
                {
                    "default-src": [CSP.SELF],
                    "script-src": [CSP.SELF],
                    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
                    "img-src": [CSP.SELF, "data:"],
                    "worker-src": [CSP.SELF, "blob:"],
                    "frame-ancestors": [CSP.NONE],
                }
            )(SpectacularRedocView.as_view(url_name="api-schema"))
        ),
        name="api-docs",
    ),
    path("api/notifications/", include("lianke.notifications.api")),
    path("api/approvals/", include("lianke.approvals.urls")),
    path("api/", include(("lianke.core.api.urls", "api"), namespace="api")),
    path("", include("lianke.core.urls")),
    path("activities/", include("lianke.activities.urls")),
    path("settings/", include("lianke.console.urls")),
    path("settings/", include("lianke.outbox.urls")),
    path("settings/pools/", include("lianke.pools.urls")),
    path("settings/jobs/", include("lianke.jobs.urls")),
    path("settings/audit/", include("lianke.org.audit_urls")),
    path("settings/tokens/", include("lianke.org.token_urls")),
    path("settings/stage-sets/", include("lianke.sales.settings_urls")),
    path("settings/lead-statuses/", include("lianke.marketing.settings_urls")),
    path("", include("lianke.notifications.urls")),
    path("approvals/", include("lianke.approvals.page_urls")),
    path("settings/approvals/", include("lianke.approvals.settings_urls")),
    path("profile/", include("lianke.org.urls")),
    path("profile/", include("lianke.approvals.profile_urls")),
    *object_urlpatterns(),
]
