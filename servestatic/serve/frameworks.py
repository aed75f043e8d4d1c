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

import json
import os
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from servestatic.config import FOREVER, PRESET_NAMES
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

# ------------------------------------------------------------------ hashed names
#
# What each tool puts in a name (defaults, from their docs):
#   Django / servestatic --hash   name.<12 hex>.ext
#   webpack [contenthash]         name.<20 hex>.js (any length via [contenthash:N]); CRA 8
#   Parcel 2                      name.<8 hex>.ext
#   Vite / Rollup                 name-<8 base64url>.ext (assets/), e.g. index-BxY3kQ_9.js
#   Angular (esbuild)             name-<8 upper-case base32>.ext, e.g. main-5XJ2YQ7A.js
_HEX = re.compile(
    r"[.-](?P<hash>(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,32})(?:\.chunk)?\.[A-Za-z0-9]+$"
)
_ANGULAR = re.compile(r"-(?=[A-Z0-9]*[0-9])(?=[A-Z0-9]*[A-Z])[A-Z0-9]{8}\.[A-Za-z0-9]+$")
_ROLLUP = re.compile(r"-([A-Za-z0-9_-]{8})\.[A-Za-z0-9]+$")
_ROLLUP_DIRECTORIES = ("assets", "_astro", "_app/immutable", "_nuxt", "build")


def _mixed(token: str) -> bool:
    """A base64url hash mixes character classes; a word ("settings", "Overview") does not
    mix digits or two cases with ``-``/``_`` often enough to be mistaken for one."""
    classes = sum(
        (
            any(c.islower() for c in token),
            any(c.isupper() for c in token),
            any(c.isdigit() or c in "-_" for c in token),
        )
    )
    return classes >= 2 and not (token.isalpha() and token[:1].isupper() and token[1:].islower())


def looks_hashed(name: str) -> bool:
    """Does a ``/``-separated name (or URL path) carry a content hash a bundler put there?

    Rollup-style base64url hashes count only inside the directories bundlers write them
    to (``assets/``, ``_astro/`` ...): elsewhere ``site-settings.js`` would be one.
    """
    base = posixpath.basename(name)
    if _HEX.search(base) or _ANGULAR.search(base):
        return True
    if not _rollup_hashed(base):
        return False
    directory = "/" + posixpath.dirname(name.lstrip("/")) + "/"
    return any(f"/{part}/" in directory for part in _ROLLUP_DIRECTORIES)


def _rollup_hashed(base: str) -> bool:
    found = _ROLLUP.search(base)
    return found is not None and _mixed(found.group(1))


def bundler_hashed(root: str) -> frozenset[str]:
    """Names (relative to ``root``) that a bundler's own manifest says it hashed: Vite's
    ``.vite/manifest.json`` (or ``manifest.json`` in Vite 4's shape) and webpack's
    ``asset-manifest.json`` / ``manifest.json``. Exact, where the name tests guess."""
    names: set[str] = set()
    for manifest in (".vite/manifest.json", "manifest.json", "asset-manifest.json"):
        document = _read_json(os.path.join(root, *manifest.split("/")))
        if not isinstance(document, dict):
            continue
        values: Iterable[object] = document.values()
        if isinstance(document.get("files"), dict):  # create-react-app's asset-manifest
            values = document["files"].values()
        for value in values:
            for file in _manifest_files(value):
                name = posixpath.normpath(file.lstrip("/"))
                if not name.startswith("..") and looks_hashed(name):
                    names.add(name)
    return frozenset(names)


def _manifest_files(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):  # Vite: {"file": ..., "css": [...], "assets": [...]}
        found = [value["file"]] if isinstance(value.get("file"), str) else []
        for key in ("css", "assets"):
            found.extend(item for item in value.get(key) or [] if isinstance(item, str))
        return found
    return []


def _read_json(path: str) -> object:
    try:
        with open(path, "rb") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------ entry points

#: Files browsers, crawlers and platforms ask for by their own name: the build never
#: takes that name away (it is kept next to a hashed copy), and presets never make them
#: immutable.
_ENTRY_NAMES = frozenset(
    {
        "robots.txt",
        "sitemap.xml",
        "humans.txt",
        "ads.txt",
        "security.txt",
        "favicon.ico",
        "browserconfig.xml",
        "manifest.json",
        "asset-manifest.json",
        "ngsw.json",
        "staticfiles.json",
    }
)
_SERVICE_WORKERS = frozenset(
    {
        "sw.js",
        "service-worker.js",
        "serviceworker.js",
        "ngsw-worker.js",
        "safety-worker.js",
        "firebase-messaging-sw.js",
    }
)


def is_entry_point(name: str) -> bool:
    """HTML pages, service workers, ``robots.txt`` and friends, ``.well-known/``, web
    manifests: names that are linked to from outside the build, never by a hashed name."""
    name = name.lstrip("/")
    base = posixpath.basename(name)
    lowered = base.lower()
    return (
        lowered.endswith((".html", ".htm", ".webmanifest"))
        or lowered in _ENTRY_NAMES
        or lowered in _SERVICE_WORKERS
        or name.startswith(".well-known/")
        or lowered.startswith("apple-touch-icon")
    )


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
    rollup = [n for n in _listdir(os.path.join(root, "assets")) if _rollup_hashed(n)]
    rollup = [f"assets/{n}" for n in rollup]
    if rollup and "vite" not in found and not {"astro", "sveltekit", "nuxt"} & set(found):
        found["vite"] = [f"{len(rollup)} hashed names in assets/ such as {rollup[0]}"]
    angular = [n for n in top if _ANGULAR.search(n) and n.split("-", 1)[0] in {"main", "polyfills"}]
    if "ngsw.json" in top or angular:
        found["angular"] = ["file ngsw.json"] if "ngsw.json" in top else []
        found["angular"] += [f"hashed entry chunk {name}" for name in angular[:2]]
    webpack: list[str] = []
    for manifest in ("asset-manifest.json", "manifest.json"):
        document = _read_json(os.path.join(root, manifest))
        if isinstance(document, dict) and any(
            _hex_names(_manifest_files(v)) for v in _values(document)
        ):
            webpack.append(f"file {manifest} listing hashed names")
    static_js = [f"static/js/{n}" for n in _listdir(os.path.join(root, "static", "js"))]
    long_hex = [n for n in top + static_js if _HEX.search(n) and _hex_length(n) >= 16]
    licenses = [n for n in top + static_js if n.endswith(".LICENSE.txt")]
    if long_hex:
        webpack.append(f"[contenthash] names such as {long_hex[0]}")
    if licenses and (long_hex or _hex_names(static_js)):
        webpack.append(f"extracted licence file {licenses[0]}")
    if webpack and "next" not in found:
        found["webpack"] = webpack
    short_hex = [n for n in top if _HEX.search(n) and _hex_length(n) == 8]
    if short_hex and not {"webpack", "angular", "vite"} & set(found):
        pages = [n for n in top if n.endswith(".html")]
        if pages:
            found["parcel"] = [f"hashed names beside {pages[0]} such as {short_hex[0]}"]
    return found


def _values(document: dict[str, object]) -> Iterable[object]:
    files = document.get("files")
    return files.values() if isinstance(files, dict) else document.values()


def _hex_names(names: Sequence[str]) -> list[str]:
    return [name for name in names if _HEX.search(posixpath.basename(name))]


def _hex_length(name: str) -> int:
    """How many hex digits the content hash of ``name`` has (0: none)."""
    found = _HEX.search(name)
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
    workers = "|".join(re.escape(worker) for worker in sorted(_SERVICE_WORKERS))
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
