"""URLs of the test project: a home page and a view under STATIC_URL."""

from __future__ import annotations

from django.urls import path

from tests.django.project import views

urlpatterns = [
    path("", views.home),
    path("static/generated.js", views.generated),
]
