"""Settings › Audit (``/settings/audit/``): the data-protection audit's page."""

from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [path("", views.audit_log, name="log")]
