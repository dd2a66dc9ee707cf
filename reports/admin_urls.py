"""The reports app's pages in the admin's frame, mounted under /admin/ (config/urls.py) and
wrapped by the admin's login. The exports keep the address they had under the metric values'
admin. (The reports' own pages, scorecards and rankings, are in ``reports.urls``.)"""

from django.contrib import admin
from django.urls import path

from reports import admin_views as views

app_name = "reports_admin"

urlpatterns = [
    path(
        "reports/runs/compare/",
        admin.site.admin_view(views.run_comparison),
        name="run-comparison",
    ),
    path(
        "evaluation/metricvalue/export/<str:kind>/<str:fmt>/",
        admin.site.admin_view(views.export),
        name="export",
    ),
]
