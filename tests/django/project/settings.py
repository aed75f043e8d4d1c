"""A minimal Django project for the integration tests (and the real-server tests).

Tests change settings with ``override_settings``; the servers started by ``tests.live`` read
``DJANGO_TEST_*`` environment variables (``SERVESTATIC_*`` ones would be read by servestatic).
"""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent

SECRET_KEY = "servestatic-tests-only"
DEBUG = os.environ.get("DJANGO_TEST_DEBUG") == "1"
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "tests.django.project.urls"
DATABASES: dict[str, dict[str, str]] = {}

INSTALLED_APPS = [
    "servestatic",
    "django.contrib.staticfiles",
    "tests.django.project.app",
]
MIDDLEWARE = [
    "servestatic.middleware.ServeStaticMiddleware",
    "django.middleware.common.CommonMiddleware",
]

STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("DJANGO_TEST_STATIC_ROOT") or None
STATICFILES_DIRS = [HERE / "assets", ("vendor", HERE / "vendor")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "DJANGO_TEST_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
