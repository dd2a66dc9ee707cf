"""The officials' portal, at the site's root: sign-in at ``/``."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from cities import check_views, followup, money_views, panel_views, self_evaluation_views, views

app_name = "cities"

urlpatterns = [
    path("", views.SignInView.as_view(), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(
            template_name="cities/password_change.html",
            success_url=reverse_lazy("cities:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="cities/password_done.html"),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="cities/password_reset.html",
            email_template_name="cities/email/password_reset.txt",
            subject_template_name="cities/email/password_reset_subject.txt",
            success_url=reverse_lazy("cities:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="cities/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="cities/password_reset_confirm.html",
            success_url=reverse_lazy("cities:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="cities/password_done.html"),
        name="password_reset_complete",
    ),
    path("city/", views.home, name="home"),
    path("city/<int:pk>/", views.dashboard, name="dashboard"),
    path("city/<int:pk>/results/", views.results, name="results"),
    path("city/<int:pk>/periods/", views.periods, name="periods"),
    path("city/<int:pk>/periods/<str:period>/", views.period_entry, name="period"),
    path("city/<int:pk>/periods/<str:period>/check/", views.check_field, name="check"),
    path(
        "city/<int:pk>/periods/<str:period>/evidence/",
        views.evidence_upload,
        name="evidence_upload",
    ),
    path("city/<int:pk>/evidence/<int:evidence_id>/", views.evidence_file, name="evidence"),
    path(
        "city/<int:pk>/evidence/<int:evidence_id>/remove/",
        views.evidence_remove,
        name="evidence_remove",
    ),
    path("city/<int:pk>/excel/", views.excel_upload, name="excel"),
    path("city/<int:pk>/excel/template.xlsx", views.excel_template, name="excel_template"),
    path("city/<int:pk>/submit/", views.submit_reports, name="submit"),
    path("city/<int:pk>/history/", views.history, name="history"),
    path("city/<int:pk>/forecast/", followup.forecast, name="forecast"),
    path("city/<int:pk>/rectification/", followup.rectification, name="rectification"),
    path(
        "city/<int:pk>/rectification/<int:item_id>/",
        followup.rectification_item_page,
        name="rectification_item",
    ),
    path(
        "city/<int:pk>/rectification/<int:item_id>/evidence/",
        followup.rectification_evidence,
        name="rectification_evidence",
    ),
    path("city/<int:pk>/money/", money_views.money_page, name="money"),
    path("city/<int:pk>/money/plan/", money_views.plan_year, name="money_plan"),
    path(
        "city/<int:pk>/money/<int:expenditure_id>/submit/",
        money_views.expenditure_submit,
        name="money_submit",
    ),
    path(
        "city/<int:pk>/money/<int:expenditure_id>/evidence/",
        money_views.evidence_file,
        name="money_evidence",
    ),
    path(
        "city/<int:pk>/money/template.xlsx",
        money_views.spending_template,
        name="money_template",
    ),
    path("city/<int:pk>/money/upload/", money_views.spending_upload, name="money_upload"),
    path("city/<int:pk>/monitoring/", money_views.monitoring_page, name="monitoring"),
    path(
        "city/<int:pk>/self-evaluation/",
        self_evaluation_views.self_evaluations,
        name="self_evaluations",
    ),
    path(
        "city/<int:pk>/self-evaluation/<int:item_id>/",
        self_evaluation_views.self_evaluation,
        name="self_evaluation",
    ),
    path("province/", self_evaluation_views.province_home, name="province"),
    path(
        "province/self-evaluation/<int:item_id>/",
        self_evaluation_views.province_self_evaluation,
        name="province_self_evaluation",
    ),
    path(
        "province/reports/<int:report_id>/",
        self_evaluation_views.province_report_page,
        name="province_report",
    ),
    path(
        "province/reports/<int:report_id>/evidence/<int:evidence_id>/",
        self_evaluation_views.province_evidence,
        name="province_evidence",
    ),
    path("panel/", panel_views.panel_home, name="panel"),
    path("panel/<int:pk>/", panel_views.panel_city, name="panel_city"),
    path("checks/", check_views.checks_home, name="checks"),
    path("checks/<int:pk>/", check_views.check_item, name="check_item"),
]
