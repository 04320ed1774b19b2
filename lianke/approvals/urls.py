"""The approvals API's URLs (included by the project at ``api/approvals/``)."""

from rest_framework.routers import SimpleRouter

from .api import ApprovalViewSet

app_name = "approvals_api"

router = SimpleRouter()
router.register("", ApprovalViewSet, basename="approval")
urlpatterns = router.urls
