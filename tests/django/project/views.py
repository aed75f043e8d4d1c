"""Views of the test project."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("home page")


def generated(request: HttpRequest) -> HttpResponse:
    """A URL under STATIC_URL that a view answers (no file behind it)."""
    return HttpResponse("generated();", content_type="text/javascript")
