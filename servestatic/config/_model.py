"""The typed settings model: ServeStatic's options plus servestatic's groups.

The model is pure: building it from a dictionary (``Settings(**values)``,
``Settings.model_validate(data)``) reads nothing else. Reading the environment, the files
and Django settings is the loader's job (``load_settings``).

The field docstrings are the documentation: they feed the JSON Schema in ``schemas/`` and the
configuration reference page.

Values from files are validated in *typed* mode (pydantic strict mode plus the context
``{"typed": True}``): TOML already has booleans and integers, so ``autorefresh = "yes"`` or
``max_age = "60"`` are mistakes there, while the environment's strings are coerced.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import quote

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from servestatic.config import _jsonschema as js
from servestatic.config._headers import check_header_name, check_header_value, check_unset_name
from servestatic.config._levels import ZSTD_LEVELS, zstd_level_problem
from servestatic.http.glob import GlobError, compile_glob

__all__ = [
    "DEFAULT_IMMUTABLE_FILE_TEST",
    "FOREVER",
    "PRESET_NAMES",
    "CompressionSettings",
    "CorsSettings",
    "ErrorPageSettings",
    "HiddenFileSettings",
    "HintSettings",
    "MemoryCacheSettings",
    "RangeSettings",
    "Redirect",
    "RootSettings",
    "Rule",
    "SecuritySettings",
    "Settings",
    "SpaSettings",
    "StreamingSettings",
    "accepts_empty",
    "is_typed",
]

#: ServeStatic's "forever": ten years, in seconds.
FOREVER = 315360000
#: ServeStatic 4.x marks ``name.<12 hex digits>.ext`` URLs immutable by default.
DEFAULT_IMMUTABLE_FILE_TEST = r"^.+\.[0-9a-f]{12}\..+$"

Encoding = Literal["zstd", "br", "gzip"]
_ALL_ENCODINGS: tuple[Encoding, ...] = ("zstd", "br", "gzip")
# Explicit ASCII classes: the same pattern is published in the JSON Schema (ECMA-262).
_IMPORT_STRING = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_.]*$")
#: A redirect placeholder: ASCII only, so that every name is a valid regex group name
#: (``\w`` would let ``:a²`` through, which ``re`` refuses).
_PLACEHOLDER_SEGMENT = re.compile(r":[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER_NAME = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")


def _problem(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def is_typed(info: ValidationInfo) -> bool:
    """True when the values being validated come from a file (typed TOML), not strings."""
    context = info.context
    return isinstance(context, dict) and bool(context.get("typed"))


class _AcceptsEmpty:
    """Marks a field for which an empty string is a meaningful value (``charset = ""``):
    elsewhere an empty environment variable is a mistake (an unset variable in a compose
    file), not a way to switch something off."""

    def __repr__(self) -> str:
        return "AcceptsEmpty"


ACCEPTS_EMPTY = _AcceptsEmpty()


def accepts_empty(metadata: list[Any]) -> bool:
    """Whether a field's metadata carries the :data:`ACCEPTS_EMPTY` mark."""
    return any(item is ACCEPTS_EMPTY for item in metadata)


# ----------------------------------------------------------------------------- field types


def _import_callable(value: Any) -> Any:
    """Accept a callable (from code) or ``"package.module:attribute"`` (from files and env)."""
    if value is None or callable(value):
        return value
    if not isinstance(value, str) or not _IMPORT_STRING.match(value):
        raise _problem(
            "import_string_syntax",
            "expected a callable or an import string 'package.module:function'",
        )
    module_name, _, attribute = value.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise _problem("import_string", f"cannot import module {module_name!r} ({error})") from None
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise _problem(
                "import_string", f"module {module_name!r} has no attribute {attribute!r}"
            ) from None
    if not callable(target):
        raise _problem("import_string", f"{value!r} is not callable")
    return target


def _serialize_callable(value: Any) -> str | None:
    if value is None:
        return None
    module = getattr(value, "__module__", "?")
    name = getattr(value, "__qualname__", repr(value))
    return f"{module}:{name}"


HeadersFunction = Annotated[
    Callable[..., Any] | None,
    BeforeValidator(_import_callable),
    PlainSerializer(_serialize_callable, return_type=str | None),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _IMPORT_STRING.pattern},
                {"type": "null"},
            ]
        }
    ),
]


def _check_regex(value: Any) -> Any:
    if isinstance(value, str):
        try:
            with warnings.catch_warnings():
                # "Possible nested set" and the like: about future syntax, not this pattern.
                warnings.simplefilter("ignore", FutureWarning)
                re.compile(value)
        except re.error as error:
            raise _problem(
                "regex", f"not a valid regular expression: {error.msg} at position {error.pos}"
            ) from None
        if _nested_repeat(value):
            raise _problem(
                "regex",
                "a repeated group containing another unbounded repeat, such as '(a+)+', can "
                "take exponential time on some file names; rewrite it without the nesting "
                "(or use a possessive '++' / atomic '(?>...)' group), or use 'match' globs",
            )
        return value
    if value is None or callable(value):
        return value
    raise _problem("immutable_test", "expected a regular expression string or a callable")


def _nested_repeat(pattern: str) -> bool:
    """True if a repeat that can run more than once contains an unbounded repeat (or the
    reverse): the star height above one behind catastrophic backtracking. Possessive
    repeats and atomic groups do not backtrack and are not counted."""
    try:
        sre = importlib.import_module("re._constants")
        sre_parse = importlib.import_module("re._parser")

        with warnings.catch_warnings():
            # "Possible nested set" ('[[]') and the like: about future syntax, not a problem.
            warnings.simplefilter("ignore", FutureWarning)
            parsed = sre_parse.parse(pattern)
        repeats = {sre.MAX_REPEAT, sre.MIN_REPEAT}
        unbounded = sre.MAXREPEAT
    except (ImportError, AttributeError):  # pragma: no cover - another Python's internals
        return False

    def walk(items: Any, outer: tuple[bool, bool]) -> bool:
        # outer = (inside a repeat that can run more than once, inside an unbounded one)
        for op, argument in items:
            if op in repeats:
                _, high, body = argument
                many, endless = high > 1, high == unbounded
                if many and (outer[1] or (outer[0] and endless)):
                    return True
                inner = [(body, (outer[0] or many, outer[1] or endless))]
            elif op is sre.SUBPATTERN:
                inner = [(argument[-1], outer)]
            elif op is sre.BRANCH:
                inner = [(branch, outer) for branch in argument[1]]
            else:
                continue
            if any(walk(body, state) for body, state in inner):
                return True
        return False

    return walk(parsed, (False, False))


ImmutableTest = Annotated[
    str | Callable[[str, str], bool] | None,
    BeforeValidator(_check_regex),
    PlainSerializer(lambda v: v if v is None or isinstance(v, str) else _serialize_callable(v)),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "regex"}, {"type": "null"}]}),
]


def _none_words(value: Any, info: ValidationInfo) -> Any:
    # TOML has no null: ``max_age = false`` (or "none"/"null"/"off"/"false" from the
    # environment) disables Cache-Control for mutable files, like ServeStatic's
    # ``max_age=None``. An empty string is not one of them: an unset variable in a compose
    # file must not silently drop Cache-Control (the environment source refuses it).
    if value is False or (
        not is_typed(info)
        and isinstance(value, str)
        and value.strip().lower() in {"none", "null", "off", "false"}
    ):
        return None
    if value is True:
        raise _problem("max_age", "expected a number of seconds, or false to disable")
    return value


def _zstd_level(value: int) -> int:
    problem = zstd_level_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


ZstdLevel = Annotated[
    int,
    AfterValidator(_zstd_level),
    WithJsonSchema({"type": "integer", "minimum": ZSTD_LEVELS[0], "maximum": ZSTD_LEVELS[-1]}),
]

#: RFC 9111 §1.2.2: caches treat larger delta-seconds as this value.
MAX_DELTA_SECONDS = 2147483648

MaxAge = Annotated[
    Annotated[int, Field(ge=0, le=MAX_DELTA_SECONDS)] | None,
    BeforeValidator(_none_words),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": MAX_DELTA_SECONDS},
                {"const": False},
                {"type": "null"},
            ]
        }
    ),
]


_ASCII_SPACE = " \t\n\r\f\v"
_TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
_FALSE_WORDS = frozenset({"false", "0", "no", "off"})


def _index_file(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        lowered = value.strip(_ASCII_SPACE).lower()
        if lowered in _TRUE_WORDS | _FALSE_WORDS and is_typed(info):
            # In TOML a boolean is written without quotes; a file named "true" is a typo.
            raise _problem(
                "index_file",
                f"write index_file = {'true' if lowered in _TRUE_WORDS else 'false'} (a TOML "
                "boolean) or a file name such as 'index.html'",
            )
        if lowered in _TRUE_WORDS:
            return True
        if lowered in _FALSE_WORDS:
            return None
        if not value:
            raise _problem("index_file", "an index file name cannot be empty")
        if "/" in value or "\\" in value or value in {".", ".."}:
            raise _problem("index_file", "an index file name cannot contain '/' or '\\'")
        if re.search(r"[\x00-\x1f\x7f]", value):
            raise _problem("index_file", "an index file name cannot contain control characters")
    elif value is False:
        return None
    return value


IndexFile = Annotated[
    bool | str | None,
    BeforeValidator(_index_file),
    WithJsonSchema({"anyOf": [{"type": "boolean"}, js.INDEX_FILE, {"type": "null"}]}),
]


def _glob_pattern(value: str) -> str:
    try:
        compile_glob(value)
    except GlobError as error:
        # The anchor is a pattern the JSON Schema checks too; the rest of the syntax is not.
        anchored = value.startswith(("/", "**/")) or value == "**"
        raise _problem("glob" if anchored else "glob_anchor", str(error)) from None
    return value


GlobPattern = Annotated[str, AfterValidator(_glob_pattern), WithJsonSchema(js.GLOB)]


def _url_prefix(value: str | None) -> str | None:
    if value is None:
        return None
    if "\\" in value or any(part in {".", ".."} for part in value.split("/")):
        raise _problem("prefix", "a URL prefix cannot contain '\\' or '.'/'..' segments")
    if re.search(r"[\x00-\x1f\x7f?#%]", value):
        raise _problem(
            "prefix", "a URL prefix is a decoded path: no control characters, '?', '#' or '%'"
        )
    return value


UrlPrefix = Annotated[
    str | None, AfterValidator(_url_prefix), WithJsonSchema(js.nullable(js.URL_PREFIX))
]


def _url_path(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.startswith("/") or value.startswith("//"):
        raise _problem("url_path", "must be a URL path starting with a single '/'")
    return value


UrlPath = Annotated[str | None, AfterValidator(_url_path), WithJsonSchema(js.nullable(js.URL_PATH))]


def _header_name(value: str) -> str:
    if problem := check_header_name(value):
        raise _problem("header_name", problem)
    return value


def _header_value(value: str) -> str:
    if problem := check_header_value(value):
        raise _problem("header_value", problem)
    return value


HeaderName = Annotated[str, AfterValidator(_header_name), WithJsonSchema(js.HEADER_NAME)]
HeaderValue = Annotated[str, AfterValidator(_header_value), WithJsonSchema(js.HEADER_VALUE)]
HeaderMap = Annotated[dict[HeaderName, HeaderValue], WithJsonSchema(js.HEADER_MAP)]
#: A header value that may be left unset.
OptionalHeaderValue = Annotated[str | None, WithJsonSchema(js.nullable(js.HEADER_VALUE))]

_MEDIA_TYPE = re.compile(r"[\w.+\-]+/[\w.+\-]+(\s*;\s*[\w.+\-]+=[\w.+\-\"]+)*", re.ASCII)


def _media_type(value: str) -> str:
    if not _MEDIA_TYPE.fullmatch(value):
        raise _problem("media_type", "expected a media type such as 'text/plain'")
    return value


def _charset(value: str) -> str:
    if value and not re.fullmatch(r"[A-Za-z0-9!#$%&'+\-^_`{}~]+", value):
        raise _problem("charset", "expected a charset name such as 'utf-8' (or '' for none)")
    return value


MediaType = Annotated[str, AfterValidator(_media_type), WithJsonSchema(js.MEDIA_TYPE)]
Charset = Annotated[str, AfterValidator(_charset), ACCEPTS_EMPTY, WithJsonSchema(js.CHARSET)]


# ----------------------------------------------------------------------------- groups


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _directory_path(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip(_ASCII_SPACE):
            raise _problem(
                "path", "an empty path would serve the working directory; name the directory"
            )
        if "\x00" in value:
            # The OS cannot name such a path: refused here rather than by a later lstat().
            raise _problem("path", "a path cannot contain a NUL character")
        # A file gives a string (typed mode would otherwise want a Path instance).
        return Path(value)
    return value


DirectoryPath = Annotated[Path, BeforeValidator(_directory_path), WithJsonSchema(js.DIRECTORY)]


class RootSettings(_Group):
    """A directory served at a URL prefix."""

    path: DirectoryPath
    """Directory to serve. A relative path in a file is relative to that file's directory;
    from code or the environment, to the working directory."""
    prefix: UrlPrefix = "/"
    """URL prefix the directory is served under, such as `/static/`."""


class CompressionSettings(_Group):
    """Precompressed variants: which ones are served, and which ones the build writes."""

    encodings: list[Encoding] = Field(default_factory=lambda: list(_ALL_ENCODINGS))
    """Content codings to look for next to each file (`.zst`/`.zstd`, `.br`, `.gz`) and,
    for `servestatic compress`, the ones to write."""
    min_saving: float = Field(default=0.05, ge=0, lt=1)
    """The build keeps a variant only if it is at least this fraction smaller (0.05 = 5%)."""
    skip_extensions: list[str] | None = None
    """File extensions the build never compresses (already-compressed media); `None` keeps
    the built-in list."""
    gzip_level: int = Field(default=9, ge=1, le=9)
    """gzip level used by the build."""
    brotli_quality: int = Field(default=11, ge=0, le=11)
    """Brotli quality used by the build."""
    zstd_level: ZstdLevel = 19
    """Zstandard level used by the build."""


class RangeSettings(_Group):
    """Byte-range requests (RFC 9110 §14)."""

    enabled: bool = True
    """Answer `Range` requests with 206; when false, every request gets the whole file."""
    max_ranges: int = Field(default=16, ge=1, le=1000)
    """More ranges than this in one request and the whole file is sent (200)."""
    multipart: bool = True
    """Answer several ranges with `multipart/byteranges`; when false they get a 200."""


class HiddenFileSettings(_Group):
    """Dotfiles: paths with a segment that starts with `.`."""

    # The schema's name for the group (its title and ``$defs`` key) from before the
    # class took the ``*Settings`` name of the other groups (issue 15).
    model_config = ConfigDict(title="HiddenFiles")

    serve_dotfiles: bool = False
    """Serve files and directories whose name starts with a dot."""
    allow: list[GlobPattern] = Field(default_factory=lambda: ["/.well-known/**"])
    """URL patterns served even though they contain a dot segment. A pattern opens only the
    dot segments it spells with a leading `.`: wildcards never match one, so the default
    serves `/.well-known/security.txt` but not `/.well-known/.git/config` (that takes
    `/.well-known/.git/**`, or `/.well-known/.*` for dotfiles directly below)."""


class CorsSettings(_Group):
    """Cross-origin resource sharing beyond ServeStatic's `allow_all_origins`."""

    allow_origins: list[Annotated[str, WithJsonSchema(js.ORIGIN)]] = Field(default_factory=list)
    """Origins allowed to read files (`https://app.example`). When set, a matching `Origin`
    is echoed with `Vary: Origin`, and `allow_all_origins` no longer applies."""
    expose_headers: list[
        Annotated[str, WithJsonSchema({"type": "string", "pattern": js.TOKEN})]
    ] = Field(default_factory=list)
    """Response headers scripts on other origins may read (`Access-Control-Expose-Headers`)."""

    @field_validator("allow_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        bad = [
            origin
            for origin in value
            if origin == "*"
            or not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?|null", origin)
        ]
        if bad:
            raise _problem(
                "origin",
                f"origins are 'scheme://host[:port]' with no path ('*' is allow_all_origins); "
                f"bad: {', '.join(repr(origin) for origin in bad)}",
            )
        return value

    @field_validator("expose_headers")
    @classmethod
    def _expose(cls, value: list[str]) -> list[str]:
        bad = [name for name in value if not re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", name)]
        if bad:
            raise _problem("header_name", f"not header names: {', '.join(map(repr, bad))}")
        return value


class SecuritySettings(_Group):
    """Security response headers. Off by default, as in ServeStatic."""

    preset: Literal["off", "basic", "strict"] = "off"
    """`basic`: `X-Content-Type-Options: nosniff`, `Referrer-Policy:
    strict-origin-when-cross-origin`, `X-Frame-Options: SAMEORIGIN`. `strict` adds
    `X-Frame-Options: DENY`, `Cross-Origin-Opener-Policy: same-origin`,
    `Cross-Origin-Resource-Policy: same-origin` and a restrictive
    `Content-Security-Policy`."""
    hsts: Annotated[str | None, WithJsonSchema(js.nullable(js.HSTS))] = None
    """A `Strict-Transport-Security` value, such as `max-age=31536000; includeSubDomains`.
    Never sent unless set."""
    content_security_policy: OptionalHeaderValue = None
    """A `Content-Security-Policy` value; replaces the one from the `strict` preset."""
    cross_origin_isolation: bool = False
    """Send `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
    require-corp` with every file, which makes pages cross-origin isolated
    (`SharedArrayBuffer`, WebAssembly threads). Resources from other origins must then
    opt in with CORS or `Cross-Origin-Resource-Policy`."""

    @field_validator("hsts")
    @classmethod
    def _hsts(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"\s*max-age=\d+", value, re.IGNORECASE):
            raise _problem("hsts", "an HSTS value must start with max-age=SECONDS")
        if value is not None and (problem := check_header_value(value)):
            raise _problem("header_value", problem)
        return value

    @field_validator("content_security_policy")
    @classmethod
    def _csp(cls, value: str | None) -> str | None:
        if value is not None and (problem := check_header_value(value)):
            raise _problem("header_value", problem)
        return value


class SpaSettings(_Group):
    """Single-page application fallback (history API routing)."""

    fallback: UrlPath = None
    """A file URL (such as `/index.html`) answered for GET and HEAD requests that match no
    file and no redirect. Its own headers apply, never those of the requested path."""
    exclude: list[GlobPattern] = Field(default_factory=lambda: ["/**/*.*"])
    """Requests matching these patterns never fall back. The default keeps file-looking paths
    (a dot in the last segment) as real 404s, so a missing `app.1234.js` is not answered
    with HTML."""


class ErrorPageSettings(_Group):
    """Error pages for standalone serving (no wrapped application)."""

    # The schema's name for the group (its title and ``$defs`` key) from before the
    # class took the ``*Settings`` name of the other groups (issue 15).
    model_config = ConfigDict(title="ErrorPages")

    not_found: UrlPath = None
    """A file URL (such as `/404.html`) sent with status 404 for misses."""
    not_found_cache_control: HeaderValue = "no-cache"
    """`Cache-Control` of 404 responses, so a CDN does not keep a miss during a deploy."""


class MemoryCacheSettings(_Group):
    """Small files are kept in memory after their first request."""

    # The schema's name for the group (its title and ``$defs`` key) from before the
    # class took the ``*Settings`` name of the other groups (issue 15).
    model_config = ConfigDict(title="MemoryCache")

    max_file_size: int = Field(default=64 * 1024, ge=0)
    """Files up to this many bytes are cached in memory (0 disables the cache)."""
    max_total_size: int = Field(default=64 * 1024 * 1024, ge=0)
    """Upper bound on the bytes held by the cache, per process."""
    cache_status: bool = False
    """Add `Cache-Status: servestatic; hit` (RFC 9211) to responses whose body came from
    this memory cache, to see from outside which requests it answered."""


PRESET_NAMES = ("vite", "webpack", "next", "sveltekit", "astro", "nuxt", "angular", "parcel")
#: What ``presets`` strips around a name (ASCII whitespace, as the schema's pattern does).
_PRESET_SPACE = " \t\n\r\f\v"
_PRESET_EXPECTED = (
    f"expected 'auto', 'off' or preset names separated by commas ({', '.join(PRESET_NAMES)})"
)


def _preset_list(value: Any) -> Any:
    # A list (TOML, code) is kept as the comma-separated string an environment variable
    # gives (`SERVESTATIC_PRESETS=vite,next`): one form, and no JSON needed in the env.
    if isinstance(value, list | tuple):
        unknown = [item for item in value if item not in PRESET_NAMES]
        if unknown or not value:
            raise _problem(
                "presets",
                f"expected a list of preset names ({', '.join(PRESET_NAMES)})"
                + (f"; unknown: {', '.join(map(repr, unknown))}" if unknown else ""),
            )
        return ",".join(value)
    return value


def _preset_choice(value: str) -> str:
    value = value.strip(_PRESET_SPACE)
    if value in {"auto", "off"}:
        return value
    names = [name.strip(_PRESET_SPACE) for name in value.split(",")]
    unknown = [name for name in names if name not in PRESET_NAMES]
    if unknown:
        raise _problem("presets", f"{_PRESET_EXPECTED}; unknown: {', '.join(map(repr, unknown))}")
    return ",".join(dict.fromkeys(names))


PresetChoice = Annotated[
    str,
    BeforeValidator(_preset_list),
    AfterValidator(_preset_choice),
    WithJsonSchema(js.presets(PRESET_NAMES)),
]


class HintSettings(_Group):
    """Per-page `Link` hints and Content-Security-Policy hashes recorded by the build."""

    link: bool = True
    """Send each built page's `Link` header (stylesheets, module scripts, fonts and
    preloads the build found in its HTML, stored in `staticfiles.json`). CDNs such as
    Cloudflare and Fastly turn it into 103 Early Hints."""
    early_hints: bool = True
    """Send a 103 Early Hints response before a page that has `Link` hints, when the ASGI
    server offers the `http.response.early_hint` extension (hypercorn over HTTP/2 and
    HTTP/3; uvicorn over HTTP/2 with `--http zttp`)."""
    csp: bool = True
    """Merge the `sha256-` hashes of a page's inline scripts and styles recorded by
    `servestatic SRC DEST --csp-hashes` into that page's `Content-Security-Policy`
    (`script-src` / `style-src`). Only a policy that restricts scripts (or styles) gets
    them: no policy is invented, and one allowing `'unsafe-inline'` is left as it is."""


class StreamingSettings(_Group):
    """Bodies read from files in blocks (large files, ranges): the memory they may hold."""

    budget: int = Field(default=32 * 1024 * 1024, ge=4096)
    """Bytes of file blocks that all responses of a process may hold at once: read from a
    file, not yet taken by the server (applications with the same `[streaming]` settings
    share one budget). A response that finds it used waits for a share, and blocks shrink
    as it fills."""
    block_size: int = Field(default=1024 * 1024, ge=4096, le=16 * 1024 * 1024)
    """The largest block a response reads at once, once its client has taken 4 MiB."""
    min_block_size: int = Field(default=16 * 1024, ge=4096, le=16 * 1024 * 1024)
    """The block size until the client has taken 4 MiB: a client that stops reading early
    holds one such block (plus what the server itself buffers). Smaller blocks cost CPU on
    files of a few MiB; behind a proxy that buffers responses (no client can stall the
    application), setting it to `block_size` sends every file in full blocks."""
    max_wait: float = Field(default=1.0, gt=0, le=60)
    """Seconds a response waits for a share of a used budget. It then continues past the
    budget in minimum blocks (logged), so clients holding all of it cannot stop others."""


class Redirect(_Group):
    """A redirect evaluated before files: `from = "/old/*"`, `to = "/new/:splat"`."""

    from_: Annotated[str, WithJsonSchema(js.REDIRECT_FROM)] = Field(alias="from")
    """Path pattern, matched against the decoded URL path (no query string): literal
    segments, `:name` placeholders for one segment (ASCII names, each used once), and an
    optional trailing `*` captured as `:splat`."""
    to: Annotated[str, WithJsonSchema(js.REDIRECT_TO)]
    """Target path (`/new/:name`) or absolute `https://` URL; placeholders are replaced by
    the percent-encoded captures."""
    status: Literal[301, 302, 303, 307, 308] = 301
    """Redirect status code."""
    keep_query: bool = True
    """Append the request's query string to the target."""
    force: bool = True
    """Apply even where a file exists at the path. `false` is Netlify's and Cloudflare
    Pages' default (a `_redirects` line without `!`): a file at the path wins."""
    name: str | None = None
    """A label shown by `servestatic explain` (imported lines are named `_redirects:LINE`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("from_")
    @classmethod
    def _from(cls, value: str) -> str:
        # Every pattern accepted here must compile in ``_redirects`` (issue 13: a repeated
        # name used to escape as a raw ``re.error`` traceback at start-up).
        if not value.startswith("/") or value.startswith("//"):
            raise _problem("redirect_from", "must be a path starting with a single '/'")
        if re.search(r"[\x00-\x1f\x7f?#]", value):
            raise _problem(
                "redirect_from",
                "a pattern matches the decoded URL path: no control characters, and no '?' "
                "or '#' (query strings and fragments are not part of the path)",
            )
        parts = value.split("/")
        seen: set[str] = set()
        for index, part in enumerate(parts):
            if part == "*" and index != len(parts) - 1:
                raise _problem("redirect_from", "'*' is only allowed as the last segment")
            if "*" in part and part != "*":
                raise _problem("redirect_from", "'*' must be a whole segment, as in '/old/*'")
            if not part.startswith(":"):
                continue
            if not _PLACEHOLDER_SEGMENT.fullmatch(part):
                raise _problem(
                    "redirect_from",
                    f"bad placeholder {part!r}; use ':name' (ASCII letters, digits and '_', "
                    "not starting with a digit)",
                )
            name = part[1:]
            if name in seen:
                raise _problem(
                    "redirect_from",
                    f"placeholder {part!r} appears twice; give each captured segment its own name",
                )
            seen.add(name)
        if value.endswith("/*") and "splat" in seen:
            raise _problem(
                "redirect_from",
                "':splat' is the name of what the trailing '*' captures; rename the placeholder",
            )
        return value

    @field_validator("to")
    @classmethod
    def _to(cls, value: str) -> str:
        if any(ord(char) < 0x21 or ord(char) == 0x7F for char in value):
            raise _problem("redirect_to", "a redirect target cannot contain spaces or controls")
        if value.startswith(("//", "/\\", "\\")):
            raise _problem(
                "redirect_to",
                "a target starting with '//' or a backslash is protocol-relative (open redirect)",
            )
        if not (value.startswith("/") or re.match(r"https?://[^/\\]+", value)):
            raise _problem("redirect_to", "must be a path starting with '/' or an http(s) URL")
        # A Location header is ASCII: other characters are sent percent-encoded (UTF-8).
        value = re.sub(r"[^\x00-\x7f]+", lambda found: quote(found.group(), safe=""), value)
        if "://" in value:
            authority = value.split("://", 1)[1].split("/", 1)[0]
            if re.search(r":[A-Za-z_]", authority):
                raise _problem(
                    "redirect_to",
                    "placeholders are only allowed in the path of an absolute target "
                    "(a request must not choose the host)",
                )
        return value

    @model_validator(mode="after")
    def _placeholders(self) -> Redirect:
        # Only whole ":name" segments capture; a ':' inside a literal segment is literal.
        captured = {part[1:] for part in self.from_.split("/") if part.startswith(":")}
        if self.from_.endswith("/*"):
            captured.add("splat")
        used = set(_PLACEHOLDER_NAME.findall(self.to.split("://", 1)[-1]))
        missing = sorted(used - captured)
        if missing:
            raise _problem(
                "redirect_placeholders",
                f"placeholders {', '.join(':' + name for name in missing)} are not captured by "
                f"'from' (captured: {', '.join(':' + n for n in sorted(captured)) or 'none'})",
            )
        return self


class Rule(_Group):
    """A header policy for the files whose URL matches `match` (or `regex`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=js.RULE_TARGET)

    name: str | None = None
    """A label shown by `servestatic explain` and in error messages."""
    match: Annotated[
        Annotated[list[GlobPattern], Field(min_length=1)] | None,
        BeforeValidator(lambda value: [value] if isinstance(value, str) else value),
        WithJsonSchema(
            {
                "anyOf": [
                    js.GLOB,
                    {"type": "array", "items": js.GLOB, "minItems": 1},
                    {"type": "null"},
                ]
            }
        ),
    ] = None
    """Anchored glob(s): `*` within a segment, `**` any depth, `?`, `[a-z]`, `{a,b}`."""
    regex: str | None = None
    """Alternative to `match`: a Python regular expression searched in the URL path. It is
    evaluated when a file's entry is built (at start-up; with autorefresh, on the file's
    first request), never per request. Nested unbounded repeats such as `(a+)+` are refused."""
    headers: HeaderMap = Field(default_factory=dict)
    """Headers to set, replacing earlier values."""
    append: HeaderMap = Field(default_factory=dict)
    """Values appended to a header (joined with `, `), e.g. `Link` or `Vary`."""
    default: HeaderMap = Field(default_factory=dict)
    """Headers set only if nothing else has set them once every rule has applied."""
    unset: list[Annotated[str, WithJsonSchema(js.UNSET_NAME)]] = Field(default_factory=list)
    """Header names to remove; a leading or trailing `*` is a wildcard (`X-*`)."""
    cache_control: OptionalHeaderValue = None
    """Sets `Cache-Control` verbatim (e.g. `no-cache`)."""
    max_age: int | None = Field(default=None, ge=0)
    """Sets `Cache-Control: max-age=N, public`."""
    immutable: bool | None = None
    """`true` marks files immutable (`max-age=315360000, public, immutable`, or the rule's
    `max_age`); `false` gives them the mutable `max_age` policy."""
    content_type: Annotated[
        str | None,
        WithJsonSchema(js.nullable({"allOf": [js.HEADER_VALUE, js.MEDIA_TYPE]})),
    ] = None
    """Media type for the matched files (the charset is added for `text/*`)."""
    charset: Annotated[
        str | None, WithJsonSchema(js.nullable({"allOf": [js.HEADER_VALUE, js.CHARSET]}))
    ] = None
    """Charset parameter of `Content-Type`; an empty string removes it."""
    content_disposition: OptionalHeaderValue = None
    """`attachment` or `inline` (the file name is added), or a full header value."""
    deny: bool = False
    """Never serve the matched files: requests for them are misses."""
    final: bool = False
    """Stop: later rules do not apply to the matched files."""
    retained: bool | None = None
    """Also a condition: `true` matches only files kept from a previous build (`servestatic
    SRC DEST --retain`), `false` only files of the current build; unset matches both."""

    @field_validator("headers", "append", "default")
    @classmethod
    def _header_map(cls, value: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        for name in value:
            if name.lower() in seen:
                raise _problem(
                    "header", f"{name!r} repeats {seen[name.lower()]!r} (header names ignore case)"
                )
            seen[name.lower()] = name
        return value

    @field_validator("unset")
    @classmethod
    def _unset(cls, value: list[str]) -> list[str]:
        problems = [problem for name in value if (problem := check_unset_name(name))]
        if problems:
            raise _problem("unset", "; ".join(problems))
        return value

    @field_validator("regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return _check_regex(value)  # type: ignore[no-any-return]

    @field_validator("cache_control", "content_type", "charset", "content_disposition")
    @classmethod
    def _sugar_value(cls, value: str | None) -> str | None:
        if value is not None and (problem := check_header_value(value)):
            raise _problem("header_value", problem)
        return value

    @field_validator("content_type")
    @classmethod
    def _content_type(cls, value: str | None) -> str | None:
        return value if value is None else _media_type(value)

    @field_validator("charset")
    @classmethod
    def _rule_charset(cls, value: str | None) -> str | None:
        return value if value is None else _charset(value)

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if (self.match is None) == (self.regex is None):
            raise _problem("rule_target", "a rule needs exactly one of 'match' or 'regex'")
        if self.cache_control is not None and (
            self.max_age is not None or self.immutable is not None
        ):
            raise _problem(
                "cache_conflict",
                "'cache_control' sets Cache-Control verbatim; do not combine it with "
                "'max_age' or 'immutable'",
            )
        return self

    @property
    def patterns(self) -> list[str]:
        """The glob patterns of this rule (empty for a regex rule)."""
        return list(self.match or [])


# ----------------------------------------------------------------------------- settings


class Settings(BaseModel):
    """Everything servestatic can be told. The top-level keys are ServeStatic's options.

    A pure model: ``Settings(**values)`` validates ``values`` and reads nothing else. Use
    :func:`~servestatic.config.load_settings` for settings from code, the environment and
    the files, with the source of every value.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        arbitrary_types_allowed=False,
        json_schema_extra=js.SETTINGS,
    )

    #: Names read from the environment that belong to the Django integration (ServeStatic's
    #: Django settings); they are recognised so that they are not reported as unknown.
    django_only_names: ClassVar[frozenset[str]] = frozenset(
        {
            "use_finders",
            "use_manifest",
            "use_static_root",
            "static_prefix",
            "keep_only_hashed_files",
            "manifest_strict",
            "skip_compress_extensions",
            "use_gzip",
            "use_brotli",
            "use_zstd",
            "zstd_dictionary",
            "zstd_dictionary_is_raw",
            "retain",
            "zstd_level",
            "minify",
        }
    )

    schema_: str | None = Field(default=None, alias="$schema", exclude=True)
    """JSON Schema URL for editors (Taplo / Even Better TOML); ignored by servestatic."""

    # --- ServeStatic's options, same names and defaults --------------------------------
    root: DirectoryPath | None = None
    """Directory to serve (ServeStatic's `root`)."""
    prefix: UrlPrefix = None
    """URL prefix for `root` (default `/`)."""
    autorefresh: bool = False
    """Look files up on disk per request (development only)."""
    watch: bool = False
    """Keep the start-up index current from filesystem events (needs the `watch` extra,
    `pip install servestatic[watch]`): a file created, replaced or deleted under a root is
    served, revalidated or gone within a second, with no filesystem call per request. Not
    combinable with `autorefresh` (which has no index to keep current)."""
    max_age: MaxAge = 60
    """`Cache-Control: max-age` for files that are not immutable; `false` sends none."""
    allow_all_origins: bool = True
    """Send `Access-Control-Allow-Origin: *`."""
    charset: Charset = "utf-8"
    """Charset added to `text/*` media types."""
    mimetypes: dict[str, MediaType] | None = None
    """Extra media types by extension (`.ext`) or whole file name, over the built-in table."""
    index_file: IndexFile = None
    """Serve `index.html` (true) or the named file for directory URLs ending in `/`."""
    immutable_file_test: ImmutableTest = None
    """Regex searched in the URL (or a callable `(path, url)` in code) marking files
    immutable; the default matches `name.<12 hex>.ext`."""
    allow_unsafe_symlinks: bool = False
    """Serve files whose real path is outside their root."""
    add_headers_function: HeadersFunction = None
    """`package.module:function` called once per file as `f(headers, path, url)`. A header
    it sets that HTTP cannot carry (a value ISO-8859-1 cannot encode, a control character, a
    framing header) is left out for that file with a warning."""

    # --- servestatic's groups -----------------------------------------------------------
    roots: list[RootSettings] = Field(default_factory=list)
    """More directories, each with a prefix; later entries win over earlier ones."""
    rules: list[Rule] = Field(default_factory=list)
    """Header rules, applied in order to every file they match; the later rule wins."""
    redirects: list[Redirect] = Field(default_factory=list)
    """Redirects, checked before files; the first match wins."""
    compression: CompressionSettings = Field(default_factory=CompressionSettings)
    ranges: RangeSettings = Field(default_factory=RangeSettings)
    hidden: HiddenFileSettings = Field(default_factory=HiddenFileSettings)
    cors: CorsSettings = Field(default_factory=CorsSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    spa: SpaSettings = Field(default_factory=SpaSettings)
    errors: ErrorPageSettings = Field(default_factory=ErrorPageSettings)
    memory_cache: MemoryCacheSettings = Field(default_factory=MemoryCacheSettings)
    streaming: StreamingSettings = Field(default_factory=StreamingSettings)
    presets: PresetChoice = "auto"
    """Framework presets: `auto` recognises the build output in each root (Vite, webpack,
    Next.js static export, SvelteKit, Astro, Nuxt, Angular, Parcel) and makes its
    content-hashed files immutable, its HTML and manifests `no-cache` and service workers
    `no-store`; `off` disables them; a list applies the named presets whatever is on
    disk (from the environment: `vite,next`). Rules apply after presets, so a rule
    overrides them; `servestatic check` lists each preset with its evidence and the files
    it covers."""
    clean_urls: bool = False
    """Serve `about.html` at `/about` (and `about/index.html` at `/about/` with `index_file`);
    the `.html` URL redirects to the clean one."""
    trailing_slash: Literal["auto", "add", "remove", "ignore"] = "auto"
    """Where a page's URL ends in `/`. `auto` (ServeStatic's behaviour): directories
    (`about/index.html`) at `/about/`, `.html` pages at `/about`; `add`: every page at
    `/about/`; `remove`: every page at `/about`; `ignore`: both forms answer, no redirect.
    The other form gets one redirect to the canonical URL."""
    hints: HintSettings = Field(default_factory=HintSettings)
    etag: Literal["mtime", "content", "off"] = "mtime"
    """How ETags are made: `mtime` (modification time and size), `content` (a hash of the
    bytes, identical on every machine; taken from the build manifest when present), `off`."""
    import_: list[str] | None = Field(default=None, alias="import")
    """Netlify / Cloudflare Pages `_headers` and `_redirects` files read as configuration
    (relative to the file that names them; in the environment and Django settings, to the
    working directory).
    Unset: the `_headers` and `_redirects` at the top of every root mounted at `/` are
    read, as those hosts do. A list reads exactly those files (`[]`: none)."""
    build_tags: list[HeaderName] = Field(default_factory=list)
    """Header names (e.g. `Surrogate-Key`, `Cache-Tag`) that carry, for each file of a DEST
    built with `--retain`, the ids of the builds that contain it (`build-<id>`), so a CDN
    can purge one build by tag. `Surrogate-Key` and `xkey` get the ids space-separated,
    any other header comma-separated."""
    strict: bool = False
    """Turn start-up warnings (a missing root, a missing SPA fallback or 404 page, a rule that
    matches no file, a skipped file, a header a hook sets
    that HTTP cannot carry, an unknown `SERVESTATIC_*` variable) into errors: the
    start-up reports all of them, then stops."""

    @field_validator("watch")
    @classmethod
    def _watch_needs_index(cls, value: bool, info: ValidationInfo) -> bool:
        # Both are ways of noticing files that change after start-up: autorefresh looks
        # every request up on disk and keeps no index, so there is nothing to watch for.
        # An error rather than a silent winner: the operator meant one of the two.
        if value and info.data.get("autorefresh"):
            raise _problem(
                "watch_autorefresh",
                "watch keeps the start-up index current and autorefresh has no index: "
                "set only one of them (watch for production, autorefresh for development)",
            )
        return value

    @property
    def effective_index_file(self) -> str | None:
        """The index file name, or None when directory URLs are not served."""
        if self.index_file is True:
            return "index.html"
        if isinstance(self.index_file, str):
            return self.index_file
        return None
