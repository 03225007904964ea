"""Directory pages under /directory/ and the HSDS 3.0 API under /hsds/ (its own NinjaAPI)."""

from django.urls import include, path

from harbour.directory import provider_views, views
from harbour.directory.api import hsds_api

app_name = "directory"
urlpatterns = [
    path("directory/", views.index, name="index"),
    path("directory/services/<uuid:service_id>/", views.service_detail, name="service"),
    path("directory/care-map/", views.care_map, name="care_map"),
    path("directory/care-map/handout/", views.handout, name="handout"),
    path("directory/care-map/case/<uuid:case_id>/", views.case_care_map, name="case_care_map"),
    path("directory/coverage/", views.coverage, name="coverage"),
    path("directory/coverage/coverage.csv", views.coverage_csv, name="coverage_csv"),
    path("directory/coverage/<str:code>/", views.coverage_province, name="coverage_province"),
    path("directory/download/<slug:kind>/", views.download, name="download"),
    path("directory/manage/", provider_views.manage, name="manage"),
    path("directory/manage/new/", provider_views.service_edit, name="service_new"),
    path("directory/manage/import/", provider_views.import_page, name="import"),
    path("directory/manage/<uuid:service_id>/", provider_views.service_edit, name="service_edit"),
    path("directory/manage/<uuid:service_id>/vacancy/", provider_views.vacancy, name="vacancy"),
    path("directory/manage/<uuid:service_id>/verify/", provider_views.verify, name="verify"),
    path(
        "directory/manage/<uuid:service_id>/locations/new/",
        provider_views.location_edit,
        name="location_new",
    ),
    path(
        "directory/manage/<uuid:service_id>/locations/<uuid:location_id>/",
        provider_views.location_edit,
        name="location_edit",
    ),
    path(
        "directory/manage/<uuid:service_id>/closures/",
        provider_views.closure_add,
        name="closure_add",
    ),
    path(
        "directory/manage/<uuid:service_id>/closures/<uuid:closure_id>/delete/",
        provider_views.closure_remove,
        name="closure_remove",
    ),
    # The HSDS API is its own NinjaAPI (namespace directory:hsds).
    path("hsds/", include((hsds_api.urls[0], "hsds"))),
]
