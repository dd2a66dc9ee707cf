from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("runs/<int:run_id>/cities/<str:city_code>/", views.scorecard, name="scorecard"),
    path(
        "runs/<int:run_id>/cities/<str:city_code>/scorecard.pdf",
        views.scorecard_pdf,
        name="scorecard_pdf",
    ),
    path("runs/<int:run_id>/ranking/", views.ranking, name="ranking"),
    path("runs/<int:run_id>/ranking.pdf", views.ranking_pdf, name="ranking_pdf"),
    path("runs/<int:run_id>/ranking.xlsx", views.ranking_xlsx, name="ranking_xlsx"),
    path("runs/<int:run_id>/decision-record.pdf", views.decision_record, name="decision_record"),
    path("runs/<int:run_id>/dossier.zip", views.dossier, name="dossier"),
    path("runs/<int:run_id>/scorecards/", views.scorecards_bundle, name="scorecards_bundle"),
    path("documents/<int:document_id>/", views.document, name="document"),
    path(
        "self-evaluations/<int:self_evaluation_id>/self-evaluation.pdf",
        views.self_evaluation_pdf,
        name="self_evaluation_pdf",
    ),
    path("programmes/<int:programme_id>/dashboard/", views.dashboard, name="dashboard"),
]
