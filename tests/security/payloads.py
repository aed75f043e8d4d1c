"""Hostile request targets, by class of the security history (``security-history.md``).

Each template is a raw request target as it goes on the wire; ``{m}`` is the mount prefix
without its trailing slash (``""`` or ``"/static"``) and ``{base}`` the absolute directory
that holds the root and the secrets (no leading slash). Every one of them must be a plain
404 from a standalone server, in both adapters and both index modes.
"""

from __future__ import annotations

#: class → request-target templates
PAYLOADS: dict[str, tuple[str, ...]] = {
    # Plain traversal and every encoding of "..": Starlette CVE-2023-29159, aiohttp
    # CVE-2024-23334, Sanic #633 (check-then-decode), Apache CVE-2021-41773/42013.
    "traversal": (
        "{m}/../static_private/secret.txt",
        "{m}/../secret.txt",
        "{m}/../../../../../../../../etc/passwd",
        "{m}/docs/../../secret.txt",
        "{m}/docs/../app.js",
        "{m}/./app.js",
        "{m}/docs/./index.html",
        "{m}/%2e%2e/secret.txt",
        "{m}/%2E%2E/static_private/secret.txt",
        "{m}/.%2e/secret.txt",
        "{m}/%2e./secret.txt",
        "{m}/%2e/app.js",
        "{m}/%252e%252e/secret.txt",
        "{m}/%252e%252e%252fsecret.txt",
        "{m}/.../secret.txt",
        "{m}/..../secret.txt",
        "{m}/..;/secret.txt",
        "{m}/app.js;/../../secret.txt",
        "{m}/docs/%2e%2e/%2e%2e/secret.txt",
    ),
    # Encoded separators: Sanic CVE-2022-35920 ("..%2F" lateral move), Vert.x.
    "encoded-slash": (
        "{m}/..%2fsecret.txt",
        "{m}/..%2Fstatic_private%2Fsecret.txt",
        "{m}/%2e%2e%2f%2e%2e%2fsecret.txt",
        "{m}/..%252fsecret.txt",
        "{m}/docs%2Findex.html",
        "{m}/docs%2f",
        "{m}/%2Fapp.js",
        "{m}/docs/..%2F..%2Fsecret.txt",
    ),
    # Backslashes, raw and encoded: Starlette #981, WhiteNoise #197.
    "backslash": (
        "{m}/..\\secret.txt",
        "{m}/..%5csecret.txt",
        "{m}/..%5C..%5Csecret.txt",
        "{m}/docs\\..\\..\\secret.txt",
        "{m}/docs%5cindex.html",
        "{m}/\\app.js",
        "{m}/%5capp.js",
    ),
    # NUL and other control characters: Starlette #3139, ServeStatic 4.4.
    "nul": (
        "{m}/app.js%00",
        "{m}/app.js%00.txt",
        "{m}/%00/../secret.txt",
        "{m}/link.txt%00.js",
        "{m}/app.js%0d%0aX-Injected:%201",
        "{m}/%09app.js",
        "{m}/app.js%7f",
    ),
    # Overlong and look-alike encodings of "." "/" "\": old IIS and Tomcat bugs, CERT 405811.
    "overlong-utf8": (
        "{m}/%c0%ae%c0%ae/secret.txt",
        "{m}/%c0%ae%c0%ae%c0%afsecret.txt",
        "{m}/%e0%80%ae%e0%80%ae/secret.txt",
        "{m}/..%c0%afsecret.txt",
        "{m}/..%c1%9csecret.txt",
        "{m}/..%c1%1csecret.txt",
        "{m}/%f0%80%80%ae%f0%80%80%ae/secret.txt",
        "{m}/%uff0e%uff0e/secret.txt",
        "{m}/%ef%bc%8e%ef%bc%8e%ef%bc%8fsecret.txt",
        "{m}/\uff0e\uff0e/secret.txt",
        "{m}/app.js%ff",
        "{m}/%80",
    ),
    # Absolute paths joined onto the root: aiohttp #380, Starlette #3287.
    "absolute": (
        "{m}//etc/passwd",
        "{m}/%2Fetc%2Fpasswd",
        "{m}/%2F%2Fetc%2Fpasswd",
        "{m}//{base}/secret.txt",
        "{m}/%2F{base}/static_private/secret.txt",
        "{m}///app.js",
        "{m}/docs//index.html",
    ),
    # Windows drive letters and streams: Starlette #981, WhiteNoise #197 / PR #684.
    "windows-drive": (
        "{m}/c:/windows/win.ini",
        "{m}/C:/secret.txt",
        "{m}/c%3a%5cwindows%5cwin.ini",
        "{m}/C%3A/secret.txt",
        "{m}/c:secret.txt",
        "{m}/C:/{base}/static_private/x",
        "{m}/app.js::$DATA",
        "{m}/app.js:stream",
    ),
    # UNC and device-namespace paths: Starlette CVE-2026-48818, Werkzeug GHSA-f9vj-2wh5-fj8j.
    "unc": (
        "{m}/\\\\server\\share\\x",
        "{m}/%5C%5Cattacker%5Cshare%5Cx",
        "{m}//attacker/share",
        "{m}/\\\\?\\C:\\x",
        "{m}/%5C%5C%3F%5CC%3A%5Cx",
        "{m}/\\\\.\\pipe\\x",
        "{m}//?/C:/x",
    ),
    # Windows device names: Werkzeug GHSA-hgf8-39gv-g3f2, -87hc-h4r5-73f7, -29vq-49wr-vm6x.
    "device": (
        "{m}/CON",
        "{m}/con",
        "{m}/nul",
        "{m}/AUX",
        "{m}/PRN",
        "{m}/COM1",
        "{m}/LPT9",
        "{m}/CON.txt",
        "{m}/CON.txt.html",
        "{m}/nul%20",
        "{m}/nul.",
        "{m}/sub/CON.js",
        "{m}/docs/nul.js",
        "{m}/COM%C2%B9",
        "{m}/LPT%C2%B3.txt",
        "{m}/CONIN$",
        "{m}/conout$.log",
    ),
    # Aliases a case-insensitive or Windows filesystem would resolve (trailing dot/space).
    "alias": (
        "{m}/app.js.",
        "{m}/app.js%20",
        "{m}/app.js...",
        "{m}/APP.JS",
        "{m}/app.js/",
        "{m}/app.js/.",
        "{m}/index.html/",
    ),
    # Precompressed variants are reached through negotiation only (WhiteNoise 64ba1c6).
    "variant-url": (
        "{m}/app.js.gz",
        "{m}/app.js.br",
        "{m}/app.js.zst",
    ),
    # Symlinks out of the root: file, chain, absolute, directory, index through a directory.
    "symlink": (
        "{m}/link.txt",
        "{m}/parent.txt",
        "{m}/absolute.txt",
        "{m}/chain.txt",
        "{m}/linkdir/secret.txt",
        "{m}/linkdir/index.html",
        "{m}/linkdir/",
        "{m}/linkdir",
        "{m}/private/",
        "{m}/private",
        "{m}/private/index.html",
        "{m}/loop/app.js",
        "{m}/loop/loop/loop/app.js",
        "{m}/broken.txt",
    ),
    # Dotfiles are not served (SWS, ServeStatic parity).
    "dotfile": (
        "{m}/.env",
        "{m}/.git/config",
        "{m}/.git/",
        "{m}/%2eenv",
        "{m}/%2egit/config",
        "{m}/.well-known/.secret",
        "{m}/.well-known/.git/config",
        "{m}/.well-known/%2esecret",
        "{m}/.well-known/.git/",
    ),
    # Sibling-prefix roots and nginx "off-by-slash": the mount must be a whole segment.
    "sibling-prefix": (
        "/static_private/secret.txt",
        "/static../static_private/secret.txt",
        "/static%2e%2e/static_private/secret.txt",
        "/staticfoo/app.js",
        "/static_private/",
        "/static_private",
        "/static/../static_private/secret.txt",
        "/static/..%2fstatic_private/secret.txt",
    ),
}
