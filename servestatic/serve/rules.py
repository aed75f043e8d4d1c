"""The rule engine: ``[[rules]]`` compiled once into plain records, folded per file.

Semantics (``docs/rules.md``):

* every rule whose pattern matches the file applies, in file order; a later rule wins per
  header; ``final = true`` stops evaluation for the files it matches;
* ``headers`` sets, ``append`` joins with ``", "``, ``default`` sets only if nothing set the
  header by the end, ``unset`` removes (a later ``set`` can bring it back);
* a rule matches a file if it matches the URL that is requested (``/docs/``) or the file's
  own URL (``/docs/index.html``).

Folding happens at start-up for every file; results are interned, so files with the same
matching rules share one header tuple. Nothing here runs per request in the default mode.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from servestatic.config import FOREVER, Rule
from servestatic.http.glob import Glob, compile_glob

__all__ = ["BaseHeaders", "CompiledRule", "Policy", "RuleSet", "compile_rules"]


def matched_urls(url: str, source: str) -> tuple[str, ...]:
    """The URLs the rules match for an entry answering ``url`` with the file named
    ``source`` (its own URL, or the original name a build manifest serves it under, never
    the hashed one): one when they are the same."""
    return (url,) if url == source else (url, source)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to match: plain values only, no pydantic objects."""

    number: int  # 1-based position in the configuration
    name: str | None
    globs: tuple[Glob, ...]
    regex: re.Pattern[str] | None
    set_headers: tuple[tuple[str, str], ...]
    append_headers: tuple[tuple[str, str], ...]
    default_headers: tuple[tuple[str, str], ...]
    unset: tuple[str, ...]
    cache_control: str | None  # from cache_control / max_age / immutable=true
    mutable: bool  # immutable = false: use the global max_age policy
    max_age: int | None  # only meaningful with ``mutable``
    media_type: str | None
    charset: str | None
    content_disposition: str | None
    deny: bool
    final: bool
    retained: bool | None = None  # a condition: files of a previous build (or not)
    #: The framework preset this rule comes from (issue 18), or None for ``[[rules]]``.
    preset: str | None = None
    #: Where the rule was written, when imported files put rules before the configured
    #: ones (the loader's provenance ``rules[N]``): ``_headers:12``, or
    #: ``servestatic.toml [[rules]] #1`` for the configuration's first rule.
    origin: str | None = None

    @property
    def label(self) -> str:
        """How ``explain`` and ``check`` name the rule: ``#N`` is its place in the
        configuration's ``[[rules]]``, whatever imported rules come before it; an imported
        rule is named by its file and line."""
        if self.preset is not None:
            return f'preset {self.preset} "{self.name}"'
        where = f"#{self.number}"
        if self.origin is not None:
            _, marker, position = self.origin.rpartition(" [[rules]] ")
            where = position if marker else self.origin
        return f'{where} "{self.name}"' if self.name and self.name != where else where

    @property
    def pattern_text(self) -> str:
        if self.regex is not None:
            return f"regex {self.regex.pattern!r}"
        return ", ".join(glob.pattern for glob in self.globs)

    def matches(self, urls: Sequence[str], retained: bool = False) -> bool:
        if self.retained is not None and self.retained != retained:
            return False
        if self.regex is not None:
            return any(self.regex.search(url) for url in urls)
        return any(glob.match(url) for glob in self.globs for url in urls)


def compile_rules(rules: Sequence[Rule], provenance: Mapping[str, str] | None = None) -> RuleSet:
    """Compile validated rules (globs are already known to be valid); ``provenance`` (the
    loader's) names where each came from when imported files added rules."""
    compiled = []
    origins = provenance or {}
    for number, rule in enumerate(rules, start=1):
        cache_control = rule.cache_control
        if rule.immutable is True:
            cache_control = (
                f"max-age={FOREVER if rule.max_age is None else rule.max_age}, public, immutable"
            )
        elif rule.immutable is None and rule.max_age is not None:
            cache_control = f"max-age={rule.max_age}, public"
        compiled.append(
            CompiledRule(
                number=number,
                name=rule.name,
                globs=tuple(compile_glob(pattern) for pattern in rule.patterns),
                regex=re.compile(rule.regex) if rule.regex is not None else None,
                set_headers=tuple(rule.headers.items()),
                append_headers=tuple(rule.append.items()),
                default_headers=tuple(rule.default.items()),
                unset=tuple(rule.unset),
                cache_control=cache_control,
                mutable=rule.immutable is False,
                max_age=rule.max_age,
                media_type=rule.content_type,
                charset=rule.charset,
                content_disposition=rule.content_disposition,
                deny=rule.deny,
                origin=origins.get(f"rules[{number}]"),
                final=rule.final,
                retained=rule.retained,
            )
        )
    return RuleSet(tuple(compiled))


@dataclass(frozen=True, slots=True)
class BaseHeaders:
    """The layers below the rules: ServeStatic's defaults and the presets."""

    media_type: str
    charset: str | None  # added to text/* types
    cache_control: str | None
    mutable_cache_control: str | None  # what ``immutable = false`` restores
    extra: tuple[tuple[str, str], ...] = ()  # CORS and security presets, in order


@dataclass(frozen=True, slots=True)
class Policy:
    """The result of folding rules over one file."""

    headers: tuple[tuple[str, str], ...]
    deny: bool
    matched: tuple[int, ...]  # rule numbers that applied, in order


@dataclass
class _State:
    headers: dict[str, tuple[str, str]] = field(default_factory=dict)
    defaults: dict[str, tuple[str, str]] = field(default_factory=dict)
    media_type: str = "application/octet-stream"
    charset: str | None = None
    charset_explicit: bool = False
    verbatim_type: str | None = None
    has_type: bool = True

    def set(self, name: str, value: str) -> None:
        key = name.lower()
        if key == "content-type":
            self.verbatim_type, self.has_type = value, True
            return
        self.headers[key] = (name, value)
        self.defaults.pop(key, None)

    def append(self, name: str, value: str) -> None:
        key = name.lower()
        if key == "content-type":
            self.set(name, value)
            return
        current = self.headers.get(key)
        self.headers[key] = (current[0], f"{current[1]}, {value}") if current else (name, value)

    def unset(self, pattern: str) -> None:
        lowered = pattern.lower()

        def test(key: str) -> bool:
            if lowered.startswith("*"):
                return key.endswith(lowered[1:])
            if lowered.endswith("*"):
                return key.startswith(lowered[:-1])
            return key == lowered

        for key in [key for key in self.headers if test(key)]:
            del self.headers[key]
        for key in [key for key in self.defaults if test(key)]:
            del self.defaults[key]
        if test("content-type"):
            self.has_type = False
            self.verbatim_type = None

    def content_type(self) -> str | None:
        if not self.has_type:
            return None
        if self.verbatim_type is not None:
            return self.verbatim_type
        if "charset=" in self.media_type.lower():
            return self.media_type
        text_like = self.media_type.startswith("text/")
        if self.charset and (text_like or self.charset_explicit):
            return f"{self.media_type}; charset={self.charset}"
        return self.media_type


class RuleSet:
    """Compiled rules; ``fold`` turns base headers plus matching rules into a policy."""

    def __init__(self, rules: tuple[CompiledRule, ...]) -> None:
        self.rules = rules
        self._interned: dict[tuple[object, ...], Policy] = {}
        #: The ``deny`` rules: a file one of them matches is folded at start-up, to know
        #: whether it is served at all (see ``EntryBuilder.deferrable``).
        self.deny_rules = tuple(rule for rule in rules if rule.deny)

    def with_presets(self, presets: tuple[CompiledRule, ...]) -> RuleSet:
        """These rules with framework preset rules before them (rules override presets)."""
        configured = tuple(rule for rule in self.rules if rule.preset is None)
        return RuleSet(presets + configured)

    def __len__(self) -> int:
        return len(self.rules)

    def matching(self, urls: Sequence[str], retained: bool = False) -> list[CompiledRule]:
        """The rules that apply to a file known by ``urls`` (``retained``: kept from a
        previous build), in order, up to a ``final`` one."""
        found = []
        for rule in self.rules:
            if rule.matches(urls, retained):
                found.append(rule)
                if rule.final:
                    break
        return found

    def may_deny(self, url: str, retained: bool = False) -> bool:
        """Could a ``deny`` rule hide the file at ``url``? False means certainly not; True
        only that one matches it (a ``final`` rule before it may still stop the fold)."""
        return any(rule.matches((url,), retained) for rule in self.deny_rules)

    def used(self) -> frozenset[int]:
        """The numbers of the rules that matched at least one file folded so far."""
        return frozenset(n for policy in self._interned.values() for n in policy.matched)

    def fold(
        self, base: BaseHeaders, urls: Sequence[str], filename: str, retained: bool = False
    ) -> Policy:
        """Apply the matching rules, in order, over ``base``. Results are interned."""
        matched = self.matching(urls, retained)
        numbers = tuple(rule.number for rule in matched)
        uses_name = any(rule.content_disposition in {"attachment", "inline"} for rule in matched)
        key = (numbers, base, filename if uses_name else None)
        policy = self._interned.get(key)
        if policy is None:
            policy = _fold(base, matched, filename)
            self._interned[key] = policy
        return policy


def _fold(base: BaseHeaders, rules: Iterable[CompiledRule], filename: str) -> Policy:
    state = _State(media_type=base.media_type, charset=base.charset)
    if base.cache_control is not None:
        state.set("Cache-Control", base.cache_control)
    for name, value in base.extra:
        state.set(name, value)
    deny = False
    numbers = []
    for rule in rules:
        numbers.append(rule.number)
        deny = deny or rule.deny
        if rule.mutable:
            state.unset("Cache-Control")
            mutable = (
                f"max-age={rule.max_age}, public"
                if rule.max_age is not None
                else base.mutable_cache_control
            )
            if mutable is not None:
                state.set("Cache-Control", mutable)
        if rule.cache_control is not None:
            state.set("Cache-Control", rule.cache_control)
        if rule.media_type is not None:
            state.media_type, state.verbatim_type, state.has_type = rule.media_type, None, True
        if rule.charset is not None:
            state.charset = rule.charset or None
            state.charset_explicit = True
            state.verbatim_type = None
        if rule.content_disposition is not None:
            state.set("Content-Disposition", _disposition(rule.content_disposition, filename))
        for name, value in rule.set_headers:
            state.set(name, value)
        for name, value in rule.append_headers:
            state.append(name, value)
        for name, value in rule.default_headers:
            state.defaults[name.lower()] = (name, value)
        for pattern in rule.unset:
            state.unset(pattern)
    for key, pair in state.defaults.items():
        state.headers.setdefault(key, pair)
    headers: list[tuple[str, str]] = []
    content_type = state.content_type()
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    headers.extend(state.headers.values())
    return Policy(tuple(headers), deny, tuple(numbers))


def _disposition(value: str, filename: str) -> str:
    """``attachment``/``inline`` get the file name (RFC 6266, RFC 8187 for non-ASCII)."""
    if value not in {"attachment", "inline"}:
        return value
    # A file name is data from disk: only printable ASCII other than '"' and '\' goes into
    # the quoted form; anything else is replaced there and carried RFC 8187-encoded.
    plain = "".join(
        char if " " <= char < "\x7f" and char not in '"\\' else "_" for char in filename
    )
    if plain == filename:
        return f'{value}; filename="{filename}"'
    return f"{value}; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"
