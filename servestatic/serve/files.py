"""Blocking file access shared by both adapters (ASGI runs these in a worker thread).

A representation is opened and checked against what the index recorded: a file that was
deleted, truncated or replaced since start-up raises :class:`StaleFile` *before* any header
is sent, so the adapter can rebuild the entry and answer consistently.

Whatever is sent is the file that was checked (issue 13): the file is opened once, without
following a final symlink, and *that descriptor* is checked (``fstat``): a regular file
with the indexed size, modification time, inode and device. Where the inode is not known
(a manifest listing, or a file described by path after start-up, which a component swapped
for a link can race), the real path of the open descriptor must satisfy the file's
:class:`~servestatic.http.records.Confinement` first (``/proc/self/fd`` on Linux; elsewhere the
path is resolved, checked and opened one component at a time without following links).
Bodies are then sent from that descriptor only; ``http.response.pathsend`` gets a path that
names it (:class:`HandedFiles`).
"""

from __future__ import annotations

import errno
import os
import stat
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from servestatic.errors import ServeStaticError
from servestatic.http.records import Confinement, FileEntry, Plan, Representation
from servestatic.serve.budget import Lease

__all__ = [
    "CACHE_STATUS_HIT",
    "HOLD_SECONDS",
    "BoundedFile",
    "CachedFile",
    "FileChangedError",
    "HandedFiles",
    "HandedPath",
    "HeldDescriptors",
    "MemoryCache",
    "Parts",
    "Spans",
    "StaleFile",
    "open_representation",
    "read_block",
    "read_bytes",
    "read_span",
    "stable_plan",
]


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
# O_NONBLOCK: a FIFO swapped in is opened without waiting for a writer (fstat refuses it).
_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
    | _CLOEXEC
)
#: errno of an ``O_NOFOLLOW`` open whose last component is a symlink (Linux: ELOOP;
#: FreeBSD: EMLINK).
_LINK_ERRNOS = frozenset({errno.ELOOP, errno.EMLINK})
_PROC_FD = "/proc/self/fd/"


class StaleFile(ServeStaticError):  # noqa: N818 - a condition, not an error the user handles
    """The file on disk no longer matches the index (changed, deleted or unreadable)."""


class FileChangedError(ServeStaticError, OSError):
    """The file changed while its body was being sent: the response cannot be completed.

    Raised after the headers went out, so the server must drop the connection; a client
    then sees a short body instead of silently wrong bytes.
    """


_proc_state: list[bool] = []


def _proc_fd() -> bool:
    """Does ``/proc/self/fd/N`` name what descriptor N is open on (Linux)? Checked once."""
    if not _proc_state:
        try:
            descriptor = os.open(os.sep, os.O_RDONLY | _CLOEXEC)
            try:
                works = os.readlink(f"{_PROC_FD}{descriptor}") == os.sep
            finally:
                os.close(descriptor)
        except OSError:
            works = False
        _proc_state.append(works)
    return _proc_state[0]


#: Configured root → its real path, resolved again when a path does not fit (a ``current``
#: link switched to a new release moves the root without a restart).
_real_roots: dict[str, str] = {}


def _within(real_root: str, real_path: str) -> bool:
    # Both are real paths: a prefix ending in a separator is containment ("/srv/static_x"
    # is not inside "/srv/static"), as with os.path.commonpath but without its cost.
    return real_path.startswith(real_root.rstrip(os.sep) + os.sep)


def _confined(confinement: Confinement, real_path: str) -> bool:
    """Does the real path of an opened file satisfy the policy it was found under?"""
    root = confinement.root
    real_root = _real_roots.get(root)
    if real_root is None or not _within(real_root, real_path):
        fresh = os.path.realpath(root)
        if fresh != real_root:
            if len(_real_roots) >= 1024:  # pragma: no cover - roots are a handful
                _real_roots.clear()
            _real_roots[root] = fresh
        if not _within(fresh, real_path):
            return confinement.also is not None and confinement.also(real_path)
    return True


def _open_path(path: str) -> int:
    """Open a file without letting the kernel follow a final symlink.

    A final symlink the index accepted (a link to another file inside the root) is resolved
    by name and its target opened, again without following: what is opened is then checked
    by identity or confinement like any file.
    """
    try:
        return os.open(path, _FLAGS | _NOFOLLOW)
    except OSError as error:
        if error.errno not in _LINK_ERRNOS:
            raise StaleFile(path) from error
    try:
        return os.open(os.path.realpath(path, strict=True), _FLAGS | _NOFOLLOW)
    except OSError as error:
        raise StaleFile(path) from error


def _open_beneath(representation: Representation, confinement: Confinement) -> int:
    """Without ``/proc``: resolve the path, check the confinement on that real path, then
    open it one component at a time with ``O_NOFOLLOW``. A component swapped for a link
    after the check makes the open fail, so what is opened is at the checked real path."""
    path = representation.path
    try:
        real = os.path.realpath(path, strict=True)
    except OSError as error:
        raise StaleFile(path) from error
    if not _confined(confinement, real):
        raise StaleFile(path)
    try:
        return _open_components(real)
    except OSError as error:
        raise StaleFile(path) from error


def _open_components(real: str) -> int:
    if os.open not in os.supports_dir_fd:  # pragma: no cover - Windows: no dir_fd, no links
        return os.open(real, _FLAGS)
    *directories, name = real.split(os.sep)
    directory = os.open(os.sep, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for part in directories:
            if part:
                following = os.open(
                    part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=directory
                )
                os.close(directory)
                directory = following
        return os.open(name, _FLAGS | _NOFOLLOW, dir_fd=directory)
    finally:
        os.close(directory)


def _open_checked(representation: Representation) -> int:
    """A descriptor on the indexed file, or StaleFile (see the module docstring)."""
    confinement = representation.confinement if representation.derived.inode == 0 else None
    proc = confinement is not None and _proc_fd()
    if confinement is not None and not proc:
        descriptor = _open_beneath(representation, confinement)
        confinement = None  # checked on the real path it was opened at
    else:
        descriptor = _open_path(representation.path)
    try:
        _check_descriptor(representation, descriptor, confinement)
    except BaseException as error:
        os.close(descriptor)
        if isinstance(error, OSError):
            raise StaleFile(representation.path) from error
        raise
    return descriptor


def _check_descriptor(
    representation: Representation, descriptor: int, confinement: Confinement | None
) -> None:
    """Raise StaleFile unless ``descriptor`` is the indexed file (and, for a file whose
    identity is not known yet, really inside ``confinement``); then record its identity."""
    info = os.fstat(descriptor)
    if not _is_current(representation, info):
        raise StaleFile(representation.path)
    if representation.derived.inode:
        return
    if confinement is not None and not _confined(
        confinement, os.readlink(f"{_PROC_FD}{descriptor}")
    ):
        raise StaleFile(representation.path)
    # Learned from a descriptor that passed the checks: a later swap for another file of
    # the same size and mtime is noticed by its inode. (Every thread that learns it has
    # checked what it opened: a benign race.)
    derived = representation.derived
    derived.inode, derived.device = info.st_ino, info.st_dev


def _is_current(representation: Representation, info: os.stat_result) -> bool:
    """Is ``info`` (an ``fstat`` of an opened file, or a ``stat`` of its path) still the
    indexed file? Size and modification time, and the inode and device once known: without
    them, a file swapped for a symlink to one of the same size and mtime outside the root
    would pass."""
    if (
        not stat.S_ISREG(info.st_mode)
        or info.st_size != representation.size
        or info.st_mtime_ns != representation.mtime_ns
    ):
        return False
    derived = representation.derived  # one attribute hop, not two property calls
    inode, device = derived.inode, derived.device
    return (not inode or inode == info.st_ino) and (not device or device == info.st_dev)


def open_representation(representation: Representation) -> BinaryIO:
    """Open a representation's file, checking it is still the file that was indexed.

    The file object's ``name`` is the path (Django and logs read it).
    """
    try:
        return open(
            representation.path, "rb", opener=lambda path, flags: _open_checked(representation)
        )
    except StaleFile:
        raise
    except OSError as error:
        raise StaleFile(representation.path) from error


class BoundedFile:
    """A file object that yields exactly ``length`` bytes: never more if the file grew
    (which would desynchronise HTTP framing), an error if it shrank. Keeps ``fileno`` so
    servers can still use sendfile (gunicorn bounds it by Content-Length).

    Servers without sendfile call ``read`` (through ``wsgi.file_wrapper``): each call takes
    its block from the streaming budget, releasing the previous one, which the server has
    written by the time it asks for more.
    """

    def __init__(self, handle: BinaryIO, length: int, lease: Lease) -> None:
        self.handle = handle
        self.length = length
        self.remaining = length
        self.lease = lease

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            self.lease.release()
            return b""
        wanted = self.remaining if size < 0 else min(size, self.remaining)
        # pread leaves the descriptor's offset at 0, where sendfile-capable servers that
        # take the descriptor instead start.
        data = read_block(self.handle, self.length - self.remaining, self.lease.take(wanted))
        self.remaining -= len(data)
        return data

    @property
    def name(self) -> str:
        return str(getattr(self.handle, "name", ""))

    @property
    def closed(self) -> bool:
        return self.handle.closed

    def fileno(self) -> int:
        return self.handle.fileno()

    def close(self) -> None:
        self.lease.close()
        self.handle.close()


def read_block(handle: BinaryIO, offset: int, length: int) -> bytes:
    """Exactly ``length`` bytes at ``offset`` (FileChangedError if the file shrank)."""
    data = os.pread(handle.fileno(), length, offset)
    if len(data) != length:
        raise FileChangedError(getattr(handle, "name", "?"))
    return data


#: (offset, length, bytes sent before the span) for each span of a body.
Parts = list[tuple[int, int, bytes]]


class Spans:
    """Iterate over spans of an open file with the part heads between them (a range or
    ``multipart/byteranges`` body); closes the file and gives back the budget when done or
    when closed.

    Each block is taken from the streaming budget when the server asks for it, which
    releases the previous block: a WSGI server asks for the next item once it has written
    the last one.
    """

    def __init__(self, handle: BinaryIO, parts: Parts, tail: bytes, lease: Lease) -> None:
        self.handle = handle
        self.parts = parts
        self.tail = tail
        self.lease = lease

    def __iter__(self) -> Iterator[bytes]:
        try:
            for offset, length, head in self.parts:
                if head:
                    yield head
                yield from read_span(self.handle, offset, length, self.lease)
            if self.tail:
                self.lease.release()
                yield self.tail
        finally:
            self.close()

    def close(self) -> None:
        self.lease.close()
        self.handle.close()


def read_span(handle: BinaryIO, offset: int, length: int, lease: Lease) -> Iterator[bytes]:
    """Yield ``length`` bytes from ``offset`` in blocks sized by ``lease``; never reads
    past the span.

    A file that shrank while being sent ends the iteration early with an error rather
    than sending fewer bytes than Content-Length promised.
    """
    position, end = offset, offset + length
    while position < end:
        size = lease.take(end - position)
        yield read_block(handle, position, size)
        position += size


def read_bytes(representation: Representation, offset: int, length: int) -> bytes:
    """Read one span of a representation (checked against the index) and close the file.

    Plain descriptors, not a buffered file object: for a small span the object's set-up
    costs more than the read. The request path reads through :class:`HeldDescriptors`.
    """
    descriptor = _open_checked(representation)
    try:
        data = os.pread(descriptor, length, offset)
    finally:
        os.close(descriptor)
    if len(data) != length:
        raise StaleFile(representation.path)
    return data


class _Descriptor:
    """A checked descriptor shared by readers, with the identity it was checked for.

    Closed only when the last reference to it goes (CPython frees it at once): the table
    drops its reference when it evicts or replaces the entry, and a reader holds one for
    the length of its ``pread``. Closing it any earlier would free its *number* while a
    reader may still use it, and the next ``open`` anywhere in the process (another file,
    a socket) could be given that number: the reader would then send another file's bytes.
    Only ``named_until`` changes after construction (see :func:`_still_named`).
    """

    __slots__ = ("descriptor", "device", "inode", "mtime_ns", "named_until", "size")

    def __init__(self, descriptor: int, info: os.stat_result) -> None:
        self.descriptor = descriptor
        self.size = info.st_size
        self.mtime_ns = info.st_mtime_ns
        self.inode = info.st_ino
        self.device = info.st_dev
        self.named_until = 0.0  # its name is looked up on the next request

    def __del__(self, _close: Callable[[int], None] = os.close) -> None:
        # os.close bound at definition: at interpreter exit the os module may be gone.
        # Nothing else ever closes this descriptor: an error here would be a bug to see.
        _close(self.descriptor)


#: How long a held descriptor's *name* is trusted after a ``stat`` found it leads to the
#: held file. Between two such checks, an ``fstat`` of the descriptor itself is enough.
NAME_CHECK_SECONDS = 1.0


def _still_named(held: _Descriptor | _Held, path: str) -> bool:
    """Is the held descriptor still the file indexed at ``path``? (OSError: the name leads
    nowhere now.)

    What is read must match the headers sent with it, built from the indexed size and
    time. The held file's own ``fstat`` (~1.4 µs, no path walk) answers that on every
    request: a file written in place shows a new size or time, and one deleted or replaced
    by a rename (as deploy tools do) has no link left. A ``stat`` of the name (~2.9 µs
    here) is needed only for a replacement that leaves the old file linked elsewhere (a
    hard link, a file moved aside first): then the old bytes, still matching their
    headers, are answered for at most :data:`NAME_CHECK_SECONDS`. File systems that
    report no links at all always get the ``stat``.
    """
    now = time.monotonic()
    if now < held.named_until:
        info = os.fstat(held.descriptor)
        return bool(
            info.st_nlink and info.st_mtime_ns == held.mtime_ns and info.st_size == held.size
        )
    info = os.stat(path)
    if (
        info.st_ino != held.inode
        or info.st_dev != held.device
        or info.st_mtime_ns != held.mtime_ns
        or info.st_size != held.size
    ):
        return False
    if info.st_nlink:
        held.named_until = now + NAME_CHECK_SECONDS
    return True


def _span_limit() -> int:
    """Half :func:`_default_limit`, 8 to 128 (a sixteenth of ``ulimit -n``): the other half
    is :class:`HandedFiles`'s."""
    return max(8, _default_limit() // 2)


class HeldDescriptors:
    """Small spans (ranges) of big files read from a descriptor held per file.

    A range of a big file used to cost an ``open``, an ``fstat`` and a ``close`` per request
    (~5 µs of system calls around one ~1 µs ``pread``). The first range request of a file
    opens and checks it as :func:`read_bytes` does (:func:`_open_checked`); every read is
    then checked *after* it is made (:func:`_still_named`): the held file's own size,
    time and links each time, whether its name still leads to it at most once a second. A
    file changed, replaced or deleted since is noticed as before (:class:`StaleFile`), and
    what is read always matches the headers sent with it.

    At most ``limit`` files are held (first in, first out: a site ranges a handful of big
    files at once), so the process's descriptors are never exhausted by this table. Not a
    setting: the default follows the descriptor limit (``ulimit -n``), which is what a user
    would tune. Readers need no lock (``dict.get``; ``pread`` has no shared offset); the
    table is changed under one. See :class:`_Descriptor` for why nothing is closed early.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = _span_limit() if limit is None else limit
        self._held: dict[str, _Descriptor] = {}
        self._lock = threading.Lock()

    @property
    def open_count(self) -> int:
        return len(self._held)

    def read(self, representation: Representation, offset: int, length: int) -> bytes:
        """``length`` bytes at ``offset`` of the indexed file, or :class:`StaleFile`."""
        path = representation.path
        held = self._held.get(path)
        derived = representation.derived
        if (
            held is None
            or held.size != representation.size
            or held.mtime_ns != representation.mtime_ns
            or (derived.inode and derived.inode != held.inode)
        ):
            held = self._open(representation)
        # ``held`` is referenced here until the read is done: see _Descriptor.
        data = os.pread(held.descriptor, length, offset)
        # Checked *after* the read. A write the read could have seen changed the file's
        # modification time or size first (the kernel updates them before the bytes), so
        # it is seen here; a check before the read would miss one landing in between.
        try:
            current = _still_named(held, path)
        except OSError as error:
            self._drop(path, held)
            raise StaleFile(path) from error
        if not current:
            self._drop(path, held)
            if derived.inode:
                # The entry knows its file's inode: it is out of date (a new deploy, a
                # link swapped in). Rebuild it, as a failed open would.
                raise StaleFile(path)
            # Described by path only: the name may lead to a newer file of the same size
            # and mtime (autorefresh); open it and check it as on a first request.
            held = self._open(representation)
            data = os.pread(held.descriptor, length, offset)
        if len(data) != length:
            self._drop(path, held)
            raise StaleFile(path)
        return data

    def _open(self, representation: Representation) -> _Descriptor:
        descriptor = _open_checked(representation)
        try:
            held = _Descriptor(descriptor, os.fstat(descriptor))
        except OSError as error:  # pragma: no cover - fstat of a descriptor just checked
            os.close(descriptor)
            raise StaleFile(representation.path) from error
        path = representation.path
        with self._lock:
            held_files = self._held
            if path not in held_files and len(held_files) >= self.limit:
                # The oldest entry: dictionaries keep insertion order.
                del held_files[next(iter(held_files))]
            held_files[path] = held
        return held

    def _drop(self, path: str, held: _Descriptor) -> None:
        """Forget ``held`` if it is still the table's entry for ``path`` (another thread may
        have replaced it already)."""
        with self._lock:
            if self._held.get(path) is held:
                del self._held[path]


#: RFC 9211: this cache (the process's memory cache) answered the request.
CACHE_STATUS_HIT = ("Cache-Status", "servestatic; hit")


#: At most this many (URL, Accept-Encoding) answers in the plain-GET table
#: (:attr:`MemoryCache.answers`): a site's hot files times the few values browsers send.
MAX_PLAIN_ANSWERS = 16384
#: Longer Accept-Encoding values are answered, not remembered (browsers send < 60 bytes).
MAX_KEPT_ACCEPT_ENCODING = 256


class CachedFile:
    """A small file's bytes in the :class:`MemoryCache`, with the identity they were read
    for and, once its whole-file 200 plan has been served, that answer ready to send.

    The answer is kept *in* the cache entry, on the same bytes object (the byte budget
    counts them once), so it leaves the cache with the bytes (:meth:`MemoryCache.forget`).
    Never changed after construction: the cache replaces an entry to add an answer."""

    __slots__ = ("answer", "data", "mtime_ns", "plan", "size")

    def __init__(
        self,
        mtime_ns: int,
        size: int,
        data: bytes,
        plan: Plan | None = None,
        answer: Plan | None = None,
    ) -> None:
        self.mtime_ns = mtime_ns
        self.size = size
        self.data = data
        #: The plan ``answer`` answers (compared by identity), or None.
        self.plan = plan
        #: ``plan`` with the bytes as its body (and ``Cache-Status`` where configured).
        self.answer = answer


def stable_plan(plan: Plan, representation: Representation) -> bool:
    """Whether ``plan`` is the representation's own whole-file 200 (``Derived.plans.get``,
    made once): the only plan whose answer the memory cache keeps, as the same plan object
    comes back for every plain GET of the file. Per-request plans (CORS extras, ranges, a
    404 page) are never kept: they would never be asked for again."""
    plans = representation.derived.plans
    return plans is not None and plan is plans.get


class MemoryCache:
    """Small files, kept in memory after their first request; bounded in total size.

    Filled lazily (start-up stays fast and memory stays flat for files nobody asks for).
    Once the budget is used, further files are simply read from disk each time.

    ``files`` (path → :class:`CachedFile`) is read without the lock (one dictionary lookup;
    entries are replaced whole, never changed): a cached file's whole-file 200 is then one
    lookup and one identity test away (:meth:`servestatic.serve.engine.Engine.serve`).
    """

    def __init__(self, max_file_size: int, max_total_size: int, cache_status: bool = False) -> None:
        self.max_file_size = max_file_size
        self.max_total_size = max_total_size
        #: Add ``Cache-Status`` (RFC 9211) to the answers this cache gives.
        self.cache_status = cache_status
        self.used = 0
        # By path, with the mtime and size read: a changed file never matches its old bytes.
        self.files: dict[str, CachedFile] = {}
        #: The plain-GET table: (URL, Accept-Encoding value) → the file entry the answer was
        #: made for and the kept answer (see :meth:`remember`). Emptied whenever an item of
        #: ``files`` is replaced or dropped, so it only holds answers of items still there;
        #: read without the lock, like ``files``.
        self.answers: dict[tuple[str, str | None], tuple[FileEntry, Plan]] = {}
        self._lock = threading.Lock()

    def eligible(self, representation: Representation) -> bool:
        return representation.size <= self.max_file_size

    def get(self, representation: Representation) -> bytes | None:
        item = self.files.get(representation.path)
        if (
            item is None
            or item.mtime_ns != representation.mtime_ns
            or item.size != representation.size
        ):
            return None
        return item.data

    def answer(self, plan: Plan, representation: Representation) -> Plan | None:
        """The kept answer to ``plan`` (see :func:`stable_plan`), or None."""
        item = self.files.get(representation.path)
        return item.answer if item is not None and item.plan is plan else None

    def load(self, representation: Representation, plan: Plan | None = None) -> bytes:
        """Read a small file (raising :class:`StaleFile` if it changed) and keep it if room,
        with the answer to ``plan`` when it is the file's stable whole-file plan."""
        with open_representation(representation) as handle:
            data = handle.read(representation.size + 1)
        if len(data) != representation.size:
            raise StaleFile(representation.path)
        with self._lock:
            old = self.files.get(representation.path)
            room = self.used - (len(old.data) if old else 0) + len(data) <= self.max_total_size
            if room:
                self.files[representation.path] = self._entry(representation, data, plan)
                self.used += len(data) - (len(old.data) if old else 0)
                if old is not None:
                    self.answers.clear()  # some may be the replaced item's
        return data

    def keep_answer(self, representation: Representation, plan: Plan) -> None:
        """Add the answer to ``plan`` to the cached bytes of its file (cached before by a
        request for another plan, such as a range), if they are still the current ones."""
        with self._lock:
            item = self.files.get(representation.path)
            if (
                item is not None
                and item.plan is not plan
                and item.mtime_ns == representation.mtime_ns
                and item.size == representation.size
            ):
                self.files[representation.path] = self._entry(representation, item.data, plan)
                self.answers.clear()

    def _entry(self, representation: Representation, data: bytes, plan: Plan | None) -> CachedFile:
        if plan is None or not stable_plan(plan, representation):
            return CachedFile(representation.mtime_ns, representation.size, data)
        # Built for the hits: the request that loads the bytes is not one (no Cache-Status).
        extra = (*plan.extra, CACHE_STATUS_HIT) if self.cache_status else plan.extra
        answer = Plan(plan.status, plan.headers, extra, data)
        return CachedFile(representation.mtime_ns, representation.size, data, plan, answer)

    def forget(self, path: str) -> None:
        """Drop the cached bytes of a file (after it changed on disk), and its answer."""
        with self._lock:
            item = self.files.pop(path, None)
            if item is not None:
                self.used -= len(item.data)
                self.answers.clear()

    def remember(
        self,
        url: str,
        accept_encoding: str | None,
        entry: FileEntry,
        representation: Representation,
        item: CachedFile,
    ) -> None:
        """Keep ``item``'s answer for every plain GET of ``url`` with this
        ``Accept-Encoding`` value, while ``entry`` is the URL's entry and ``item`` is still
        the representation's cached bytes.

        A plain GET (:func:`servestatic.http.respond.is_plain`) of a file without per-origin
        CORS is answered from the file entry and the ``Accept-Encoding`` value alone, so
        the engine looks it up here before anything else. The header is the client's: the
        table is bounded (emptied when full), and long values are not kept."""
        answer = item.answer
        if answer is None or (
            accept_encoding is not None and len(accept_encoding) > MAX_KEPT_ACCEPT_ENCODING
        ):
            return
        with self._lock:
            if self.files.get(representation.path) is not item:
                return  # replaced meanwhile: a later request remembers the new one
            if len(self.answers) >= MAX_PLAIN_ANSWERS:
                self.answers.clear()
            self.answers[url, accept_encoding] = (entry, answer)


#: How long a descriptor named to the server by ``http.response.pathsend`` stays open after
#: it was last handed over. granian opens that path in a task of its own, after ``send()``
#: has returned (its ``src/asgi/io.rs``; measured: 70 of 300 opens came after ``send()``
#: returned, 2 ms later at the median and 43 ms at most under 50 concurrent clients).
#: Closed earlier, the descriptor's number could be given to another file that the server
#: would then send. Nothing tells the application when the server has opened the path, so
#: the bound is a time, far above any delay seen.
HOLD_SECONDS = 60.0


class HandedPath:
    """A whole file for ``http.response.pathsend``: a path naming a checked descriptor
    (``/proc/self/fd/N``), held open by :class:`HandedFiles`.

    A slotted class: one is made per held descriptor and handed over on every request for
    its file (no object built per request). Never changed after construction."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"HandedPath({self.path!r})"


@dataclass(slots=True)
class _Held:
    """A checked descriptor kept open for the server, with the identity it was checked for."""

    descriptor: int
    body: HandedPath  # /proc/self/fd/N: what the server opens
    size: int
    mtime_ns: int
    inode: int
    device: int
    handed: float  # time.monotonic() when last named to the server
    closed: bool = False
    named_until: float = 0.0  # see _still_named

    @property
    def name(self) -> str:
        return self.body.path

    def describes(self, representation: Representation) -> bool:
        derived = representation.derived
        inode, device = derived.inode, derived.device
        return (
            self.size == representation.size
            and self.mtime_ns == representation.mtime_ns
            and (not inode or inode == self.inode)
            and (not device or device == self.device)
        )


def _default_limit() -> int:
    """An eighth of the process's descriptor limit, at most 256: enough for the large files
    a site serves at once, far from starving the server of sockets."""
    try:
        import resource  # noqa: PLC0415 - POSIX only, and only needed with /proc

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):  # pragma: no cover - no resource module
        return 64
    if soft == resource.RLIM_INFINITY:  # pragma: no cover - unusual
        return 256
    return max(8, min(256, soft // 8))


def _close_all(held: dict[str, _Held], retiring: list[_Held]) -> None:
    for item in [*held.values(), *retiring]:
        if not item.closed:
            item.closed = True
            os.close(item.descriptor)
    held.clear()
    retiring.clear()


class HandedFiles:
    """Checked descriptors for ``http.response.pathsend``, named by ``/proc/self/fd/N``.

    The server re-opens that path, which is the checked file itself: a symlink swapped in
    at the file's name (or any directory above it) afterwards changes nothing. One
    descriptor per file, reused while it is still the file indexed at that name (checked
    as :class:`HeldDescriptors` checks its own: :func:`_still_named`), kept open at least
    :data:`HOLD_SECONDS` after it was last handed over and never more than ``limit`` at
    once. When there is no ``/proc`` (not Linux), or
    every descriptor is in use, :meth:`path` returns None and the caller sends the body
    from its own descriptor instead: never a path that was only checked by name.
    """

    def __init__(self, limit: int | None = None, hold: float = HOLD_SECONDS) -> None:
        self._limit = limit
        self.hold = hold
        self._held: dict[str, _Held] = {}
        self._retiring: list[_Held] = []  # replaced by a newer file: closed once idle
        self._lock = threading.Lock()
        weakref.finalize(self, _close_all, self._held, self._retiring)

    @property
    def limit(self) -> int:
        if self._limit is None:
            self._limit = _default_limit()
        return self._limit

    @property
    def open_count(self) -> int:
        """Descriptors open now (held and retiring)."""
        return len(self._held) + len(self._retiring)

    def path(self, representation: Representation) -> str | None:
        """A path naming a checked descriptor on the representation's file, or None (send
        the body another way). StaleFile if the file changed since it was indexed."""
        body = self.body(representation)
        return None if body is None else body.path

    def body(self, representation: Representation) -> HandedPath | None:
        """:meth:`path` as the body to send: the same object for every request while the
        descriptor is held."""
        held = self._held.get(representation.path)
        if held is None or not held.describes(representation):
            return self._hold(representation)
        # The held file must still be the one indexed at that name (_still_named). If not,
        # an entry that knows its file's inode is out of date (a new deploy, a deleted
        # file, a link swapped in): rebuild it, as an open would. One described by path
        # only (autorefresh, a rebuilt entry) may name a newer file of the same size and
        # mtime: open and check that.
        try:
            current = _still_named(held, representation.path)
        except OSError as error:
            if held.closed:
                # Evicted by another thread since the lookup: its number is not ours to
                # check any more (the lock below refuses it too). Hold the file anew.
                return self._hold(representation)
            raise StaleFile(representation.path) from error
        if not current:
            if representation.derived.inode:
                raise StaleFile(representation.path)
            return self._hold(representation)
        with self._lock:
            if not held.closed:
                held.handed = time.monotonic()
                return held.body
        return self._hold(representation)  # evicted by another thread meanwhile

    def _hold(self, representation: Representation) -> HandedPath | None:
        if not _proc_fd():
            return None  # nothing is ever held: every call comes here
        descriptor = _open_checked(representation)
        with self._lock:
            return self._hold_locked(representation, descriptor)

    def _hold_locked(self, representation: Representation, descriptor: int) -> HandedPath | None:
        now = time.monotonic()
        previous = self._held.pop(representation.path, None)
        if previous is not None:
            self._retiring.append(previous)
        self._expire(now)
        if self.open_count >= self.limit and not self._evict(now):
            os.close(descriptor)  # never named to anyone: safe to close at once
            return None
        info = os.fstat(descriptor)
        held = _Held(
            descriptor,
            HandedPath(f"{_PROC_FD}{descriptor}"),
            info.st_size,
            info.st_mtime_ns,
            info.st_ino,
            info.st_dev,
            now,
        )
        self._held[representation.path] = held
        return held.body

    def _expire(self, now: float) -> None:
        """Close replaced descriptors that have not been handed over for ``hold`` seconds."""
        if not self._retiring:
            return
        keep = []
        for item in self._retiring:
            if item.handed + self.hold <= now:
                item.closed = True
                os.close(item.descriptor)
            else:
                keep.append(item)
        self._retiring[:] = keep

    def _evict(self, now: float) -> bool:
        """Close the least recently handed descriptor if it has been idle for ``hold``."""
        if not self._held:
            return False
        path, item = min(self._held.items(), key=lambda pair: pair[1].handed)
        if item.handed + self.hold > now:
            return False
        del self._held[path]
        item.closed = True
        os.close(item.descriptor)
        return True
