"""Watching instead of walking (issue 16 item 4): filesystem events keep the index current.

One daemon thread per engine waits for the events of every root (watchfiles: inotify,
FSEvents, kqueue, or polling) and hands the changed paths to
:meth:`~servestatic.serve.engine.Engine.apply_changes`, which re-indexes them with the start-up
code path. Requests never touch the filesystem for this: they read the table, in which
each URL's entry is replaced by one assignment.

What can go wrong is logged and the last index keeps being served: a root that is
removed (watching resumes, with a full rescan, when it is back), a root replaced by
another directory (a symlink switched to a new release: rescanned), the inotify watch
limit reached (``ENOSPC``: the watcher falls back to polling), an unexpected error in a
batch (the next events are applied as usual).
"""

from __future__ import annotations

import atexit
import errno
import importlib.util
import logging
import os
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from servestatic.serve.engine import Engine

__all__ = ["BATCH", "Watcher", "missing_extra", "stop_on_shutdown"]

log = logging.getLogger("servestatic")

#: Paths re-indexed per call of ``apply_changes``: a ``git checkout`` of 10,000 files is
#: applied in steps, each short, so requests interleave with the update.
BATCH = 500
#: Once a change is seen, events are gathered until none came for STEP_MS (a single
#: save is applied within tens of milliseconds), and for DEBOUNCE_MS at most (a burst is
#: applied in pieces instead of after it ends).
STEP_MS = 20
DEBOUNCE_MS = 200
#: How often the thread wakes without events: to notice a root removed or replaced, and
#: an engine that was garbage-collected (its watcher then ends).
TICK_MS = 500
#: Delay before trying again after an error (a root missing, a watcher that failed).
RETRY_SECONDS = 1.0
#: Polling interval after the inotify limit was reached.
POLL_MS = 300


def missing_extra() -> str | None:
    """Why ``watch = true`` cannot work here (watchfiles not installed), or None."""
    if importlib.util.find_spec("watchfiles") is None:
        return "needs the watchfiles package: pip install 'servestatic[watch]'"
    return None


def _identity(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def _limit_reached(error: Exception) -> bool:
    """The inotify watch (or instance) limit: ``ENOSPC`` / ``EMFILE`` from the kernel,
    which watchfiles reports as ``OSError("OS file watch limit reached...")``."""
    if not isinstance(error, OSError):
        return False
    return error.errno in {errno.ENOSPC, errno.EMFILE} or "limit" in str(error).lower()


class Watcher:
    """The thread keeping one engine's index current (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        # A weak reference: an engine nobody uses any more is collected and its watcher
        # ends, instead of the thread keeping it (and an inotify instance) alive.
        self._engine = weakref.ref(engine)
        self._stop = threading.Event()
        #: Set once every existing root is watched (tests and benchmarks wait for it).
        self.ready = threading.Event()
        #: Batches applied, and the URLs they looked at (for tests and benchmarks).
        self.batches = 0
        self.applied = 0
        self.polling = False
        #: The longest ``apply_changes`` call so far, in seconds (benchmarks).
        self.longest = 0.0
        self.pid = os.getpid()
        self._thread: threading.Thread | None = None
        _LIVE.add(self)

    @classmethod
    def start(cls, engine: Engine) -> Watcher:
        watcher = cls(engine)
        watcher._launch(resync=False)
        return watcher

    def _launch(self, *, resync: bool) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(resync,), name="servestatic-watch", daemon=True
        )
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching (lifespan shutdown, interpreter exit, tests); idempotent."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def after_fork(self) -> None:
        """In a forked child (gunicorn ``--preload``): the parent's thread did not survive
        the fork, and its locks may be held; start this process's own watcher, which
        rescans first (events of the parent's last batch may be half applied here)."""
        if self.pid == os.getpid() or self._stop.is_set():
            return
        self.pid = os.getpid()
        self._stop = threading.Event()
        self.ready = threading.Event()
        self._launch(resync=True)

    # ------------------------------------------------------------------ the thread

    def _run(self, resync: bool) -> None:
        while not self._stop.is_set():
            engine = self._engine()
            if engine is None:
                return
            roots = list(dict.fromkeys(root for root, _ in engine.roots))
            del engine
            watched = {root: _identity(root) for root in roots}
            present = [root for root, identity in watched.items() if identity is not None]
            if not present:
                self._stop.wait(RETRY_SECONDS)
                continue
            try:
                notify = self._notify(present)
            except Exception as error:
                if _limit_reached(error):
                    log.error(  # noqa: TRY400 - one line, the cause in it: not a crash
                        "servestatic watch: the inotify watch limit is reached (%s); polling "
                        "every %d ms instead. Raise fs.inotify.max_user_watches to watch "
                        "with events again.",
                        error,
                        POLL_MS,
                    )
                    self.polling = True
                    continue
                log.error(  # noqa: TRY400 - one line, the cause in it: not a crash
                    "servestatic watch: cannot watch %s: %s", ", ".join(present), error
                )
                self._stop.wait(RETRY_SECONDS)
                continue
            try:
                with notify:
                    if resync:
                        self._apply(present, resync=True)
                    self.ready.set()
                    resync = self._loop(notify, watched)
            except Exception as error:
                log.error(  # noqa: TRY400 - one line, the cause in it: not a crash
                    "servestatic watch: watching stopped (%s); starting again", error
                )
                resync = True
                self._stop.wait(RETRY_SECONDS)

    def _notify(self, roots: list[str]) -> Any:
        from watchfiles._rust_notify import RustNotify  # noqa: PLC0415 - the optional extra

        return RustNotify(roots, False, self.polling, POLL_MS, True, True)

    def _loop(self, notify: Any, watched: dict[str, tuple[int, int] | None]) -> bool:
        """Apply events until stopped or a root changes; True: rescan after re-watching."""
        while not self._stop.is_set():
            changes = notify.watch(DEBOUNCE_MS, STEP_MS, TICK_MS, self._stop)
            if isinstance(changes, set):
                self._apply(sorted({path for _, path in changes}), resync=False)
            engine = self._engine()
            if engine is None:
                self._stop.set()
                return False
            if {root for root, _ in engine.roots} != watched.keys():
                return True  # a root added after start-up (add_files()): watch it too
            del engine
            for root, identity in watched.items():
                now = _identity(root)
                if now == identity:
                    continue
                if now is None:
                    log.warning(
                        "servestatic watch: root %s was removed; serving the last index until "
                        "it is back",
                        root,
                    )
                else:
                    log.warning(
                        "servestatic watch: root %s is another directory now (a new release "
                        "switched in?); indexing it again",
                        root,
                    )
                return True
        return False

    def _apply(self, paths: list[str], *, resync: bool) -> None:
        for start in range(0, len(paths), BATCH):
            engine = self._engine()
            if engine is None or self._stop.is_set():
                return
            began = time.perf_counter()
            try:
                self.applied += engine.apply_changes(paths[start : start + BATCH], resync=resync)
            except Exception:
                log.exception("servestatic watch: re-indexing %d path(s) failed", len(paths))
            self.batches += 1
            self.longest = max(self.longest, time.perf_counter() - began)
            del engine
            # Let request threads run between two batches of a burst.
            time.sleep(0)


#: Every watcher of this process (weakly: an engine's watcher goes with the engine).
_LIVE: weakref.WeakSet[Watcher] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for watcher in list(_LIVE):
        watcher.after_fork()


def _stop_all() -> None:
    for watcher in list(_LIVE):
        watcher.stop(timeout=1.0)


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_stop_all)


Receive = Callable[[], Awaitable[dict[str, Any]]]


def stop_on_shutdown(receive: Receive, watcher: Watcher) -> Receive:
    """An ASGI ``receive`` that stops ``watcher`` when the lifespan shutdown arrives."""

    async def receiving() -> dict[str, Any]:
        message = await receive()
        if message.get("type") == "lifespan.shutdown":
            watcher.stop(timeout=0)
        return message

    return receiving
