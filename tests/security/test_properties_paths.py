"""Properties of URL-path safety (``servestatic.http.paths``): what is accepted can be joined
onto a root on POSIX *and* Windows without leaving it; what is dangerous is refused."""

from __future__ import annotations

import ntpath
import posixpath
import re
from urllib.parse import quote, urljoin, urlsplit

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from servestatic.http.paths import (
    MAX_PATH_LENGTH,
    decode_wsgi_path,
    has_encoded_separator,
    is_safe_url_path,
    relative_redirect,
)

SETTINGS = settings(deadline=None, max_examples=500)

# Segments rich in the characters that matter, plus arbitrary text.
PIECES = [".", "..", "...", "a", "b.js", "\\", ":", "\x00", "%2e", "%2f", " ", "CON", "nul",
          "c:", "~", "\u00b9", "\uff0e", "\t", "\x7f", "é"]  # fmt: skip
segments = st.one_of(
    st.lists(st.sampled_from(PIECES), min_size=0, max_size=3).map("".join),
    st.text(max_size=12),
)
paths = st.lists(segments, max_size=6).map(lambda parts: "/" + "/".join(parts))
# Mostly-acceptable paths (dots, spaces, device-name letters), to test what is accepted.
plausible = st.lists(
    st.text(alphabet="abcCONnulx19.~ %é\u00b9-_", min_size=1, max_size=8), max_size=5
).map(lambda parts: "/" + "/".join(parts))


@SETTINGS
@given(paths)
@example("/../secret.txt")
@example("/a/../../b")
@example("/a\\..\\b")
@example("/c:/x")
@example("/a\x00b")
def test_dangerous_paths_are_refused(path: str) -> None:
    segments_ = path.split("/")[1:]
    dangerous = (
        ".." in segments_
        or "." in segments_
        or "\\" in path
        or "\x00" in path
        or ":" in path
        or "//" in path
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in path)
    )
    if dangerous:
        assert not is_safe_url_path(path)


@SETTINGS
@given(st.one_of(plausible, paths))
@example("/CON.txt")
@example("/a/nul ")
@example("/x.")
def test_accepted_paths_stay_inside_a_root_on_posix_and_windows(path: str) -> None:
    assume(is_safe_url_path(path))
    assert path.startswith("/")
    assert len(path) <= MAX_PATH_LENGTH
    relative = path[1:]
    # Canonical: normalisation changes nothing (apart from a directory's trailing slash).
    if relative:
        assert posixpath.normpath(relative) == relative.rstrip("/")
    for part in relative.split("/"):
        if not part:
            continue
        # Windows: no drive, no root, no device, no alias through a trailing dot/space.
        assert ntpath.splitdrive(part)[0] == ""
        assert not ntpath.isabs(part)
        assert part[-1] not in " ."
        assert not re.match(r"(?i)(con|prn|aux|nul|com\d|lpt\d)( *\.|$)", part)
    posix = posixpath.normpath(posixpath.join("/srv/root", relative))
    assert posix == "/srv/root" or posix.startswith("/srv/root/")
    windows = ntpath.normpath(ntpath.join("C:\\srv\\root", *relative.split("/")))
    assert windows == "C:\\srv\\root" or windows.startswith("C:\\srv\\root\\")


@SETTINGS
@given(st.text(max_size=60), st.sampled_from(["%2f", "%2F", "%5c", "%5C", "%00"]), st.text())
def test_encoded_separators_are_detected_before_the_query(
    before: str, separator: str, after: str
) -> None:
    assume("?" not in before)
    raw = "/" + before + separator + after
    assert has_encoded_separator(raw)
    assert has_encoded_separator(raw.encode("utf-8"))
    clean = "/" + re.sub(r"(?i)%(2f|5c|00)", "", before.replace("?", ""))
    assume(not re.search(r"(?i)%(2f|5c|00)", clean))
    assert not has_encoded_separator(clean + "?q=%2F")


@SETTINGS
@given(st.binary(max_size=60))
def test_wsgi_path_decoding_never_fails(raw: bytes) -> None:
    """PEP 3333 gives latin-1 code points of the raw bytes; invalid UTF-8 becomes U+FFFD."""
    decoded = decode_wsgi_path(raw.decode("latin-1"))
    try:
        expected = raw.decode("utf-8")
    except UnicodeDecodeError:
        assert "\ufffd" in decoded
    else:
        assert decoded == expected


@SETTINGS
@given(st.text(min_size=1, max_size=40))
@example("\\evil.com")
@example("/evil.com")
@example("javascript:alert(1)")
@example("//evil.com")
@example("\r\nLocation: //evil.com")
def test_directory_redirects_stay_on_the_site(name: str) -> None:
    assume("/" not in name and name not in {".", ".."})  # no directory has these names
    location = relative_redirect(name + "/")
    assert not location.startswith(("/", "\\"))
    assert all(0x21 <= ord(char) < 0x7F for char in location)
    resolved = urlsplit(urljoin("https://site.example/dir/" + quote(name), location))
    assert (resolved.scheme, resolved.netloc) == ("https", "site.example")
    assert resolved.path == "/dir/" + quote(name, safe="!$&'()*+,;=@-._~") + "/"
