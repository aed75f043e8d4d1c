"""A test app with its own static directory (found by AppDirectoriesFinder)."""

from __future__ import annotations

from django.apps import AppConfig


class TestAppConfig(AppConfig):
    name = "tests.django.project.app"
    label = "servestatic_test_app"
