"""The reports app's pages in the admin's frame, mounted under /admin/ (config/urls.py) and
wrapped by the admin's login: the run comparison, the completeness of every city's reports
(with its reminder action), the exports. The exports keep the address they had under the
metric values' admin. (The reports' own pages, scorecards and rankings, are in ``reports.urls``.)"""

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
        "reports/programmes/<int:programme_id>/completeness/",
        admin.site.admin_view(views.completeness),
        name="completeness",
    ),
    path(
        "reports/programmes/<int:programme_id>/completeness/remind/",
        admin.site.admin_view(views.completeness_remind),
        name="completeness-remind",
    ),
    path(
        "evaluation/metricvalue/export/<str:kind>/<str:fmt>/",
        admin.site.admin_view(views.export),
        name="export",
    ),
]
