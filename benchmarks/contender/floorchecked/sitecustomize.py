"""benchmarks/checkcost.py's ``trivial-checked``: the trivial application with servestatic's
per-read check added, an ``fstat`` of the descriptor after each ``pread``. Found first on
the server's path, imported at interpreter start.

The trivial application (``contender/floor.py``) reads a range with one ``os.pread`` from a
descriptor opened at start-up and looks it up as ``os.pread`` on every call, so replacing
the module attribute here reaches it. Beside the plain floor, it shows what the check costs
the server's floor itself, and so the most any shorter range path in servestatic (one that
keeps the check) could gain: ours ÷ this contender. An experiment, never a way to run
anything.
"""

import os

_pread = os.pread
_fstat = os.fstat


def _checked_pread(descriptor: int, length: int, offset: int) -> bytes:
    data = _pread(descriptor, length, offset)
    if not _fstat(descriptor).st_nlink:  # as servestatic's check: after the read
        raise OSError(f"descriptor {descriptor}: its file was deleted")
    return data


os.pread = _checked_pread
