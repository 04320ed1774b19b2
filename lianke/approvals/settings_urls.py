"""Settings › Approval flows (``/settings/approvals/``)."""

from django.urls import path

from . import settings_views as views

app_name = "approval_flows"
urlpatterns = [
    path("", views.flow_list, name="list"),
    path("new/", views.flow_edit, name="create"),
    path("<int:pk>/", views.flow_edit, name="edit"),
    path("<int:pk>/toggle/", views.flow_toggle, name="toggle"),
    path("test-run/", views.test_run, name="test_run"),
]
