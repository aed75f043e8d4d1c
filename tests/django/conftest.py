"""Django test setup: the test project's settings, real ``collectstatic``, response helpers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import django
import pytest
from django.core.management import call_command
from django.http.response import HttpResponseBase
from django.test import override_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django.project.settings")
django.setup()

PROJECT = Path(__file__).resolve().parent / "project"
MANIFEST = "servestatic.storage.CompressedManifestStaticFilesStorage"
COMPRESSED = "servestatic.storage.CompressedStaticFilesStorage"
PLAIN = "django.contrib.staticfiles.storage.StaticFilesStorage"
DJANGO_MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"


def storages(backend: str) -> dict[str, dict[str, Any]]:
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": backend},
    }


@contextmanager
def project(static_root: Path | None, backend: str = PLAIN, **settings: Any) -> Iterator[None]:
    """The test project with ``STATIC_ROOT``, a staticfiles storage and other settings."""
    with override_settings(
        STATIC_ROOT=str(static_root) if static_root else None,
        STORAGES=storages(backend),
        **settings,
    ):
        yield


def collectstatic(static_root: Path, backend: str = MANIFEST, **settings: Any) -> Path:
    """Run Django's real ``collectstatic`` into ``static_root``; return it."""
    with project(static_root, backend, **settings):
        call_command("collectstatic", interactive=False, verbosity=0)
    return static_root


@pytest.fixture
def static_root(tmp_path: Path) -> Path:
    return tmp_path / "collected"


def content(response: HttpResponseBase) -> bytes:
    """The body of a sync test-client response (plain or streaming)."""
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return bytes(response.content)  # type: ignore[attr-defined]


async def acontent(response: HttpResponseBase) -> bytes:
    """The body of an async test-client response (plain or streaming)."""
    if response.streaming:
        return b"".join([chunk async for chunk in response.streaming_content])  # type: ignore[attr-defined]
    return bytes(response.content)  # type: ignore[attr-defined]


def hashed_name(static_root: Path, name: str) -> str:
    """The hashed name the manifest gives ``name``."""
    import json

    paths: dict[str, str] = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    return paths[name]
