"""The notification pages: the list, opening and marking read, one's preferences, the
administrators' defaults per role (``views``)."""

from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read/", views.notification_read, name="read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="open"),
    path("profile/notifications/", views.profile_preferences, name="preferences"),
    path("settings/notifications/", views.role_defaults, name="role_defaults"),
]
