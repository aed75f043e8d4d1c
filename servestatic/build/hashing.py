"""Content-hashed names whose references still work.

``plan_hashes`` reads the files, finds the references in CSS and JS (see ``references``),
and hashes in dependency order: a file's hash is taken over its *rewritten* content, which
already names the hashed files it refers to, so a change anywhere below a file changes its
name too. Files that refer to each other in a cycle (legal for JS modules and CSS
``@import``) share one hash taken over all of their contents. ``write_hashed`` then writes
``name.<hash>.ext`` next to each file.

Names are Django's: ``name.<first 12 hex digits of md5>.ext``, before the last extension.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from servestatic.build.files import replacing, write_atomic
from servestatic.build.references import (
    Reference,
    find_references,
    insert_hash,
    kind_of,
    resolve,
    rewrite,
)
from servestatic.errors import ServeStaticError

__all__ = [
    "HASH_LENGTH",
    "HashPlan",
    "Missing",
    "MissingReferencesError",
    "copy_atomic",
    "copy_verified",
    "file_hash",
    "hashed_name",
    "plan_hashes",
    "short_hash",
    "write_hashed",
]

HASH_LENGTH = 12
_CHUNK = 1 << 16


def short_hash(content: bytes) -> str:
    """The first 12 hex digits of md5 (a name, not a security measure)."""
    return hashlib.md5(content, usedforsecurity=False).hexdigest()[:HASH_LENGTH]


def file_hash(path: str | os.PathLike[str]) -> str:
    """:func:`short_hash` of a file, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()[:HASH_LENGTH]


def hashed_name(name: str, content_hash: str) -> str:
    """``a/b.tar.gz`` → ``a/b.tar.<hash>.gz`` (``os.path.splitext``, as Django)."""
    root, extension = os.path.splitext(name)
    return f"{root}.{content_hash}{extension}"


@dataclass(frozen=True, slots=True)
class Missing:
    """A reference to a file that is not in the tree."""

    source: str
    url: str
    target: str

    def __str__(self) -> str:
        where = "outside the source tree" if self.target.startswith("../") else "missing"
        return f"{self.source}: {self.url!r} refers to {self.target} ({where})"


class MissingReferencesError(ServeStaticError):
    """Strict hashing found references to files that do not exist."""

    def __init__(self, missing: Sequence[Missing]) -> None:
        self.missing = tuple(missing)
        count = len(self.missing)
        first = self.missing[0]
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"{first}{more}")


@dataclass(frozen=True, slots=True)
class _Document:
    data: bytes
    text: str
    references: list[Reference]
    targets: list[str | None]  # per reference: a name in this build, or None (kept)
    resolved: tuple[str, ...]  # every reference that resolved to a path, in order


@dataclass
class HashPlan:
    """What ``write_hashed`` will write: hashed names, and new bytes for rewritten files."""

    names: dict[str, str] = field(default_factory=dict)  # name → hashed name
    hashes: dict[str, str] = field(default_factory=dict)  # name → the hash in its name
    contents: dict[str, bytes] = field(default_factory=dict)  # name → rewritten bytes
    missing: list[Missing] = field(default_factory=list)
    # Files that keep their name (excluded from hashing) but whose references to hashed
    # files are rewritten in place: name → new bytes.
    in_place: dict[str, bytes] = field(default_factory=dict)
    #: Names whose hash came from the last build (``reuse``): not read, not written.
    reused: frozenset[str] = frozenset()
    #: Each CSS/JS file read: every relative reference it resolved, in order (the
    #: incremental build's record of what its hash depends on).
    references: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _document(
    root: str, name: str, kind: str, names: frozenset[str], tree: str | None = None
) -> tuple[_Document, list[Missing]]:
    """``name`` read from ``root``; a target outside ``names`` is missing unless it is a
    file of ``tree`` (default ``root``: where the excluded files are)."""
    tree = root if tree is None else tree
    with open(os.path.join(root, *name.split("/")), "rb") as handle:
        data = handle.read()
    # surrogateescape: bytes that are not UTF-8 survive the round trip unchanged.
    text = data.decode("utf-8", "surrogateescape")
    references = find_references(text, kind)
    targets: list[str | None] = []
    missing: list[Missing] = []
    resolved: list[str] = []
    for reference in references:
        target = resolve(reference.url, name)
        if target is not None:
            resolved.append(target)
        if target is not None and target not in names:
            outside = target.startswith("../") or target == ".."
            if outside or not os.path.isfile(os.path.join(tree, *target.split("/"))):
                missing.append(Missing(name, reference.url, target))
            target = None  # a file we do not hash (excluded) keeps its name
        targets.append(target)
    return _Document(data, text, references, targets, tuple(resolved)), missing


def _render(document: _Document, hashes: dict[str, str]) -> bytes:
    replacements = {
        index: insert_hash(reference.url, hashes[target])
        for index, (reference, target) in enumerate(
            zip(document.references, document.targets, strict=True)
        )
        if target is not None
    }
    if not replacements:
        return document.data
    return rewrite(document.text, replacements, document.references).encode(
        "utf-8", "surrogateescape"
    )


def plan_hashes(
    root: str,
    names: Iterable[str],
    *,
    strict: bool = True,
    keep_names: Iterable[str] = (),
    reuse: Mapping[str, str] | None = None,
    source: str | None = None,
) -> HashPlan:
    """Hash ``names`` (``/``-separated, relative to ``root``); nothing is written.

    With ``strict``, a reference to a file that is neither in ``names`` nor on disk raises
    :class:`MissingReferencesError` listing all of them; otherwise they are returned in
    ``missing`` and the reference is left as written. ``keep_names`` (files excluded from
    hashing) keep their names, but their references to hashed files are rewritten too:
    otherwise they would point at originals the build removes.

    ``reuse`` maps names to the hash the last build gave them (``state.reusable``): those
    are neither read nor written. It must hold every file that refers to one of its names
    and no file that refers to a name outside it (``reusable`` drops referrers of rebuilt
    names), so no hash computed here depends on a file that was not read.

    ``source`` is where ``names`` are read from (default ``root``): the build reads them
    from SRC rather than copying each into DEST first only to delete the copy.
    """
    source = root if source is None else source
    ordered = sorted(dict.fromkeys(names))
    name_set = frozenset(ordered)
    reuse = {name: reuse[name] for name in ordered if name in reuse} if reuse else {}
    documents: dict[str, _Document] = {}
    plan = HashPlan(reused=frozenset(reuse))
    for name in ordered:
        kind = kind_of(name)
        if kind is not None and name not in reuse:
            documents[name], missing = _document(source, name, kind, name_set, root)
            plan.missing.extend(missing)
            plan.references[name] = documents[name].resolved
    if plan.missing and strict:
        raise MissingReferencesError(plan.missing)
    edges = {
        name: sorted({t for t in doc.targets if t is not None}) for name, doc in documents.items()
    }
    hashes: dict[str, str] = dict(reuse)
    for component in strongly_connected(ordered, edges):
        if all(member in reuse for member in component):
            continue  # a reused cycle is reused whole: its members refer to each other
        if len(component) == 1 and component[0] not in edges.get(component[0], ()):
            (name,) = component
            if name in documents:
                content = _render(documents[name], hashes)
                hashes[name] = short_hash(content)
                if content != documents[name].data:
                    plan.contents[name] = content
            else:
                hashes[name] = file_hash(os.path.join(source, *name.split("/")))
            continue
        # A cycle: no member's hash can cover the others' final bytes, so one hash covers
        # every member's original bytes and the hashes of what they refer to outside.
        digest = hashlib.md5(usedforsecurity=False)
        for member in sorted(component):
            digest.update(member.encode("utf-8", "surrogateescape") + b"\0")
            digest.update(documents[member].data + b"\0")
            for target in edges[member]:
                if target not in component:
                    digest.update(f"{target}={hashes[target]}\0".encode("utf-8", "surrogateescape"))
        shared = digest.hexdigest()[:HASH_LENGTH]
        for member in component:
            hashes[member] = shared
        for member in component:
            plan.contents[member] = _render(documents[member], hashes)
    plan.hashes = {name: hashes[name] for name in ordered}
    plan.names = {name: hashed_name(name, hashes[name]) for name in ordered}
    for name in sorted(set(keep_names) - name_set):
        kind = kind_of(name)
        if kind is None:
            continue
        document, _ = _document(root, name, kind, name_set)  # what it cannot resolve stays
        content = _render(document, hashes)
        if content != document.data:
            plan.in_place[name] = content
    return plan


def strongly_connected(nodes: Sequence[str], edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively: components with every dependency listed first."""
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in nodes:
        if start in index_of:
            continue
        work: list[tuple[str, int]] = [(start, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index_of[node] = low[node] = len(index_of)
                stack.append(node)
                on_stack.add(node)
            successors = edges.get(node, [])
            if position < len(successors):
                work.append((node, position + 1))
                successor = successors[position]
                if successor not in index_of:
                    work.append((successor, 0))
                elif successor in on_stack:
                    low[node] = min(low[node], index_of[successor])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index_of[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def write_hashed(root: str, plan: HashPlan, source: str | None = None) -> list[str]:
    """Write every hashed file of ``plan``; return the names actually written.

    A hashed file that already exists with the expected size is left alone (its name is
    its content), which keeps re-runs cheap and the file's mtime stable. Each write goes
    through a temporary file, so a failure never leaves a truncated hashed file. Files are
    read from ``source`` (default ``root``, as ``plan_hashes``); a copied file is checked
    against its hash as it is copied, so one that changed since it was hashed fails the
    build rather than be served under a name that is not its content.
    """
    source = root if source is None else source
    written: list[str] = []
    folders: set[str] = set()
    for name, target in plan.names.items():
        if name in plan.reused:
            continue  # the last build's output, still in place (``state.reusable``)
        source_path = os.path.join(source, *name.split("/"))
        target_path = os.path.join(root, *target.split("/"))
        folder = os.path.dirname(target_path)
        if folder not in folders:
            os.makedirs(folder, exist_ok=True)
            folders.add(folder)
        info = os.stat(source_path)
        content = plan.contents.get(name)
        expected = len(content) if content is not None else info.st_size
        with contextlib.suppress(FileNotFoundError):
            if os.stat(target_path).st_size == expected:
                continue
        if content is not None:
            write_atomic(target_path, content, mtime_ns=info.st_mtime_ns, mode=info.st_mode)
        else:
            copy_verified(source_path, target_path, plan.hashes[name])
        written.append(target)
    for name, content in plan.in_place.items():
        path = os.path.join(root, *name.split("/"))
        info = os.stat(path)
        write_atomic(path, content, mtime_ns=info.st_mtime_ns, mode=info.st_mode)
        written.append(name)
    return written


def copy_verified(source: str, target: str, expected: str) -> None:
    """Copy ``source`` to ``target`` atomically (mode and mtime too) if its content still
    has the :func:`short_hash` ``expected``; else raise ``OSError`` and write nothing."""
    with open(source, "rb") as reader, replacing(target) as (descriptor, temporary):
        info = os.fstat(reader.fileno())
        _check(_copy_into(reader, descriptor), expected, source)
        os.chmod(temporary, info.st_mode & 0o7777)
        os.utime(temporary, ns=(info.st_atime_ns, info.st_mtime_ns))


def _copy_into(reader: BinaryIO, descriptor: int) -> str:
    """Copy ``reader`` to the open ``descriptor`` (closed after); the :func:`short_hash`."""
    digest = hashlib.md5(usedforsecurity=False)
    with os.fdopen(descriptor, "wb") as writer:
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
            writer.write(chunk)
    return digest.hexdigest()[:HASH_LENGTH]


def _check(found: str, expected: str, source: str) -> None:
    if found != expected:
        raise OSError(errno.ESTALE, "changed while the build read it (run it again)", source)


def copy_atomic(source: str, target: str) -> None:
    """``shutil.copy2`` through a temporary file and a rename (no partial target)."""
    with replacing(target) as (descriptor, temporary):
        os.close(descriptor)
        shutil.copy2(source, temporary)
