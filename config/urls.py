from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("harbour.web.urls")),
    path("accounts/", include("harbour.accounts.urls")),
    path("standard/", include("harbour.standard.urls")),
    path("cases/", include("harbour.cases.urls")),
    path("organisations/", include("harbour.orgs.urls")),
    path("sharing/", include("harbour.sharing.urls")),
    path("", include("harbour.directory.urls")),
    path("audit/", include("harbour.audit.urls")),
    path("api/", include("harbour.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("reference-admin/", admin.site.urls),
]

handler400 = "harbour.web.views.bad_request"
