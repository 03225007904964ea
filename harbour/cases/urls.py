from django.urls import path

from harbour.cases import views
from harbour.cases.immigration import views as immigration_views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("search/", views.search, name="search"),
    path("immigration/report/", immigration_views.report, name="immigration_report"),
    path("intake/", views.intake, name="intake"),
    path("drafts/<uuid:draft_id>/discard/", views.discard_draft, name="discard_draft"),
    path("<uuid:case_id>/", views.case_detail, name="detail"),
    path("<uuid:case_id>/status/", views.change_status, name="status"),
    path("<uuid:case_id>/reassign/", views.reassign, name="reassign"),
    path(
        "<uuid:case_id>/edit/<slug:entity_id>/<slug:group_id>/",
        views.edit_section,
        name="edit_section",
    ),
    path("<uuid:case_id>/records/<slug:kind>/new/", views.record_form, name="record_new"),
    path(
        "<uuid:case_id>/records/<slug:kind>/<uuid:record_id>/",
        views.record_form,
        name="record_edit",
    ),
    path("<uuid:case_id>/screening/new/<slug:set_id>/", views.screening_new, name="screening_new"),
    path(
        "<uuid:case_id>/screening/<uuid:screening_id>/",
        views.screening_detail,
        name="screening",
    ),
]
