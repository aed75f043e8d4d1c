"""Framework presets: recognise a bundler's output and give its files the right caching.

Issue 18. Every bundler names its output differently, and users wrote the same rules by
hand for each (django-vite #30, #93): content-hashed files immutable, HTML and manifests
revalidated, service workers never cached. Here the output layouts of Vite, webpack,
Next.js (static export), SvelteKit, Astro, Nuxt, Angular and Parcel are recognised at
start-up from a few ``stat``/``listdir`` calls per root (the evidence), and each detected
preset becomes compiled rules that are folded *before* the configured ``[[rules]]``, so a
rule always overrides a preset.

The same name tests serve the build (``servestatic SRC DEST --hash`` leaves a bundler's
hashed names alone) and ``servestatic check`` (hashed-looking names that are not immutable,
immutable names without a hash). Layouts are from the tools' documentation (see
``docs/build-pipeline.md``).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from servestatic.config import FOREVER, PRESET_NAMES
from servestatic.formats.names import (
    ANGULAR_HASH,
    HEX_HASH,
    SERVICE_WORKERS,
    bundler_hashed,
    is_entry_point,
    looks_hashed,
    manifest_files,
    read_json,
    rollup_hashed,
)
from servestatic.serve.rules import CompiledRule

__all__ = [
    "PRESET_NAMES",
    "Preset",
    "bundler_hashed",
    "detect",
    "forced",
    "is_entry_point",
    "looks_hashed",
    "preset_rules",
]


IMMUTABLE = f"max-age={FOREVER}, public, immutable"
REVALIDATE = "no-cache"
NEVER = "no-store"

# ------------------------------------------------------------------ presets


@dataclass(frozen=True, slots=True)
class Preset:
    """A framework recognised in one root: its name, why, and its rules."""

    name: str
    prefix: str
    evidence: tuple[str, ...]
    rules: tuple[CompiledRule, ...]


def _listdir(path: str) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _isdir(root: str, name: str) -> bool:
    return os.path.isdir(os.path.join(root, *name.split("/")))


def _isfile(root: str, name: str) -> bool:
    return os.path.isfile(os.path.join(root, *name.split("/")))


def _evidence(root: str) -> dict[str, list[str]]:
    """Preset name → what was seen, for every preset whose output is in ``root``."""
    found: dict[str, list[str]] = {}
    top = _listdir(root)
    for name, directory in (
        ("next", "_next/static"),
        ("sveltekit", "_app/immutable"),
        ("astro", "_astro"),
        ("nuxt", "_nuxt"),
    ):
        if _isdir(root, directory):
            found[name] = [f"directory {directory}/"]
    if _isfile(root, ".vite/manifest.json"):
        found["vite"] = ["file .vite/manifest.json"]
    # Only Rollup's own form (`index-BxY3kQ_9.js`), the one the preset's rule makes
    # immutable: Django's or `servestatic --hash`'s `app.0123456789ab.css` in an assets/
    # folder is no sign of Vite.
    rollup = [n for n in _listdir(os.path.join(root, "assets")) if rollup_hashed(n)]
    rollup = [f"assets/{n}" for n in rollup]
    if rollup and "vite" not in found and not {"astro", "sveltekit", "nuxt"} & set(found):
        found["vite"] = [f"{len(rollup)} hashed names in assets/ such as {rollup[0]}"]
    angular = [
        n for n in top if ANGULAR_HASH.search(n) and n.split("-", 1)[0] in {"main", "polyfills"}
    ]
    if "ngsw.json" in top or angular:
        found["angular"] = ["file ngsw.json"] if "ngsw.json" in top else []
        found["angular"] += [f"hashed entry chunk {name}" for name in angular[:2]]
    webpack: list[str] = []
    for manifest in ("asset-manifest.json", "manifest.json"):
        document = read_json(os.path.join(root, manifest))
        if isinstance(document, dict) and any(
            _hex_names(manifest_files(v)) for v in _values(document)
        ):
            webpack.append(f"file {manifest} listing hashed names")
    static_js = [f"static/js/{n}" for n in _listdir(os.path.join(root, "static", "js"))]
    long_hex = [n for n in top + static_js if HEX_HASH.search(n) and _hex_length(n) >= 16]
    licenses = [n for n in top + static_js if n.endswith(".LICENSE.txt")]
    if long_hex:
        webpack.append(f"[contenthash] names such as {long_hex[0]}")
    if licenses and (long_hex or _hex_names(static_js)):
        webpack.append(f"extracted licence file {licenses[0]}")
    if webpack and "next" not in found:
        found["webpack"] = webpack
    short_hex = [n for n in top if HEX_HASH.search(n) and _hex_length(n) == 8]
    if short_hex and not {"webpack", "angular", "vite"} & set(found):
        pages = [n for n in top if n.endswith(".html")]
        if pages:
            found["parcel"] = [f"hashed names beside {pages[0]} such as {short_hex[0]}"]
    return found


def _values(document: dict[str, object]) -> Iterable[object]:
    files = document.get("files")
    return files.values() if isinstance(files, dict) else document.values()


def _hex_names(names: Sequence[str]) -> list[str]:
    return [name for name in names if HEX_HASH.search(posixpath.basename(name))]


def _hex_length(name: str) -> int:
    """How many hex digits the content hash of ``name`` has (0: none)."""
    found = HEX_HASH.search(name)
    return 0 if found is None else len(found.group("hash"))


def _rule(number: int, preset: str, name: str, regex: str, cache_control: str) -> CompiledRule:
    return CompiledRule(
        number=number,
        name=name,
        globs=(),
        regex=re.compile(regex),
        set_headers=(),
        append_headers=(),
        default_headers=(),
        unset=(),
        cache_control=cache_control,
        mutable=False,
        max_age=None,
        media_type=None,
        charset=None,
        content_disposition=None,
        deny=False,
        final=False,
        preset=preset,
    )


_ASSET = (
    r"[^/]+\.(?:js|mjs|css|map|woff2?|ttf|otf|eot|svg|png|jpe?g|gif|webp|avif|ico|wasm|json|txt)"
)


def _hashed_patterns(name: str, p: str) -> list[tuple[str, str]]:
    """(rule name, regex) of the content-hashed files of a preset under prefix ``p``."""
    rollup = r"-[A-Za-z0-9_-]{8}\.[A-Za-z0-9]+$"
    hex_name = r"[.-][0-9a-f]{8,32}(?:\.chunk)?\.[A-Za-z0-9]+(?:\.map)?$"
    patterns = {
        "vite": [("hashed assets", rf"^{p}assets/(?:.+/)?[^/]+{rollup}")],
        "webpack": [("[contenthash] names", rf"^{p}(?:.+/)?[^/]+{hex_name}")],
        "parcel": [("hashed names", rf"^{p}(?:.+/)?[^/]+{hex_name}")],
        "next": [("_next/static", rf"^{p}_next/static/")],
        "sveltekit": [("_app/immutable", rf"^{p}_app/immutable/")],
        "astro": [("_astro", rf"^{p}_astro/")],
        "nuxt": [
            ("_nuxt (but builds/)", rf"^{p}_nuxt/(?!builds/){_ASSET}$|^{p}_nuxt/(?!builds/).+/")
        ],
        "angular": [("hashed chunks", rf"^{p}(?:media/)?[^/]+-[A-Z0-9]{{8}}\.[A-Za-z0-9]+$")],
    }
    return patterns[name]


def _mutable_patterns(name: str, p: str) -> list[tuple[str, str, str]]:
    """(rule name, regex, Cache-Control) for a preset's HTML, manifests and workers."""
    workers = "|".join(re.escape(worker) for worker in sorted(SERVICE_WORKERS))
    common = [
        ("HTML revalidated", rf"^{p}(?:.+/)?(?:[^/]+\.html?)?$", REVALIDATE),
        (
            "manifests revalidated",
            rf"^{p}(?:.+/)?(?:[^/]+\.webmanifest|manifest\.json|asset-manifest\.json)$",
            REVALIDATE,
        ),
        ("service workers never cached", rf"^{p}(?:.+/)?(?:{workers})$", NEVER),
    ]
    own = {
        "vite": [("Vite manifest revalidated", rf"^{p}\.vite/", REVALIDATE)],
        "sveltekit": [("_app/version.json revalidated", rf"^{p}_app/version\.json$", REVALIDATE)],
        "nuxt": [("_nuxt/builds revalidated", rf"^{p}_nuxt/builds/", REVALIDATE)],
        "angular": [("ngsw.json revalidated", rf"^{p}ngsw\.json$", REVALIDATE)],
    }
    return own.get(name, []) + common


def preset_rules(name: str, prefix: str, first_number: int) -> tuple[CompiledRule, ...]:
    """The compiled rules of preset ``name`` for a root at ``prefix``, numbered downwards
    from ``first_number`` (negative: they never collide with ``[[rules]]`` numbers)."""
    p = re.escape(prefix)
    rules = []
    number = first_number
    for rule_name, regex in _hashed_patterns(name, p):
        rules.append(_rule(number, name, rule_name, regex, IMMUTABLE))
        number -= 1
    for rule_name, regex, cache_control in _mutable_patterns(name, p):
        rules.append(_rule(number, name, rule_name, regex, cache_control))
        number -= 1
    return tuple(rules)


def detect(root: str, prefix: str, first_number: int = -1) -> list[Preset]:
    """The presets whose output is in ``root`` (served at ``prefix``), with evidence."""
    presets = []
    number = first_number
    for name, evidence in sorted(_evidence(root).items(), key=lambda i: PRESET_NAMES.index(i[0])):
        rules = preset_rules(name, prefix, number)
        number -= len(rules)
        presets.append(Preset(name, prefix, tuple(evidence), rules))
    return presets


def forced(names: Sequence[str], prefix: str, first_number: int = -1) -> list[Preset]:
    """Presets named in the configuration (``presets = ["vite"]``), whatever is on disk."""
    presets = []
    number = first_number
    for name in dict.fromkeys(names):
        rules = preset_rules(name, prefix, number)
        number -= len(rules)
        presets.append(Preset(name, prefix, ("named in the configuration",), rules))
    return presets
