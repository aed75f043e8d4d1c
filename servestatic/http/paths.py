"""URL path safety and normalisation. Pure: no filesystem access.

The default (static) mode answers only from the start-up index, so a hostile path can at
worst miss. These checks matter before any filesystem call (autorefresh mode, ``add_files``)
and for redirect targets. They run on every OS so that tests are portable: a backslash, a
drive letter or a Windows device name is refused on Linux too.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote

__all__ = [
    "MAX_PATH_LENGTH",
    "PERCENT_BYTE",
    "decode_wsgi_path",
    "has_encoded_separator",
    "is_canonical_name",
    "is_safe_url_path",
    "mount_location",
    "normalize_prefix",
    "relative_redirect",
    "route_path",
    "within",
]

#: Longer URL paths are treated as misses without further work (SWS uses the same bound).
MAX_PATH_LENGTH = 8192

# Windows device names (any case, with or without an extension or trailing spaces/dots,
# including the superscript digits Windows also accepts): opening one reads a device.
_DEVICE_INITIALS = frozenset("cpanlCPANL")
_DEVICE = re.compile(
    r"(?i)(con|prn|aux|nul|conin\$|conout\$|clock\$|(com|lpt)[0-9\u00b9\u00b2\u00b3])"
    r"[ .]*(\..*)?\Z"
)
_ENCODED_SEPARATOR = re.compile(r"(?i)%(2f|5c|00)")
#: ``%`` as a byte value, for membership tests on ``bytes`` (see has_encoded_separator).
PERCENT_BYTE = ord("%")


def decode_wsgi_path(path_info: str) -> str:
    """PEP 3333 gives ``PATH_INFO`` as latin-1 code points of the raw bytes; decode UTF-8.

    Invalid UTF-8 becomes U+FFFD, which no indexed file name contains: a miss, not an error.
    """
    if path_info.isascii():
        return path_info
    try:
        return path_info.encode("latin-1").decode("utf-8")
    except UnicodeEncodeError:  # already decoded by a lenient server
        return path_info
    except UnicodeDecodeError:
        return path_info.encode("latin-1").decode("utf-8", "replace")


def has_encoded_separator(raw_path: str | bytes | None) -> bool:
    """True if the undecoded request path contains ``%2F``, ``%5C`` or ``%00``.

    Such a path decodes to something other than what its segments say (Sanic
    CVE-2022-35920, Vert.x CVE-2018-12542), so it is treated as a miss.
    """
    if not raw_path:
        return False
    if isinstance(raw_path, bytes):
        # An int: ``b"%" in raw_path`` goes through the buffer protocol, ~400 ns on
        # CPython 3.13 against ~30 ns for one byte's value (this runs on every ASGI request).
        if PERCENT_BYTE not in raw_path:
            return False
        raw_path = raw_path.decode("latin-1")
    elif "%" not in raw_path:
        return False
    return _ENCODED_SEPARATOR.search(raw_path.split("?", 1)[0]) is not None


def is_canonical_name(name: str) -> bool:
    """Can a file or directory name be a segment of a canonical URL path?

    The name-level part of :func:`is_safe_url_path` (no ``:``, ``\\``, trailing dot or
    space, or Windows device name), applied when the index is built, so that the start-up
    index and autorefresh serve the same names on every OS.
    """
    if "\\" in name or ":" in name or name[-1] in " .":
        return False
    # Every device name starts with one of these letters: most names skip the pattern.
    return name[0] not in _DEVICE_INITIALS or _DEVICE.match(name) is None


def is_safe_url_path(path: str) -> bool:
    """True if a decoded URL path is canonical and cannot name anything outside a root.

    Refused: relative paths, empty, ``.`` and ``..`` segments, ``//``, backslashes, NUL and
    other control characters, a drive letter or ``:`` anywhere, and Windows device names
    in any segment.
    """
    if not path.startswith("/") or len(path) > MAX_PATH_LENGTH:
        return False
    if "\\" in path or ":" in path or "//" in path:
        return False
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
        return False
    for segment in path.split("/")[1:]:
        if segment in {".", ".."}:
            return False
        if segment and not is_canonical_name(segment):
            return False
    return True


def normalize_prefix(prefix: str | None) -> str:
    """``None``/``""`` → ``/``; ``static`` → ``/static/`` (ServeStatic's normalisation)."""
    if not prefix:
        return "/"
    return "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"


def relative_redirect(target_segment: str) -> str:
    """A relative, path-only ``Location`` for a directory redirect.

    ``target_segment`` is the last path segment plus ``/`` (``"docs/"``) or ``"./"``. The
    result never starts with ``/`` (so never ``//`` or ``/\\``), and a segment that could be
    read as a URL scheme (``"a:b/"``) gets a ``./`` prefix.
    """
    if target_segment == "./":
        return "./"
    encoded = quote(target_segment, safe="/!$&'()*+,;=@-._~")
    if ":" in encoded.split("/", 1)[0] or encoded.startswith(("/", "\\")):
        encoded = "./" + encoded
    return encoded


def route_path(path: str, root_path: str) -> str:
    """The path below the mount point: ``path`` without the ASGI ``root_path``.

    The ASGI spec puts ``root_path`` in ``path`` (uvicorn ``--root-path`` prepends it,
    granian and hypercorn receive it from the client), so it is removed at a segment
    boundary: ``/mount/app.js`` → ``/app.js``, ``/mount`` → ``""`` (the mount point itself),
    and ``/mountain/x`` is left alone. A path that does not start with ``root_path`` is
    used as it is, as Starlette does (servers that follow the older convention leave the
    mount out of ``path``).
    """
    root = root_path.rstrip("/")
    if not root or not path.startswith(root):
        return path
    rest = path[len(root) :]
    if rest and rest[0] != "/":
        return path
    return rest


#: What may stay unescaped in a ``Location`` path (RFC 3986 pchar and "/"; "%" is not: the
#: mount is decoded text).
_LOCATION_PATH_SAFE = "/!$&'()*+,;=:@-._~"


def mount_location(mount: str, location: str) -> str:
    """``location`` (a path from ``/``) as seen from outside a mount point (``/mount``).

    The mount is the ASGI ``root_path`` or WSGI ``SCRIPT_NAME`` (decoded text); it is
    percent-encoded, and collapsed to a single leading "/" so a mount can never turn
    ``Location`` into ``//host``. Relative locations and absolute URLs are unchanged.
    """
    inner = mount.strip("/")
    if not inner or not location.startswith("/"):
        return location
    return "/" + quote(inner, safe=_LOCATION_PATH_SAFE) + location


def within(real_root: str, real_path: str) -> bool:
    """Is ``real_path`` ``real_root`` or below it? Both already resolved by the caller."""
    # commonpath, never startswith: "/srv/static_private" is not inside "/srv/static".
    try:
        return os.path.commonpath([real_root, real_path]) == real_root
    except ValueError:  # pragma: no cover - different drives (Windows only)
        return False
