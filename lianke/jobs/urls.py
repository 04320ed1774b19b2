from django.urls import path

from . import views

app_name = "jobs"
urlpatterns = [
    path("", views.schedule_list, name="list"),
    path("new/", views.schedule_edit, name="create"),
    path("<int:pk>/", views.schedule_detail, name="detail"),
    path("<int:pk>/edit/", views.schedule_edit, name="edit"),
    path("<int:pk>/toggle/", views.schedule_toggle, name="toggle"),
    path("<int:pk>/run/", views.schedule_run, name="run"),
    path("<int:pk>/delete/", views.schedule_delete, name="delete"),
    path("runs/<int:pk>/", views.run_row, name="run_row"),
]
