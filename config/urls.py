from django.contrib import admin
from django.urls import include, path

from harbour.web.views import set_language

urlpatterns = [
    path("", include("harbour.web.urls")),
    path("accounts/", include("harbour.accounts.urls")),
    path("standard/", include("harbour.standard.urls")),
    path("cases/", include("harbour.cases.urls")),
    path("organisations/", include("harbour.orgs.urls")),
    path("sharing/", include("harbour.sharing.urls")),
    path("", include("harbour.directory.urls")),
    path("audit/", include("harbour.audit.urls")),
    path("statistics/", include("harbour.stats.urls")),
    path("linkage/", include("harbour.linkage.urls")),
    path("grants/", include("harbour.grants.urls")),
    path("interchange/", include("harbour.interchange.urls")),
    path("api/", include("harbour.api.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("reference-admin/", admin.site.urls),
]

handler400 = "harbour.web.views.bad_request"
handler500 = "harbour.web.views.server_error"
