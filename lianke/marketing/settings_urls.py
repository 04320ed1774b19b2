"""*Settings › Lead statuses* under ``/settings/lead-statuses/``."""

from django.urls import path

from . import views

app_name = "marketing_settings"
urlpatterns = [
    path("", views.status_list, name="lead_statuses"),
    path("add/", views.status_edit, name="lead_status_create"),
    path("order/", views.status_order, name="lead_status_order"),
    path("<slug:code>/", views.status_edit, name="lead_status_edit"),
    path("<slug:code>/move/", views.status_move, name="lead_status_move"),
]
