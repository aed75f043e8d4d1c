"""Start-up messages as a user sees them: the ``servestatic`` logger's warnings and the
Python warnings kept for ServeStatic compatibility (``No directory at: ...``)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager


class _Collect(logging.Handler):
    def __init__(self, into: list[str], level: int) -> None:
        super().__init__(level)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


@contextmanager
def startup_messages(level: int = logging.WARNING) -> Iterator[list[str]]:
    """Collect the start-up warnings (and, with ``level=INFO``, the start-up line)."""
    messages: list[str] = []
    logger = logging.getLogger("servestatic")
    handler = _Collect(messages, level)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(min(level, previous or logging.WARNING))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield messages
        messages.extend(str(warning.message) for warning in caught)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
