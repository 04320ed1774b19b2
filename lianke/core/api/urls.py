from rest_framework.routers import DefaultRouter

from lianke.core.registry import registry

from .views import build_viewset

router = DefaultRouter()
for ot in registry:
    router.register(
        f"{ot.app_label}/{ot.model_name}s", build_viewset(ot), basename=f"{ot.app_label}-{ot.model_name}"
    )

urlpatterns = router.urls
