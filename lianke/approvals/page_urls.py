"""The approvals' pages (included at ``approvals/``): the inbox, an approval's page and sheet, its actions, and the
"Submit for approval" of a record's page."""

from django.urls import path

from . import exports, views

app_name = "approvals"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("exports/request/", exports.request_export, name="export_request"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/sheet/", views.sheet, name="sheet"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
    path("submit/<int:content_type_id>/<int:object_id>/", views.submit, name="submit"),
]
