"""A site that exercises everything the export writes, and the requests to compare on it.

Index directories, precompressed variants (one larger than its source, one ``.zstd``),
immutable names, non-ASCII names, spaces, ``?`` and ``$`` in names, names that differ only
in case, an empty file, a file with no date, dotfiles (one allowed), a ``deny`` rule, rules
that set, append, unset and replace headers (CORS, Content-Type, Content-Disposition), a
``[cors]`` allow-list, security headers, configured redirects (literal, over a file,
placeholders, absolute, unforced ones that a file wins over), the SPA fallback with
exclusions and a 404 page with a variant.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import brotli
import zstandard

from tests.conftest import write

__all__ = ["ACCEPT_ENCODINGS", "CONFIGS", "MISSES", "Site", "make_site"]

JS = b"function hello() { return 'hello world'; }\n" * 40
CSS = b"body { color: red; margin: 0 auto; }\n" * 30
HTML = b"<!doctype html><title>page</title>" + b"<p>some text worth compressing</p>" * 30
#: One modification time for every file, so Last-Modified compares exactly (a variant's
#: own time is a documented difference, see variant-validators).
MTIME = 1_700_000_000

FULL = """
root = "site"
index_file = true
max_age = 60

[security]
preset = "basic"
hsts = "max-age=31536000"

[cors]
allow_origins = ["https://app.example"]
expose_headers = ["X-Asset"]

[spa]
fallback = "/index.html"
exclude = ["/**/*.*", "/api/**"]

[errors]
not_found = "/404.html"

[[rules]]
name = "assets"
match = "/assets/**"
headers = { X-Asset = "yes" }
append = { Vary = "Sec-Fetch-Dest" }

[[rules]]
name = "fonts for everyone"
match = "/fonts/*.woff2"
headers = { Access-Control-Allow-Origin = "*" }
cache_control = "public, max-age=86400"

[[rules]]
match = "/downloads/*.pdf"
content_disposition = "attachment"

[[rules]]
match = "/private/**"
deny = true

[[rules]]
match = "/docs/**"
headers = { Link = '</docs/style.css>; rel="preload"', X-Price = "$5 {braces} \\\\ back" }

[[rules]]
match = "/data.bin"
content_type = "application/x-custom"
unset = ["X-Frame-Options"]

[[rules]]
match = "/README.txt"
headers = { X-Case = "upper" }

[[rules]]
match = "/empty.txt"
unset = ["Content-Type"]

[[redirects]]
from = "/old/*"
to = "/new/:splat"
status = 301

[[redirects]]
from = "/u/:name"
to = "/users/:name"
status = 302
keep_query = false

[[redirects]]
from = "/about-us"
to = "/about.html"
status = 308

[[redirects]]
from = "/legacy.html"
to = "/about.html"

[[redirects]]
from = "/contact"
to = "/about.html"
status = 302
keep_query = false

[[redirects]]
from = "/ext/:name"
to = "https://example.com/docs/:name"
status = 307

# force = false (a _redirects line without "!"): a file at the path wins.
[[redirects]]
from = "/kept/:name"
to = "/moved/:name"
status = 301
force = false

[[redirects]]
from = "/kept.html"
to = "/about.html"
force = false

# A file skips the unforced pattern and meets the forced one after it; a miss takes the first.
[[redirects]]
from = "/mixed/:name"
to = "/first/:name"
status = 301
force = false

[[redirects]]
from = "/mixed/*"
to = "/second/:splat"
status = 302
"""

#: Two roots (one under a prefix), a custom index name, no Cache-Control, no ETag, no
#: ranges, the strict security preset, no SPA fallback and no 404 page (the plain 404).
PREFIXED = """
max_age = false
index_file = "default.htm"
etag = "off"

[[roots]]
path = "site"

[[roots]]
path = "static"
prefix = "/static/"

[ranges]
enabled = false

[security]
preset = "strict"

[[rules]]
match = "/static/**"
immutable = true

[[redirects]]
from = "/static/old/*"
to = "/static/:splat"
status = 302
"""

CONFIGS = {"full": FULL, "prefixed": PREFIXED}

#: Paths that are not files of the site: misses of every kind.
MISSES = (
    "/nope",
    "/some/client/route",
    "/missing.js",
    "/api/users",
    "/old/a/b",
    "/old",
    "/u/bob",
    "/ext/page",
    "/Docs/",
    "/DOCS",
    "/About-Us",
    "/WHAT?.txt",
    "/ASSETS/APP.JS",
    "/readme.txt",
    "/.servestatic-like/x",
    "/static",
    "/static/sub",
    "/static/old/lib.js",
    "/static/nope.js",
    "/kept/other",
    "/kept/",
    "/mixed/b",
    "/mixed/b/c",
)

ACCEPT_ENCODINGS: tuple[str | None, ...] = (
    None,
    "gzip",
    "br",
    "zstd",
    "gzip, deflate, br, zstd",
    "identity",
    # q-values and the rest of RFC 9110 §12.5.3, where engines differ (coding-preference,
    # not-acceptable):
    "br;q=0.5, gzip",
    "gzip;q=0, br",
    "gzip;q=0.5, identity",
    "*",
    "x-gzip",
    "identity;q=0",
)


@dataclass(frozen=True)
class Site:
    base: Path  # holds servestatic.toml and site/
    root: Path
    config: Path


def make_site(base: Path, config: str = "full") -> Site:
    root = base / "site"
    html = {
        "index.html": b"<h1>home</h1>" + HTML,
        "about.html": b"<h1>about</h1>",
        "legacy.html": b"<h1>legacy</h1>",
        "404.html": b"<h1>not found</h1>" + HTML,
        "docs/index.html": b"<h1>docs</h1>",
        "docs/guide.html": b"<h1>guide</h1>",
        "app/index.html": b"<h1>app</h1>",
    }
    for name, data in html.items():
        write(root / name, data)
    write(root / "404.html.gz", gzip.compress(html["404.html"], mtime=0))
    write(root / "index.html.br", brotli.compress(html["index.html"]))
    write(root / "assets" / "app.js", JS)
    write(root / "assets" / "app.js.gz", gzip.compress(JS, mtime=0))
    write(root / "assets" / "app.js.br", brotli.compress(JS))
    write(root / "assets" / "app.js.zst", zstandard.ZstdCompressor(level=19).compress(JS))
    write(root / "assets" / "app.db8f2edc0c8a.js", JS[:200])
    write(root / "assets" / "style.css", CSS)
    write(root / "assets" / "style.css.gz", gzip.compress(CSS, mtime=0))
    write(root / "assets" / "only.css", CSS + b"/* zstd only */\n")
    write(
        root / "assets" / "only.css.zstd",
        zstandard.ZstdCompressor(level=3).compress(CSS + b"/* zstd only */\n"),
    )
    # A variant larger than its source is never sent.
    write(root / "assets" / "tiny.txt", b"tiny")
    write(root / "assets" / "tiny.txt.gz", gzip.compress(b"tiny", mtime=0))
    write(root / "fonts" / "font.woff2", bytes(range(256)) * 4)
    write(root / "downloads" / "report.pdf", b"%PDF-1.4 not really\n" * 10)
    write(root / "data.bin", bytes(range(256)) * 40)
    write(root / "empty.txt", b"")
    write(root / "naïve café.txt", "unicode name")
    write(root / "with space.txt", "space")
    write(root / "what?.txt", "question")
    write(root / "price$5.txt", "dollar")
    write(root / "README.txt", "upper")
    write(root / "Readme.txt", "mixed")
    write(root / ".env", "SECRET=1")
    write(root / ".git" / "config", "[core]")
    write(root / ".well-known" / "security.txt", "Contact: mailto:security@example.com")
    write(root / "private" / "secret.txt", "secret")
    write(root / "undated.txt", "reproducible build")
    # Longer than nginx's default map hash bucket holds (map_hash_bucket_size).
    write(root / "a-rather-long-directory-name" / ("long-file-name-" * 6 + ".txt"), "long")
    write(root / "default.htm", "<h1>default</h1>")
    # Files under unforced redirects (force = false): served, not redirected.
    write(root / "kept" / "page.html", "<h1>kept</h1>")
    write(root / "kept.html", "<h1>kept too</h1>")
    write(root / "mixed" / "a.txt", "mixed")
    static = base / "static"
    write(static / "lib.js", JS + b"// lib\n")
    write(static / "lib.js.gz", gzip.compress(JS + b"// lib\n", mtime=0))
    write(static / "lib.js.br", brotli.compress(JS + b"// lib\n"))
    write(static / "default.htm", "<h1>static</h1>")
    write(static / "sub" / "default.htm", "<h1>static sub</h1>")
    write(static / ".hidden", "hidden")
    for top in (root, static):
        for directory, _, names in os.walk(top):
            for name in names:
                os.utime(os.path.join(directory, name), (MTIME, MTIME))
    os.utime(root / "undated.txt", (1, 1))
    path = base / "servestatic.toml"
    path.write_text(CONFIGS[config], encoding="utf-8")
    return Site(base, root, path)
