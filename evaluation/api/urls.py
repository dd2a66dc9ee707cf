from django.urls import include, path
from rest_framework.routers import DefaultRouter

from evaluation.api import evidence, parts, review, tokens, views
from evaluation.api.audit import AuditView

router = DefaultRouter()
router.register("programmes", views.ProgrammeViewSet)
router.register("indicators", views.IndicatorViewSet)
router.register("participations", views.ParticipationViewSet, basename="participation")
router.register("reports", views.ReportViewSet, basename="report")
router.register("runs", views.RunViewSet, basename="run")
router.register("results", views.ResultViewSet, basename="result")
router.register("decisions", views.DecisionViewSet, basename="decision")
router.register("expenditure", parts.ExpenditureViewSet, basename="expenditure")
router.register("evidence", evidence.EvidenceViewSet, basename="evidence")
router.register("self-evaluations", review.SelfEvaluationViewSet, basename="self_evaluation")

urlpatterns = [
    path("auth/token/", tokens.TokenObtainView.as_view(), name="token"),
    path("auth/tokens/", tokens.TokenListView.as_view(), name="tokens"),
    path("auth/tokens/<str:token_key>/", tokens.TokenRevokeView.as_view(), name="token-revoke"),
    path("auth/sign-out/", tokens.SignOutView.as_view(), name="sign-out"),
    path("audit/<str:model>/<int:pk>/", AuditView.as_view(), name="audit"),
    path("participations/<int:pk>/money/", parts.MoneyView.as_view(), name="participation-money"),
    path("participations/<int:pk>/plan/", parts.PlanView.as_view(), name="participation-plan"),
    path("participations/<int:pk>/tasks/", parts.TasksView.as_view(), name="participation-tasks"),
    path("", include(router.urls)),
]
