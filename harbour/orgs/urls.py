from django.urls import path

from harbour.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.org_list, name="list"),
    path("new/", views.org_form, name="create"),
    path("<uuid:org_id>/", views.org_form, name="edit"),
]
