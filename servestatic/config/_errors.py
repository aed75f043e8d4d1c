"""``Problem`` and ``ConfigError``: every configuration problem at once, each naming its source.

A problem reads ``SOURCE → key.path: message, got VALUE`` where SOURCE is an environment
variable's name, ``code``, a Django setting or a file (plus ``[[rules]] #N "name"`` for list
items, 1-based). The record keeps the parts apart (``path``, ``source``, ``value``,
``message``, ``severity``) so that the CLI and Django never parse the formatted line.

Nothing here imports pydantic or another module of this package.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from servestatic.errors import ServeStaticError

__all__ = [
    "NULL",
    "ConfigError",
    "Problem",
    "Severity",
    "as_strict",
    "did_you_mean",
    "raise_if_strict",
]

_VALUE_LIMIT = 80

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One configuration or start-up problem."""

    #: Where the value came from: ``SERVESTATIC_MAX_AGE``, ``servestatic.toml [[rules]] #2
    #: "html"``, ``settings.SERVESTATIC_ROOT``, ``code``...
    source: str
    #: The dotted key below the source (``""`` when the problem is the source itself).
    key: str
    message: str
    #: What was given (``None``: not shown; :data:`NULL`: shown as ``null``).
    value: Any
    #: A stable machine-readable kind: pydantic's error type, or ours (``unknown_setting``,
    #: ``no_directory``, ``unused_rule``...).
    kind: str = ""
    #: The path of the setting from the top of the model (``("rules", 1, "headers")``);
    #: empty when the problem is tied to no setting (a TOML syntax error, an unknown
    #: variable).
    path: tuple[str | int, ...] = ()
    #: A warning stops nothing, except under ``strict = true``.
    severity: Severity = "error"

    @property
    def field(self) -> str | None:
        """The top-level setting this problem is about, if any."""
        return str(self.path[0]) if self.path else None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def as_error(self) -> Problem:
        """The same problem, stopping the start-up (``strict = true``)."""
        return self if self.is_error else replace(self, severity="error")

    def __str__(self) -> str:
        where = f"{self.source} → {self.key}" if self.key else self.source
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f", got {_show(self.value)}"
        return text


class _Null:
    """The value ``None``/``null`` in a message (``Problem.value = None`` hides the value)."""

    def __repr__(self) -> str:
        return "null"


NULL: Any = _Null()


def _show(value: Any) -> str:
    text = repr(value)
    if len(text) > _VALUE_LIMIT:
        text = text[: _VALUE_LIMIT - 3] + "..."
    return text


class ConfigError(ServeStaticError, ValueError):
    """Invalid configuration (or a start-up that cannot go on); ``problems`` lists them all."""

    def __init__(self, problems: Sequence[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("configuration", "", problems, None)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        header = f"invalid servestatic configuration ({count} problem{'s' if count != 1 else ''})"
        super().__init__("\n".join([header, *(f"  {problem}" for problem in self.problems)]))


def as_strict(problems: Iterable[Problem], strict: bool) -> list[Problem]:
    """The problems as a start-up reports them: under ``strict = true`` every warning is
    an error. The one place that rule is written (loader, engine, Django, CLI)."""
    return [problem.as_error() for problem in problems] if strict else list(problems)


def raise_if_strict(problems: Sequence[Problem], strict: bool) -> None:
    """Under ``strict = true`` a start-up's warnings stop it: one ConfigError with them all.
    Without ``strict`` the caller reports them (log, Python warning, stderr)."""
    if strict and problems:
        raise ConfigError(as_strict(problems, strict))


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a mistyped name, if any is close enough."""
    import difflib  # noqa: PLC0415 - only for a mistake; not part of every start-up

    matches = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None
