"""The approvals API's URLs (included by the project at ``api/approvals/``): the inbox and its
actions, and the caller's out-of-office delegation."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import ApprovalViewSet, OutOfOfficeView

app_name = "approvals_api"

router = SimpleRouter()
router.register("", ApprovalViewSet, basename="approval")
urlpatterns = [
    path("out-of-office/", OutOfOfficeView.as_view(), name="out_of_office"),
    *router.urls,
]
