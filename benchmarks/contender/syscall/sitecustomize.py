"""benchmarks/checkcost.py's ``ours-syscall``: servestatic with the held-descriptor check
replaced by one bare system call, ``getppid``. Found first on the server's path, imported at
interpreter start.

``os.getppid`` enters the kernel like ``os.fstat`` but keeps the GIL and builds no
``os.stat_result`` (about twenty Python objects): beside ``ours-unchecked`` it shows what a
system call alone costs under the server, so the rest of the check's cost is the
``fstat`` call's own Python work. An experiment only, never a way to run servestatic: it
checks nothing.
"""

import os

from servestatic.serve import files

_getppid = os.getppid
files._still_named = lambda held, path: _getppid() > 0
