"""The outcome of a start-up run without serving (``servestatic check``, ``manage.py check``).

Both run the server's own start-up, the same adapter class with its problems gathered
instead of raised or reported, so that what they say is what the server does.
"""

from __future__ import annotations

from dataclasses import dataclass

from servestatic.config import LoadedSettings, Problem
from servestatic.serve.engine import Engine

__all__ = ["Boot"]


@dataclass(frozen=True)
class Boot:
    """What a start-up found."""

    #: The settings and the source of each value.
    loaded: LoadedSettings
    #: The engine, when the settings allowed the start-up to get that far.
    engine: Engine | None
    #: Every problem, in the order the server reports them (the settings' first).
    problems: tuple[Problem, ...]
    #: Lines about the configuration that are not problems of the start-up (Django's
    #: renamed ``WHITENOISE_*`` settings...).
    notes: tuple[str, ...] = ()
    #: Whether misses are answered by the engine (404) or handed to an application.
    standalone: bool = True

    @property
    def strict(self) -> bool:
        return self.loaded.ok and self.loaded.settings.strict

    def failed(self, strict: bool = False) -> bool:
        """Would the server refuse to start? (``strict``: as if ``strict = true``.)"""
        if any(problem.is_error for problem in self.problems):
            return True
        return bool(self.problems) and (strict or self.strict)
