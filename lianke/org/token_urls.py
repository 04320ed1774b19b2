"""Settings › API tokens (``/settings/tokens/``): every user's live tokens, for administrators."""

from django.urls import path

from . import views

app_name = "api_token_admin"
urlpatterns = [
    path("", views.all_api_tokens, name="list"),
    path("<int:pk>/revoke/", views.any_api_token_revoke, name="revoke"),
]
