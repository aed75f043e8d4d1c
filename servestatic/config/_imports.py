"""``_headers`` / ``_redirects`` as a configuration source: records become settings.

What each line becomes (``docs/migration.md``):

* a ``_headers`` block → a ``[[rules]]`` entry named ``_headers:LINE`` (``headers`` for the
  header lines, ``unset`` for Cloudflare's ``! Name``);
* a 3xx line → a ``[[redirects]]`` entry named ``_redirects:LINE`` (``force`` from ``!``);
* ``/* /index.html 200`` → ``spa.fallback`` (and ``spa.exclude = []``: those hosts' fallback
  answers every miss); ``/* /404.html 404`` → ``errors.not_found``;
* ``FROM PAGE 200`` / ``FROM PAGE 404`` where PAGE is that fallback / 404 page → FROM is a
  miss there (a deny rule when forced; ``spa.exclude`` for 404).

Everything else (proxies, other rewrites, query or country conditions, host rules, other
status codes) is an error naming ``file:line``, never dropped.

Precedence: servestatic's own configuration wins. Imported rules come before the configured
``[[rules]]`` (the later rule wins per header); imported redirects come after the configured
``[[redirects]]`` (the first match wins); the fallback and 404 page are taken only where no
other source set them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pydantic import ValidationError

from servestatic.config._errors import Problem
from servestatic.config._hostfiles import (
    HeaderBlock,
    ParseProblem,
    RedirectLine,
    decode_text,
    parse_headers,
    parse_redirects,
)
from servestatic.config._model import Redirect, Rule, Settings

__all__ = ["ImportResult", "apply_imports"]

#: Cloudflare Pages refuses more than these (Netlify has no documented count limit).
CLOUDFLARE_HEADER_RULES = 100
CLOUDFLARE_STATIC_REDIRECTS = 2000
CLOUDFLARE_DYNAMIC_REDIRECTS = 100
#: Files larger than this are refused before reading (a real one is a few kilobytes).
MAX_FILE = 4 * 1024 * 1024

_GLOB_SPECIAL = re.compile(r"([*?\[\]{}\\])")
_PLACEHOLDER = re.compile(r":[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class ImportResult:
    """What the imported files add, before merging with the other sources."""

    rules: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    redirects: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    fallback: tuple[str, str] | None = None  # (url, label)
    not_found: tuple[str, str] | None = None
    exclude: list[tuple[str, str]] = field(default_factory=list)
    hide: list[str] = field(default_factory=list)  # URLs of the files themselves
    problems: list[Problem] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def _label(path: Path, cwd: Path) -> str:
    try:
        return str(path.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(path)


def _problem(label: str, found: ParseProblem) -> Problem:
    return Problem(
        f"{label}:{found.line}",
        found.key,
        found.message,
        found.text,
        kind="import_syntax",
        severity="warning" if found.warning else "error",
    )


def _read(path: Path, label: str, result: ImportResult) -> str | None:
    try:
        size = path.stat().st_size
        if size > MAX_FILE:
            result.problems.append(
                Problem(label, "", f"larger than {MAX_FILE} bytes", size, kind="import_file")
            )
            return None
        data = path.read_bytes()
    except OSError as error:
        reason = "is a directory" if path.is_dir() else (error.strerror or str(error))
        result.problems.append(
            Problem(label, "", f"cannot read the file: {reason}", None, kind="import_file")
        )
        return None
    text, problem = decode_text(data)
    if problem is not None:
        result.problems.append(_problem(label, problem))
    return text


def read_imports(
    paths: Sequence[Path], roots: Sequence[tuple[Path, str]], cwd: Path
) -> ImportResult:
    """Parse every file (kind by name: ``*redirects*`` is a redirects file, else headers)."""
    result = ImportResult()
    seen: set[Path] = set()
    for path in paths:
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        label = _label(path, cwd)
        result.labels.append(label)
        for root, prefix in roots:
            if resolved.parent == root.resolve():
                result.hide.append(prefix.rstrip("/") + "/" + path.name)
        text = _read(path, label, result)
        if text is None:
            continue
        if "redirects" in path.name:
            lines, problems = parse_redirects(text)
            result.problems.extend(_problem(label, problem) for problem in problems)
            _redirects(lines, label, result)
        else:
            blocks, problems = parse_headers(text)
            result.problems.extend(_problem(label, problem) for problem in problems)
            _headers(blocks, label, result)
    return result


# ----------------------------------------------------------------------------- _headers


def pattern_for(path: str) -> dict[str, Any]:
    """``match`` (a glob) or ``regex`` for a host path pattern, percent-decoded.

    ``:name`` is one segment; ``*`` is any run of characters, slashes included. A whole
    trailing ``/*`` segment is the glob ``/**`` (also the directory itself, as on Netlify);
    a ``*`` elsewhere needs a regular expression, anchored at both ends.
    """
    parts = path.split("/")
    simple = all(
        "*" not in part or (part == "*" and index == len(parts) - 1)
        for index, part in enumerate(parts)
    )
    if simple:
        segments = []
        for part in parts:
            if part == "*":
                segments.append("**")
            elif _PLACEHOLDER.fullmatch(part):
                segments.append("*")
            else:
                segments.append(_GLOB_SPECIAL.sub(r"\\\1", unquote(part)))
        return {"match": ["/".join(segments)]}
    regex = ""
    for piece in re.split(r"(\*|(?<=/):[A-Za-z_][A-Za-z0-9_]*)", path):
        if piece == "*":
            regex += ".*"
        elif piece.startswith(":") and _PLACEHOLDER.fullmatch(piece):
            regex += "[^/]+"
        else:
            regex += re.escape(unquote(piece))
    return {"regex": rf"\A{regex}\Z"}


def _headers(blocks: Sequence[HeaderBlock], label: str, result: ImportResult) -> None:
    for block in blocks:
        where = f"{label}:{block.line}"
        data: dict[str, Any] = {"name": where, **pattern_for(block.path)}
        data["headers"] = dict(block.headers)
        if block.detach:
            data["unset"] = list(block.detach)
        if _valid(Rule, data, where, block.path, result):
            result.rules.append((data, where))
    if len(blocks) > CLOUDFLARE_HEADER_RULES:
        result.problems.append(
            Problem(
                label,
                "",
                f"{len(blocks)} header rules: Cloudflare Pages refuses more than "
                f"{CLOUDFLARE_HEADER_RULES} (servestatic has no such limit)",
                None,
                kind="import_limit",
                severity="warning",
            )
        )


def _valid(model: Any, data: dict[str, Any], where: str, text: str, result: ImportResult) -> bool:
    try:
        model.model_validate(data)
    except ValidationError as error:
        for detail in error.errors():
            location = ".".join(str(part) for part in detail["loc"]) or "line"
            message = detail["msg"].removeprefix("Value error, ")
            result.problems.append(
                Problem(where, location, message, text, kind=f"import_{detail['type']}")
            )
        return False
    return True


# ----------------------------------------------------------------------------- _redirects


def _redirects(lines: Sequence[RedirectLine], label: str, result: ImportResult) -> None:
    # The catch-alls first: "FROM /index.html 200" means "a miss" only once the fallback is
    # known, wherever the "/*" line stands.
    for line in lines:
        if line.source == "/*" and not (line.query or line.conditions):
            where = f"{label}:{line.line}"
            if line.status == 200 and result.fallback is None and _local(line.target):
                result.fallback = (line.target, where)
            elif line.status == 404 and result.not_found is None and _local(line.target):
                result.not_found = (line.target, where)
    static = dynamic = 0
    for line in lines:
        where = f"{label}:{line.line}"
        if (problem := _unsupported(line)) is not None:
            result.problems.append(
                Problem(where, problem[0], problem[1], line.text, kind="import_unsupported")
            )
            continue
        dynamic_line = "*" in line.source or ":" in line.source
        dynamic += dynamic_line
        static += not dynamic_line
        if line.status in {301, 302, 303, 307, 308}:
            _redirect(line, where, result)
        elif line.status == 200:
            _rewrite(line, where, result)
        else:
            _not_found(line, where, result)
    if static > CLOUDFLARE_STATIC_REDIRECTS or dynamic > CLOUDFLARE_DYNAMIC_REDIRECTS:
        result.problems.append(
            Problem(
                label,
                "",
                f"{static} static and {dynamic} dynamic redirects: Cloudflare Pages refuses more "
                f"than {CLOUDFLARE_STATIC_REDIRECTS} and {CLOUDFLARE_DYNAMIC_REDIRECTS} "
                "(servestatic has no such limit)",
                None,
                kind="import_limit",
                severity="warning",
            )
        )


def _local(target: str) -> bool:
    return target.startswith("/") and not target.startswith("//")


def _unsupported(line: RedirectLine) -> tuple[str, str] | None:
    if line.conditions:
        return (
            "condition",
            f"conditions ({' '.join(line.conditions)}) cannot be expressed: servestatic "
            "answers every country, language, role and cookie alike",
        )
    if line.query:
        return (
            "query",
            f"query-parameter matching ({' '.join(line.query)}) cannot be expressed: "
            "servestatic matches the path only",
        )
    if "://" in line.source:
        return (
            "from",
            "a rule for an absolute URL (one host) cannot be expressed: servestatic answers "
            "every host alike; write the path alone",
        )
    if line.status not in {200, 301, 302, 303, 307, 308, 404}:
        return (
            "status",
            f"status {line.status} is not supported: use 301, 302, 303, 307, 308, 200 (the "
            "SPA fallback) or 404",
        )
    if line.status in {200, 404} and not _local(line.target):
        what = "proxying to another origin" if line.status == 200 else "a 404 from another origin"
        return ("to", f"{what} cannot be expressed: servestatic serves local files only")
    target_path = line.target.split("://", 1)[-1]
    if "/" in target_path and any(
        segment in {".", ".."} for segment in target_path.split("?")[0].split("/")[1:]
    ):
        return ("to", "a target with '.' or '..' segments; write the resolved path")
    for part in line.source.split("/"):
        decoded = unquote(part)
        if decoded != part and ("*" in decoded or decoded.startswith(":")):
            return ("from", "an encoded '*' or ':' cannot be told apart from a pattern here")
    return None


def _redirect(line: RedirectLine, where: str, result: ImportResult) -> None:
    data = {
        "from": unquote(line.source),
        "to": line.target,
        "status": line.status,
        "force": line.force,
        "name": where,
    }
    if _valid(Redirect, data, where, line.text, result):
        result.redirects.append((data, where))


def _miss(line: RedirectLine, where: str, result: ImportResult, *, exclude: bool) -> None:
    """FROM answered as a miss: a deny rule when forced over files, ``spa.exclude`` for 404."""
    pattern = pattern_for(line.source)
    if exclude:
        if "match" not in pattern:
            result.problems.append(
                Problem(
                    where,
                    "from",
                    "a 404 for this pattern cannot be expressed (spa.exclude takes globs: use a "
                    "trailing '/*' or ':name' segments)",
                    line.text,
                    kind="import_unsupported",
                )
            )
            return
        result.exclude.extend((glob, where) for glob in pattern["match"])
    if line.force:
        data = {"name": where, **pattern, "deny": True}
        if _valid(Rule, data, where, line.text, result):
            result.rules.append((data, where))


def _rewrite(line: RedirectLine, where: str, result: ImportResult) -> None:
    if line.source == "/*" and result.fallback is not None and result.fallback[1] == where:
        return  # the SPA fallback itself
    if result.fallback is not None and line.target == result.fallback[0]:
        _miss(line, where, result, exclude=False)
        return
    result.problems.append(
        Problem(
            where,
            "to",
            "a rewrite (status 200) cannot be expressed: servestatic has one SPA fallback, "
            "written '/* /index.html 200'",
            line.text,
            kind="import_unsupported",
        )
    )


def _not_found(line: RedirectLine, where: str, result: ImportResult) -> None:
    if line.source == "/*" and result.not_found is not None and result.not_found[1] == where:
        return  # the 404 page itself
    page = result.not_found[0] if result.not_found is not None else "/404.html"
    if line.target != page:
        result.problems.append(
            Problem(
                where,
                "to",
                f"servestatic has one 404 page ({page}); a 404 answered with another page "
                "cannot be expressed",
                line.text,
                kind="import_unsupported",
            )
        )
        return
    if result.not_found is None:
        # Netlify answers misses with /404.html without being told.
        result.not_found = (page, where)
    _miss(line, where, result, exclude=True)


# ----------------------------------------------------------------------------- merging


def apply_imports(
    settings: Settings, provenance: Mapping[str, str], cwd: Path, paths: Sequence[Path]
) -> tuple[Settings, dict[str, str], list[Problem], list[str]]:
    """The settings with the files at ``paths`` (the loader's ``import_files``) merged in,
    their provenance, the problems and the labels of the files read."""
    # One function (issue 15 allows it with a reason): each setting's merge reads and
    # writes the same ``provenance`` and ``update``; split, every step would pass all four.
    if not paths:
        return settings, dict(provenance), [], []
    roots: list[tuple[Path, str]] = []
    if settings.root is not None:
        roots.append((Path(settings.root), settings.prefix or "/"))
    roots.extend((Path(root.path), root.prefix or "/") for root in settings.roots)
    result = read_imports(paths, roots, cwd)
    provenance = dict(provenance)
    problems = list(result.problems)
    files = ", ".join(result.labels)
    configured_label = provenance.get("rules", "default")
    rules: list[Any] = []
    origins: list[str] = []
    if result.hide:
        rules.append(
            {
                "name": "imported _headers/_redirects (configuration, never served)",
                "match": sorted(set(result.hide)),
                "deny": True,
            }
        )
        origins.append(files)
    for data, where in result.rules:
        rules.append(data)
        origins.append(where)
    for number, rule in enumerate(settings.rules, start=1):
        rules.append(rule)
        origins.append(f"{configured_label} [[rules]] #{number}")
    redirects: list[Any] = list(settings.redirects)
    redirects.extend(data for data, _ in result.redirects)
    update: dict[str, Any] = {}
    if len(rules) != len(settings.rules):
        update["rules"] = rules
        provenance["rules"] = _join(provenance.get("rules"), files)
        for index, origin in enumerate(origins, start=1):
            provenance[f"rules[{index}]"] = origin
    if result.redirects:
        update["redirects"] = redirects
        provenance["redirects"] = _join(provenance.get("redirects"), files)
    spa = settings.spa.model_dump()
    if result.fallback is not None:
        url, where = result.fallback
        if "spa.fallback" in provenance and settings.spa.fallback != url:
            problems.append(_overridden(where, "spa.fallback", provenance["spa.fallback"], url))
        elif "spa.fallback" not in provenance:
            spa["fallback"] = url
            provenance["spa.fallback"] = where
            if "spa.exclude" not in provenance:
                # Those hosts' fallback answers every miss, file-like paths included.
                spa["exclude"] = []
                provenance["spa.exclude"] = where
    exclude_source = provenance.get("spa.exclude")
    if result.exclude and (
        exclude_source is None or exclude_source.startswith(tuple(result.labels))
    ):
        # Paths the files answer with the 404 page never fall back (a configured exclude
        # list is the user's word and is left alone).
        spa["exclude"] = [*spa["exclude"], *(glob for glob, _ in result.exclude)]
        provenance["spa.exclude"] = exclude_source or result.exclude[0][1]
    if spa != settings.spa.model_dump():
        update["spa"] = spa
    if result.not_found is not None:
        url, where = result.not_found
        if "errors.not_found" in provenance and settings.errors.not_found != url:
            problems.append(
                _overridden(where, "errors.not_found", provenance["errors.not_found"], url)
            )
        elif "errors.not_found" not in provenance:
            update["errors"] = {**settings.errors.model_dump(), "not_found": url}
            provenance["errors.not_found"] = where
    if not update or any(problem.is_error for problem in problems):
        return settings, provenance, problems, result.labels
    data = {name: getattr(settings, name) for name in type(settings).model_fields}
    data.update(update)
    try:
        merged = Settings.model_validate(data)
    except ValidationError as error:  # pragma: no cover - every part was validated alone
        problems.append(Problem(files, "", str(error), None, kind="import_merge"))
        return settings, provenance, problems, result.labels
    return merged, provenance, problems, result.labels


def _join(first: str | None, second: str) -> str:
    return second if first in {None, "default"} else f"{first}, {second}"


def _overridden(where: str, key: str, source: str, url: str) -> Problem:
    return Problem(
        where,
        key,
        f"ignored: {key} is set by {source}, which takes precedence over imported files",
        url,
        kind="import_overridden",
        severity="warning",
    )
