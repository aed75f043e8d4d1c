"""``[[redirects]]``: Netlify-style ``:name`` and trailing ``*`` patterns. Pure.

Patterns compile to anchored regular expressions whose groups are separated by literal
``/`` (``[^/]+`` per placeholder, one ``.*`` at the very end), so matching is linear and
safe on hostile paths. Captures are percent-encoded before they reach ``Location``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from servestatic.config import ConfigError, Redirect

__all__ = ["CompiledRedirect", "compile_redirects", "first_match"]

_PLACEHOLDER = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True, slots=True)
class CompiledRedirect:
    number: int
    source: str
    literal: str | None  # the whole pattern, when it has no placeholder
    regex: re.Pattern[str] | None
    target: str
    status: int
    keep_query: bool
    force: bool = True  # False: a file at the path wins (a _redirects line without "!")
    name: str | None = None

    @property
    def label(self) -> str:
        """``[[redirects]] #2``, or the name an imported line carries (``_redirects:5``)."""
        return self.name or f"[[redirects]] #{self.number}"

    def location(self, path: str) -> str | None:
        """The target for ``path``, or None when this redirect does not match it."""
        if self.regex is None:
            return self.target if path == self.literal else None
        match = self.regex.match(path)
        if match is None:
            return None
        captures = match.groupdict()

        def substitute(found: re.Match[str]) -> str:
            name = found.group(1)
            value = captures.get(name) or ""
            # A splat keeps its slashes; a single-segment capture cannot add any.
            return quote(value, safe="/" if name == "splat" else "")

        result = _PLACEHOLDER.sub(substitute, self.target)
        if result.startswith("/"):
            # "/:splat" with a splat of "/evil.example" must not become "//evil.example".
            result = "/" + result.lstrip("/")
        return result


def compile_redirects(redirects: Sequence[Redirect]) -> tuple[CompiledRedirect, ...]:
    compiled = []
    for number, redirect in enumerate(redirects, start=1):
        source = redirect.from_
        if ":" not in source and not source.endswith("/*"):
            compiled.append(
                CompiledRedirect(
                    number,
                    source,
                    source,
                    None,
                    redirect.to,
                    redirect.status,
                    redirect.keep_query,
                    redirect.force,
                    redirect.name,
                )
            )
            continue
        parts = source.split("/")[1:]
        pattern = ""
        for index, part in enumerate(parts):
            if part == "*" and index == len(parts) - 1:
                # "/old/*" matches "/old", "/old/" and everything below.
                pattern += r"(?:/(?P<splat>.*))?"
            elif part.startswith(":"):
                pattern += f"/(?P<{part[1:]}>[^/]+)"
            else:
                pattern += "/" + re.escape(part)
        try:
            regex = re.compile(r"\A" + pattern + r"\Z", re.DOTALL)
        except re.error as error:
            # The settings model refuses every pattern known to fail here; this keeps a
            # Redirect built without validation (``model_construct``) from crashing with a
            # traceback instead of a configuration error.
            msg = f"[[redirects]] #{number} from {source!r}: cannot be compiled ({error.msg})"
            raise ConfigError(msg) from None
        compiled.append(
            CompiledRedirect(
                number,
                source,
                None,
                regex,
                redirect.to,
                redirect.status,
                redirect.keep_query,
                redirect.force,
                redirect.name,
            )
        )
    return tuple(compiled)


def first_match(
    redirects: Sequence[CompiledRedirect], path: str
) -> tuple[CompiledRedirect, str] | None:
    """The first redirect (in configuration order) that matches, with its target."""
    for redirect in redirects:
        location = redirect.location(path)
        if location is not None:
            return redirect, location
    return None
