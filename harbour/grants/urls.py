from django.urls import path

from harbour.grants import curate_views, download_views, views

app_name = "grants"
urlpatterns = [
    path("", views.index, name="index"),
    path("eligible/", views.eligible, name="eligible"),
    path("programs/new/", curate_views.program_new, name="program_new"),
    path("programs/<str:program_id>/", views.program_detail, name="program"),
    path("programs/<str:program_id>/edit/", curate_views.program_edit, name="program_edit"),
    path("funders/", views.funders, name="funders"),
    path("funders/new/", curate_views.funder_new, name="funder_new"),
    path("funders/<str:funder_id>/", views.funder_detail, name="funder"),
    path("funders/<str:funder_id>/edit/", curate_views.funder_edit, name="funder_edit"),
    path("awards/", views.awards, name="awards"),
    path("awards/new/", curate_views.award_new, name="award_new"),
    path("awards/<str:award_id>/edit/", curate_views.award_edit, name="award_edit"),
    path("awards/<str:award_id>/delete/", curate_views.award_delete, name="award_delete"),
    path("funding/", views.funding, name="funding"),
    path("partners/", views.partners, name="partners"),
    path("partners/mine/edit/", curate_views.profile_edit, name="profile_edit"),
    path("partners/<str:org_id>/", views.partner_detail, name="partner"),
    path("network/", views.network, name="network"),
    path("committees/", views.committees, name="committees"),
    path("committees/new/", curate_views.committee_new, name="committee_new"),
    path("committees/<str:committee_id>/", views.committee_detail, name="committee"),
    path("committees/<str:committee_id>/edit/", curate_views.committee_edit, name="committee_edit"),
    path("deadlines.ics", download_views.calendar_download, name="calendar"),
    path("feeds/<str:token>.ics", download_views.calendar_feed, name="feed"),
    path("programs.csv", download_views.programs_csv, name="programs_csv"),
    path("awards.csv", download_views.awards_csv, name="awards_csv"),
]
