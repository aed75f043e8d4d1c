"""benchmarks/checkcost.py's ``ours-unchecked``: servestatic with the held-descriptor check
replaced by ``True``. Found first on the server's path, imported at interpreter start.

An experiment that measures what the check costs, never a way to run servestatic: without
the check, a file rewritten in place can send new bytes under its old headers.
"""

from servestatic.serve import files

files._still_named = lambda held, path: True
