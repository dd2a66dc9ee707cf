"""Obtaining, listing and revoking API tokens, and signing out. Views are thin: the services
in ``evaluation.services.tokens`` do the work."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import authenticate, logout
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evaluation import access, selectors
from evaluation.api.throttles import AuthThrottle
from evaluation.services import tokens


class CredentialsSerializer(serializers.Serializer[Any]):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class IssuedTokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text=_("send it as `Authorization: Token <token>`"))
    token_key = serializers.CharField(help_text=_("its first characters, to recognise it"))
    expiry = serializers.DateTimeField()


class TokenSerializer(serializers.ModelSerializer[AuthToken]):
    current = serializers.SerializerMethodField(help_text=_("the token of this request"))

    class Meta:
        model = AuthToken
        fields = ["token_key", "created", "expiry", "current"]

    def get_current(self, token: AuthToken) -> bool:
        used = self.context["request"].auth
        return isinstance(used, AuthToken) and used.digest == token.digest


class TokenObtainView(APIView):
    """Exchange a username and password for an API token that expires (after
    `API_TOKEN_TTL_DAYS`, 30 days by default). The token is shown only this once."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthThrottle]

    @extend_schema(request=CredentialsSerializer, responses={200: IssuedTokenSerializer})
    def post(self, request: Request) -> Response:
        credentials = CredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=credentials.validated_data["username"],
            password=credentials.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise ValidationError(
                {"non_field_errors": [_("Unable to log in with provided credentials.")]}
            )
        row, token = tokens.token_issue(user=user)
        return Response(
            IssuedTokenSerializer(
                {"token": token, "token_key": row.token_key, "expiry": row.expiry}
            ).data
        )


class TokenListView(generics.ListAPIView[AuthToken]):
    """Your own API tokens that still work (officials and reviewers alike), newest first;
    `current` marks the one this request was made with."""

    serializer_class = TokenSerializer

    def get_queryset(self) -> QuerySet[AuthToken]:
        if getattr(self, "swagger_fake_view", False):
            none: QuerySet[AuthToken] = AuthToken.objects.none()
            return none
        return selectors.token_list(fetched_by=cast(User, self.request.user))


class TokenRevokeView(APIView):
    """Revoke one of your own tokens by its `token_key`: it stops working at once. Another
    user's token is not found (404)."""

    error_statuses = (401, 403, 404, 429)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, token_key: str) -> Response:
        if not tokens.token_revoke(token_key=token_key, by=cast(User, request.user)):
            raise access.NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignOutView(APIView):
    """Sign out: the token this request was made with is revoked (or the browser session
    ended); other tokens keep working."""

    error_statuses = (401, 403, 429)

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, AuthToken):
            tokens.token_revoke_current(token=request.auth, by=cast(User, request.user))
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
