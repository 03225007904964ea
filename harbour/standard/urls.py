from django.urls import path

from harbour.standard import views

app_name = "standard"
urlpatterns = [
    path("", views.index, name="index"),
    path("htcds/", views.htcds, name="htcds"),
    path("indicators/", views.indicators, name="indicators"),
    path("entities/<slug:entity_id>/", views.entity, name="entity"),
    path("codelists/<slug:list_id>/", views.codelist, name="codelist"),
    path("schemas/<slug:entity_id>.schema.json", views.export_json_schema, name="json_schema"),
    path(
        "schemas/<slug:entity_id>.tableschema.json",
        views.export_table_schema,
        name="table_schema",
    ),
]
