"""Whether any configuration source is there, decided without the settings model.

:func:`~servestatic.config.load_settings` reads, highest first: code, adapters' sources,
``SERVESTATIC_*`` variables, the file of ``SERVESTATIC_CONFIG`` (or ``--config``),
``./servestatic.toml`` and ``[tool.servestatic]`` in ``./pyproject.toml``. When none of
them is there, the settings are the model's defaults, and a caller that only needs a few
of those defaults (the build CLI: ``[compression]``) can skip importing pydantic, a
third of a small build's time (issue 19 item 5). The names live here so that the loader
and this check cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "CONFIG_ENV",
    "ENV_PREFIX",
    "LOCAL_FILE",
    "PYPROJECT_FILE",
    "PYPROJECT_TABLE",
    "has_sources",
]

#: Every setting's variable starts with this (any case: ``_EnvironmentSource``).
ENV_PREFIX = "SERVESTATIC_"
#: The variable naming a configuration file (what ``--config`` replaces).
CONFIG_ENV = "SERVESTATIC_CONFIG"
#: Looked up in the working directory.
LOCAL_FILE = "servestatic.toml"
PYPROJECT_FILE = "pyproject.toml"
PYPROJECT_TABLE = ("tool", "servestatic")


def has_sources(environ: Mapping[str, str], cwd: Path, config_file: object = None) -> bool:
    """True when ``load_settings(environ=environ, cwd=cwd, config_file=config_file)``
    would read a value or report a problem from some source; False when it would return
    the model's defaults and nothing else.

    Errs towards True: any ``SERVESTATIC_*`` variable counts (even one the loader ignores,
    such as a Kubernetes service variable), and so does a ``pyproject.toml`` that cannot
    be read or parsed (the loader reports that problem, so the caller must load).
    """
    if config_file is not None:
        return True
    if any(name.upper().startswith(ENV_PREFIX) for name in environ):
        return True
    if (cwd / LOCAL_FILE).is_file():
        return True
    pyproject = cwd / PYPROJECT_FILE
    if not pyproject.is_file():
        return False
    import tomllib  # noqa: PLC0415 - only when there is a pyproject.toml to look into

    try:
        with pyproject.open("rb") as handle:
            document: object = tomllib.load(handle)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
    for key in PYPROJECT_TABLE:
        if not isinstance(document, dict) or key not in document:
            return False  # no table: the loader skips the file silently
        document = document[key]
    return True
