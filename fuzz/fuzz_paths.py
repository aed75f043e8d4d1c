"""Fuzz URL-path safety: an accepted path cannot leave a root, on POSIX or Windows."""

from __future__ import annotations

import ntpath
import posixpath
from urllib.parse import urljoin, urlsplit

from fuzz._common import run_atheris
from servestatic.http.paths import (
    decode_wsgi_path,
    has_encoded_separator,
    is_safe_url_path,
    relative_redirect,
)


def test_one_input(data: bytes) -> None:
    path = decode_wsgi_path(data.decode("latin-1"))
    assert isinstance(has_encoded_separator(data), bool)
    if is_safe_url_path(path):
        segments = path.split("/")[1:]
        assert ".." not in segments
        assert "." not in segments
        assert not any(char in path for char in "\\:\x00")
        assert "//" not in path
        relative = path[1:]
        joined = posixpath.normpath(posixpath.join("/srv/root", relative))
        assert joined == "/srv/root" or joined.startswith("/srv/root/")
        windows = ntpath.normpath(ntpath.join("C:\\srv\\root", *relative.split("/")))
        assert windows == "C:\\srv\\root" or windows.startswith("C:\\srv\\root\\")
    name = path.rsplit("/", 1)[-1]
    if name and name not in {".", ".."}:
        location = relative_redirect(name + "/")
        assert not location.startswith(("/", "\\"))
        resolved = urlsplit(urljoin("https://site.example/a/b", location))
        assert (resolved.scheme, resolved.netloc) == ("https", "site.example")


if __name__ == "__main__":
    run_atheris(test_one_input)
