from django.urls import path

from harbour.api.api import api

urlpatterns = [path("v1/", api.urls)]
