from django.urls import path

from harbour.stats import views as stats_views
from harbour.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("exit/", views.quick_exit, name="quick_exit"),
    path("dashboard/", stats_views.org_dashboard, name="org_dashboard"),
    path("national/", stats_views.national, name="national"),
    path("research/", stats_views.research, name="research"),
]
