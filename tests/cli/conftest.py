"""The commands read Django settings when ``DJANGO_SETTINGS_MODULE`` is set; the Django tests
set it for the whole session, so these tests run without it unless they ask for it."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_django_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
