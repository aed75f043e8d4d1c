"""URLs grouped by the answer they share, so an engine configuration says each thing once.

A file group is every URL served from the same root with the same headers, content type,
precompressed codings and CORS allow-list; a redirect group every redirect with the same
status, headers and query handling. Group names are a hash of what the group sends, so a
group keeps its name when unrelated files come and go (stable diffs in code review).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from servestatic.export._model import FileAnswer, Headers, RedirectAnswer, SiteModel

__all__ = ["FileGroup", "RedirectGroup", "file_groups", "redirect_groups"]


# root, content type, other headers, codings, CORS origins
_FileKey = tuple[int, str | None, Headers, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class FileGroup:
    name: str
    root: int
    content_type: str | None
    headers: Headers  # without Content-Type, in servestatic's order
    codings: tuple[str, ...]  # precompressed codings the engine should look for, in order
    cors_origins: tuple[str, ...]
    answers: tuple[FileAnswer, ...]  # sorted by URL

    @property
    def has_index(self) -> bool:
        return any(answer.is_index for answer in self.answers)


@dataclass(frozen=True, slots=True)
class RedirectGroup:
    name: str
    status: int
    keep_query: bool
    headers: Headers
    answers: tuple[RedirectAnswer, ...]


def _name(prefix: str, key: object, taken: set[str]) -> str:
    digest = hashlib.sha256(repr(key).encode("utf-8")).hexdigest()
    length = 8
    while f"{prefix}{digest[:length]}" in taken:  # pragma: no cover - a 32-bit collision
        length += 2
    name = f"{prefix}{digest[:length]}"
    taken.add(name)
    return name


def file_groups(
    model: SiteModel, codings: Callable[[FileAnswer], tuple[str, ...]]
) -> tuple[FileGroup, ...]:
    """Group the file URLs; ``codings(answer)`` says which variants the engine can serve."""
    members: dict[_FileKey, list[FileAnswer]] = {}
    for answer in model.files:
        key: _FileKey = (
            answer.root,
            answer.content_type,
            answer.other_headers,
            codings(answer),
            answer.cors_origins,
        )
        members.setdefault(key, []).append(answer)
    taken: set[str] = set()
    groups = []
    # Sorted by their first URL: the configuration reads in URL order.
    for key, answers in sorted(members.items(), key=lambda item: item[1][0].url):
        root, content_type, headers, group_codings, origins = key
        groups.append(
            FileGroup(
                name=_name("g-", key, taken),
                root=root,
                content_type=content_type,
                headers=headers,
                codings=group_codings,
                cors_origins=origins,
                answers=tuple(answers),
            )
        )
    return tuple(groups)


def redirect_groups(model: SiteModel) -> tuple[RedirectGroup, ...]:
    members: dict[tuple[int, bool, Headers], list[RedirectAnswer]] = {}
    for answer in model.redirects:
        key: tuple[int, bool, Headers] = (answer.status, answer.keep_query, answer.headers)
        members.setdefault(key, []).append(answer)
    taken: set[str] = set()
    groups = []
    for key, answers in sorted(members.items(), key=lambda item: item[1][0].url):
        status, keep_query, headers = key
        groups.append(
            RedirectGroup(
                name=_name("r-", key, taken),
                status=status,
                keep_query=keep_query,
                headers=headers,
                answers=tuple(answers),
            )
        )
    return tuple(groups)
