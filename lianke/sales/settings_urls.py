"""*Settings › Stage sets* under ``/settings/stage-sets/``."""

from django.urls import path

from . import views

app_name = "sales_settings"
urlpatterns = [
    path("", views.stage_set_list, name="stage_sets"),
    path("new/", views.stage_set_edit, name="stage_set_create"),
    path("<int:pk>/", views.stage_set_edit, name="stage_set_edit"),
]
