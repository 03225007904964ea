from django.urls import path

from harbour.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.public_index, name="public"),
    path("quality/", views.quality, name="quality"),
    path("report/", views.funder_report, name="report"),
    path("releases/new/", views.release_create, name="release_create"),
    path("releases/<str:release_id>/", views.release_detail, name="release"),
    path("releases/<str:release_id>/<str:decision>/", views.release_decide, name="release_decide"),
    path(
        "releases/<str:release_id>/download.<str:fmt>",
        views.release_download,
        name="release_download",
    ),
    path("extracts/new/", views.extract_request, name="extract_request"),
    path("extracts/<str:request_id>/download/", views.extract_download, name="extract_download"),
    path("extracts/<str:request_id>/<str:decision>/", views.extract_decide, name="extract_decide"),
]
