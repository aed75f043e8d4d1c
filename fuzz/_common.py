"""Helpers shared by the fuzz targets: input splitting and the atheris entry point."""

from __future__ import annotations

import sys
from collections.abc import Callable

__all__ = ["fields", "run_atheris"]


def fields(data: bytes, count: int) -> list[str]:
    """Split fuzz input into ``count`` text fields on NUL bytes (missing ones are empty).

    Text is decoded as latin-1, as both adapters decode header values, so every byte
    sequence is a valid input and every header value a server can deliver is reachable.
    """
    parts = data.split(b"\x00", count - 1)
    parts.extend([b""] * (count - len(parts)))
    return [part.decode("latin-1") for part in parts]


def run_atheris(test_one_input: Callable[[bytes], None]) -> None:
    """Instrument everything imported so far (servestatic included) and fuzz."""
    import atheris  # noqa: PLC0415 - a development tool, imported only to fuzz

    atheris.instrument_all()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
