"""The project's URLs plus ``/bench/bare/``: a Django view that renders a small template and
reads nothing, behind the same middleware (sessions, locale, auth, axes)."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from config.urls import urlpatterns as project

_TEMPLATE = engines["django"].from_string("<!doctype html><p>{{ user.username }}</p>")


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_TEMPLATE.render({"user": request.user}, request))


urlpatterns = [path("bench/bare/", bare), *project]
