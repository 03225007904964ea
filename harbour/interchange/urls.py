from django.urls import path

from harbour.interchange import views

app_name = "interchange"
urlpatterns = [
    path("", views.index, name="index"),
    path("imports/", views.upload, name="upload"),
    path("imports/<uuid:job_id>/", views.job_detail, name="job"),
    path("imports/<uuid:job_id>/commit/", views.commit, name="commit"),
    path("imports/<uuid:job_id>/discard/", views.discard, name="discard"),
    path("imports/<uuid:job_id>/columns/", views.choose_columns, name="columns"),
    path("imports/<uuid:job_id>/values/", views.choose_values, name="values"),
    path("export/", views.export, name="export"),
    path("xlsform/", views.xlsform_download, name="xlsform"),
]
