"""The approvals' page in the user's profile (included at ``profile/``): the out-of-office
delegation."""

from django.urls import path

from . import views

app_name = "approvals_profile"
urlpatterns = [
    path("out-of-office/", views.out_of_office, name="out_of_office"),
]
