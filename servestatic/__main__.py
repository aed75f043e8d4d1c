"""``python -m servestatic`` is the ``servestatic`` command."""

from servestatic.cli import entry_point

entry_point()
