"""``servestatic diff OLD NEW``: the URLs a CDN must purge after a deploy (issue 16 item 2).

OLD and NEW are each a manifest (``staticfiles.json`` with servestatic's ``files`` listing,
written by the build or the Django storage) or a folder (its ``staticfiles.json`` if it has
one with a listing, else every file in it, hashed). A URL is listed when its bytes differ
(changed, added or removed) and the server does not mark it ``immutable``: a hashed URL
never changes its bytes, so a CDN never needs to purge it. An index file is listed under
its folder's URL as well (``/docs/`` and ``/docs/index.html``): a CDN caches both.

Exit status 0 (also when nothing changed), 1 a side cannot be read, 2 usage error.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from servestatic.build.compress import is_internal, is_variant_of, walk_files
from servestatic.build.manifest import MANIFEST_NAME
from servestatic.cli._common import CliError, CommandFailedError, parser, run
from servestatic.config import ConfigError, load_settings
from servestatic.config import Settings as SettingsModel
from servestatic.serve.engine import immutable_test_from
from servestatic.serve.rules import BaseHeaders, compile_rules

__all__ = ["main"]

_ERROR = "servestatic diff: error:"
_CHUNK = 1 << 16


class _SideError(Exception):
    """OLD or NEW cannot be read (one line, naming the path)."""


def _parser() -> argparse.ArgumentParser:
    arguments = parser(
        "diff",
        "Print the URLs whose bytes differ between two builds and that are not "
        "immutable (one per line): the list to purge from a CDN after deploying NEW.",
    )
    arguments.add_argument("old", help="the build being replaced: a staticfiles.json or a folder")
    arguments.add_argument("new", help="the build being deployed: a staticfiles.json or a folder")
    arguments.add_argument("--json", action="store_true", help="print a JSON report")
    arguments.add_argument(
        "--prefix", default=None, help="URL prefix the files are served at (default: the config's)"
    )
    arguments.add_argument(
        "--base-url",
        default="",
        metavar="URL",
        help="put this before each URL (https://www.example.com), for purge APIs that want "
        "absolute URLs",
    )
    arguments.add_argument(
        "--config", default=None, metavar="FILE", help="read prefix, rules and index_file here"
    )
    return arguments


def _digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _without_variants(files: dict[str, str]) -> dict[str, str]:
    """Precompressed siblings are representations of their file's URL, not URLs."""
    return {name: digest for name, digest in files.items() if not is_variant_of(name, files)}


def _from_manifest(path: str) -> dict[str, str] | None:
    """name → sha256 from a manifest's ``files``; None when it has no such listing."""
    try:
        with open(path, "rb") as handle:
            document = json.load(handle)
    except OSError as error:
        raise _SideError(f"{path}: cannot read ({error.strerror})") from None
    except ValueError as error:
        raise _SideError(f"{path}: not valid JSON ({error})") from None
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, dict):
        return None
    found = {}
    for name, record in files.items():
        digest = record.get("hash") if isinstance(record, dict) else None
        if isinstance(name, str) and isinstance(digest, str):
            found[name] = digest
    return _without_variants(found)


def _load(path: str) -> dict[str, str]:
    if os.path.isfile(path):
        files = _from_manifest(path)
        if files is None:
            raise _SideError(
                f"{path}: no 'files' listing (written by `servestatic SRC DEST --manifest` or "
                "the servestatic Django storage); give the folder instead"
            )
        return files
    if not os.path.isdir(path):
        raise _SideError(f"{path}: no such file or folder")
    manifest = os.path.join(path, MANIFEST_NAME)
    if os.path.isfile(manifest) and (files := _from_manifest(manifest)) is not None:
        return files
    try:
        names = [
            name
            for name in walk_files(path)
            if not is_internal(name) and not any(p.startswith(".") for p in name.split("/"))
        ]
        return _without_variants({name: _digest(os.path.join(path, name)) for name in names})
    except OSError as error:
        raise _SideError(f"{error.filename or path}: {error.strerror or error}") from None


def purge_list(
    old: dict[str, str], new: dict[str, str], settings: SettingsModel, prefix: str
) -> list[dict[str, Any]]:
    """``[{"url", "name", "change"}]`` sorted by URL, immutable URLs left out."""
    immutable = immutable_test_from(settings.immutable_file_test)
    rules = compile_rules(settings.rules)
    index = settings.effective_index_file
    mutable = f"max-age={settings.max_age}, public" if settings.max_age is not None else None
    entries: list[dict[str, Any]] = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) == new.get(name):
            continue
        change = "added" if name not in old else "removed" if name not in new else "changed"
        url = prefix + name
        urls = [url]
        if index is not None and (name == index or name.endswith("/" + index)):
            urls.insert(0, url[: -len(index)])  # the folder's URL, which a CDN caches too
        base = BaseHeaders(
            media_type="application/octet-stream",
            charset=None,
            cache_control=(
                "max-age=315360000, public, immutable" if immutable(name, urls[0]) else mutable
            ),
            mutable_cache_control=mutable,
        )
        policy = rules.fold(base, urls, os.path.basename(name))
        cache_control = next(
            (value for key, value in policy.headers if key.lower() == "cache-control"), ""
        )
        if policy.deny or "immutable" in cache_control.lower():
            continue
        entries.extend({"url": each, "name": name, "change": change} for each in urls)
    return sorted(entries, key=lambda entry: entry["url"])


def main(argv: Sequence[str], command: str | None = None) -> int:
    del command
    return run(_main, argv)


def _main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    if args.config is not None and not os.path.isfile(args.config):
        raise CliError(f"{_ERROR} --config {args.config!r}: no such file")
    try:
        settings = load_settings(config_file=args.config).settings
    except ConfigError as error:
        raise CliError("\n".join(f"{_ERROR} {line}" for line in str(error).splitlines())) from None
    prefix = args.prefix if args.prefix is not None else settings.prefix or "/"
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    try:
        old, new = _load(args.old), _load(args.new)
    except _SideError as error:
        raise CommandFailedError(f"{_ERROR} {error}") from None
    entries = purge_list(old, new, settings, prefix)
    base_url = args.base_url.rstrip("/")
    for entry in entries:
        # Percent-encoded (RFC 3986): what a purge API, or a PURGE request line, takes.
        entry["url"] = base_url + quote(entry["url"], safe="/:@!$&'()*+,;=-._~")
    if args.json:
        print(json.dumps({"urls": entries}, indent=2, ensure_ascii=False))
    else:
        for entry in entries:
            print(entry["url"])
    return 0
