from django.urls import path

from . import views

app_name = "activity_views"
urlpatterns = [
    path("timeline/<int:content_type_id>/<int:object_id>/", views.timeline_view, name="timeline"),
    path("timeline/<int:content_type_id>/<int:object_id>/add/", views.add_activity, name="add"),
    path("task/<int:pk>/toggle/", views.toggle_task, name="toggle_task"),
]
