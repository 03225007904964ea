from django.urls import path

from harbour.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.trail, name="trail"),
    path("trail.csv", views.trail_csv, name="trail_csv"),
    path("checkpoints/", views.checkpoints, name="checkpoints"),
    path("checkpoints/sign/", views.sign_checkpoint, name="sign_checkpoint"),
    path(
        "checkpoints/<int:checkpoint_id>/download/",
        views.download_checkpoint,
        name="download_checkpoint",
    ),
]
