from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    # The reports app's own pages, in the admin's frame; before the admin's catch-all.
    path("admin/", include("reports.admin_urls")),
    # The city's admin pages moved with the city into the domain; old links still lead there.
    re_path(
        r"^admin/cities/(?P<rest>(city/.*)?)$",
        RedirectView.as_view(url="/admin/evaluation/%(rest)s", permanent=True, query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("evaluation.api.urls")),
    path("reports/", include("reports.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api-auth/", include("rest_framework.urls")),
    # Django's language switch: POST language (and next); remembered in a cookie.
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("cities.urls")),
]

handler404 = "evaluation.api.http.page_not_found"
handler500 = "evaluation.api.http.server_error"
