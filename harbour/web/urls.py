from django.urls import path

from harbour.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("exit/", views.quick_exit, name="quick_exit"),
    path("dashboard/", views.org_dashboard, name="org_dashboard"),
    path("national/", views.national, name="national"),
    path("research/", views.research, name="research"),
]
