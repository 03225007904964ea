from django.urls import URLPattern

app_name = "interchange"
urlpatterns: list[URLPattern] = []
