"""Which file answers a URL path that is not simply a file's own URL. Pure.

One function, :func:`resolve`, decides index files (ServeStatic's ``index_file``), clean
URLs (``/about`` from ``about.html``), the ``trailing_slash`` policy and original names a
build manifest maps to a hashed file (issue 18). Both modes call it: the start-up index
asks it about every URL a page could be reached at (:func:`page_urls`) with a lookup in
the table, autorefresh asks it per request with a lookup on the disk. They cannot
disagree, because there is nothing else to disagree about.

``exists(url)`` says whether a *file* (or a manifest original) is at a URL; the answer is
``("file", file_url)`` (serve that file at the requested path), ``("redirect",
location)`` (a relative ``Location``: the mount point needs no rewriting) or None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Resolution", "UrlPolicy", "page_urls", "resolve"]

Resolution = tuple[Literal["file", "redirect"], str]


@dataclass(frozen=True, slots=True)
class UrlPolicy:
    """The settings that shape URL resolution, compiled once."""

    index: str | None  # "index.html", or None when directory URLs are not served
    clean_urls: bool = False
    trailing_slash: str = "auto"  # "auto", "add", "remove" or "ignore"

    @property
    def active(self) -> bool:
        """False when only files' own URLs are served (nothing to resolve)."""
        return self.index is not None or self.clean_urls


def _relative(from_path: str, to_path: str) -> str:
    """The relative reference (not yet percent-encoded) from ``from_path`` to ``to_path``,
    which is in the same directory or one up: ``/a/b.html`` → ``/a/b`` is ``b``,
    ``/a/b/`` → ``/a/b`` is ``../b``, ``/a/index.html`` → ``/a/`` is ``./``."""
    here = from_path.rsplit("/", 1)[0] + "/"
    if to_path == here:
        return "./"
    trimmed = to_path[:-1] if to_path.endswith("/") else to_path
    parent, name = trimmed.rsplit("/", 1)
    name += "/" if to_path.endswith("/") else ""
    if parent + "/" == here:
        return name
    # One level up (the only other case resolve() produces).
    return "../" + name


def resolve(path: str, policy: UrlPolicy, exists: Callable[[str], bool]) -> Resolution | None:
    """What answers ``path`` (a safe, decoded URL path): see the module docstring."""
    index = policy.index
    slash = policy.trailing_slash
    if path.endswith("/"):
        bare = path[:-1]
        if index is not None and exists(path + index):
            if slash == "remove" and bare and _canonical(bare, policy, exists) == path + index:
                return ("redirect", _relative(path, bare))
            return ("file", path + index)
        if policy.clean_urls and bare and exists(bare + ".html"):
            page = bare + ".html"
            if slash in {"add", "ignore"}:
                return ("file", page)
            if _canonical(bare, policy, exists) == page:
                return ("redirect", _relative(path, bare))
        return None
    if exists(path):
        name = path.rsplit("/", 1)[-1]
        if index is not None and name == index:
            directory = path[: -len(index)]
            target = directory if slash != "remove" or directory == "/" else directory[:-1]
            if _canonical(target, policy, exists) == path:
                return ("redirect", _relative(path, target))
        elif policy.clean_urls and name.endswith(".html") and len(name) > 5:
            stem = path[:-5]
            target = stem + "/" if slash == "add" else stem
            if _canonical(target, policy, exists) == path:
                return ("redirect", _relative(path, target))
        return ("file", path)
    if policy.clean_urls and exists(path + ".html"):
        if slash != "add":
            return ("file", path + ".html")
        if _canonical(path + "/", policy, exists) == path + ".html":
            return ("redirect", _relative(path, path + "/"))
    if index is not None and path and exists(path + "/" + index):
        if slash in {"remove", "ignore"}:
            return ("file", path + "/" + index)
        return ("redirect", _relative(path, path + "/"))
    return None


def _canonical(path: str, policy: UrlPolicy, exists: Callable[[str], bool]) -> str | None:
    """The file ``path`` serves directly (no redirect), or None: a redirect is only ever
    made to a URL that serves the same file, so there is one hop and never a loop."""
    found = resolve(path, policy, exists)
    if found is None or found[0] != "file":
        return None
    return found[1]


def page_urls(url: str, policy: UrlPolicy) -> tuple[str, ...]:
    """Every URL whose resolution may depend on the file at ``url`` (for the start-up
    index: these are re-resolved whenever such a file is added)."""
    urls = [url]
    index = policy.index
    if index is not None and url.endswith("/" + index):
        directory = url[: -len(index)]
        urls.append(directory)
        if directory != "/":
            urls.append(directory[:-1])
            if policy.clean_urls:
                urls.append(directory[:-1] + ".html")
    if policy.clean_urls and url.endswith(".html") and len(url.rsplit("/", 1)[-1]) > 5:
        stem = url[:-5]
        urls.extend((stem, stem + "/"))
        if index is not None:
            urls.append(stem + "/" + index)
    return tuple(dict.fromkeys(urls))
