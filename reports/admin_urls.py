"""The reports app's pages in the admin's frame, mounted under /admin/ (config/urls.py) and
wrapped by the admin's login: the run comparison, the completeness of every city's reports
(with its reminder action), the exports. The exports keep the address they had under the
metric values' admin. (The reports' own pages, scorecards and rankings, are in ``reports.urls``.)"""

from django.contrib import admin
from django.urls import path

from reports import admin_views as views
from reports import foresight_views as foresight
from reports import monitoring_views

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
    # Foresight and follow-through: forecasts, draft rulesets (what-if), rectification.
    path("reports/forecast/", admin.site.admin_view(foresight.forecast), name="forecast"),
    path(
        "reports/forecast/<int:pk>/",
        admin.site.admin_view(foresight.city_forecast_page),
        name="city_forecast",
    ),
    path("reports/drafts/", admin.site.admin_view(foresight.draft_list), name="drafts"),
    path("reports/drafts/<int:pk>/", admin.site.admin_view(foresight.draft_page), name="draft"),
    path(
        "reports/comparisons/<int:pk>/",
        admin.site.admin_view(foresight.comparison_page),
        name="comparison",
    ),
    path(
        "reports/comparisons/<int:pk>/<str:language>.<str:kind>",
        admin.site.admin_view(foresight.comparison_document),
        name="comparison_document",
    ),
    path(
        "reports/rectification/",
        admin.site.admin_view(foresight.rectification_list),
        name="rectification",
    ),
    path(
        "reports/rectification/<int:pk>/",
        admin.site.admin_view(foresight.rectification_page),
        name="rectification_item",
    ),
    path(
        "reports/rectification/<int:pk>/evidence/",
        admin.site.admin_view(foresight.rectification_evidence),
        name="rectification_evidence",
    ),
    path(
        "monitoring/<int:programme_id>/",
        admin.site.admin_view(monitoring_views.monitoring),
        name="monitoring",
    ),
    path(
        "monitoring/<int:programme_id>/suspend/<int:participation_id>/",
        admin.site.admin_view(monitoring_views.suspend),
        name="monitoring-suspend",
    ),
    path(
        "monitoring/<int:programme_id>/lift/<int:suspension_id>/",
        admin.site.admin_view(monitoring_views.lift),
        name="monitoring-lift",
    ),
]
