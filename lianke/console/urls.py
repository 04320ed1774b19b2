"""The settings console under ``/settings/`` (the pools, webhooks and the pages other apps bring
keep their own URLs there)."""

from django.urls import path

from . import views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("departments/", views.departments, name="departments"),
    path("departments/new/", views.department_edit, name="department_create"),
    path("departments/<int:pk>/edit/", views.department_edit, name="department_edit"),
    path("departments/<int:pk>/move/", views.department_move, name="department_move"),
    path("departments/<int:pk>/active/", views.department_active, name="department_active"),
    path("users/", views.users, name="users"),
    path("users/new/", views.user_edit, name="user_create"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/active/", views.user_active, name="user_active"),
    path("roles/", views.roles, name="roles"),
    path("roles/new/", views.role_edit, name="role_create"),
    path("roles/<int:pk>/", views.role_edit, name="role_edit"),
    path("roles/<int:pk>/fields/<str:object_type>/", views.role_fields, name="role_fields"),
    path("fields/", views.custom_field_types, name="custom_fields"),
    path("fields/<str:object_type>/", views.custom_fields, name="custom_field_list"),
    path("fields/<str:object_type>/new/", views.custom_field_edit, name="custom_field_create"),
    path("fields/<str:object_type>/order/", views.custom_field_order, name="custom_field_order"),
    path("field/<int:pk>/edit/", views.custom_field_edit, name="custom_field_edit"),
    path("field/<int:pk>/move/", views.custom_field_move, name="custom_field_move"),
    path("field/<int:pk>/active/", views.custom_field_active, name="custom_field_active"),
]
