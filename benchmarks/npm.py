"""Real front-end packages from the npm registry, pinned, for the build benchmark (issue 19).

``python -m benchmarks.npm`` (run by ``benchmarks/setup.sh``) downloads each tarball of
:data:`PACKAGES` once, checks it against the registry's ``integrity`` (SHA-512) and
``shasum`` (SHA-1) recorded here, and unpacks its ``package/`` folder into
``benchmarks/.work/npm/<folder>/``. A package already unpacked from the same tarball is left
alone, so the script is idempotent; a stamp file beside it records what was unpacked (version,
integrity, files, bytes). Stdlib only: any Python 3.12+ runs it, no npm client needed.

The versions are pinned (not ``latest``) so that runs months apart build the same bytes.
To move a pin: read ``dist-tags.latest`` and ``versions[v].dist`` from
``https://registry.npmjs.org/<name>`` and update the row.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
NPM = HERE / ".work" / "npm"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity (Subresource Integrity form, SHA-512)
    shasum: str  # the registry's dist.shasum (SHA-1 hex)
    #: The CSS or JS file the rebuild benchmark changes (a package's main entry point).
    changed: str
    #: What the reference check follows: CSS entry points (fonts, images) or JS modules.
    checks: str

    @property
    def folder(self) -> str:
        """``@fortawesome/fontawesome-free`` → ``fortawesome-fontawesome-free``."""
        return self.name.lstrip("@").replace("/", "-")

    @property
    def tarball(self) -> str:
        base = self.name.rsplit("/", 1)[-1]
        return f"https://registry.npmjs.org/{self.name}/-/{base}-{self.version}.tgz"

    @property
    def root(self) -> Path:
        return NPM / self.folder

    @property
    def stamp_path(self) -> Path:
        # Beside the tree, not in it: the builders copy every file of the tree.
        return NPM / f"{self.folder}.json"


#: Pinned in 2026-12 from each package's ``dist-tags.latest``.
PACKAGES: tuple[Package, ...] = (
    Package(
        "katex",
        "0.19.1",
        "sha512-jG8uKntjSEcm2EpQOh0XturpPuuC9r3Sq5HLHdsFdWZT27E672SF19QEi+of0/YeOy15lDgRhKvr5614uRrEfA==",
        "ba2685811cdbffc54dfb7d55bd440c6cc6bb8795",
        "dist/katex.css",
        "CSS: dist/katex.css and katex.min.css reference the KaTeX_* fonts",
    ),
    Package(
        "@fortawesome/fontawesome-free",
        "7.3.1",
        "sha512-wmglKKPDIkgV3aWlZzWECCPoGIkYCulzBwxG9+w7rc5BGapZ6cPMpoPOT8k36J0Ni7PPX6c/rsoMWfS4d1MUMg==",
        "9d7d7df8f850637e001d24e6cd901422b4b09099",
        "css/all.css",
        "CSS: css/*.css reference webfonts/*.woff2",
    ),
    Package(
        "three",
        "0.187.0",
        "sha512-Qiu7R+Cmh8CstZsY1uJOSWnVlfo7ZtNLV7mF8Jltk3LB3AtDu9cRZlcnRKkAk8Y4z6KKw35z7Y7Urd7jWY8etA==",
        "face29ee2de9bcc31a1b573a76f224e35e0b2894",
        "build/three.module.js",
        "JS modules: relative import/export specifiers (build/*.js, examples/jsm/**)",
    ),
    Package(
        "pdfjs-dist",
        "6.5.438",
        "sha512-vg8Pw1x+AFKy4AMDvhuWl5cOYV8d698UoEANoFFhc79hqXDnZQqnOXoxw3HG907WHOg1JYOvLhP756boddFxpA==",
        "e7f8986ec4ea04057b5d9d2f0e5b63ea94d2303f",
        "web/pdf_viewer.css",
        "CSS (web/pdf_viewer.css → web/images) and JS modules (build/*.mjs, source maps)",
    ),
)
BY_NAME = {package.name: package for package in PACKAGES}


class FetchError(RuntimeError):
    """A download failed or did not match the pinned integrity."""


def verify(package: Package, data: bytes) -> None:
    """Raise :class:`FetchError` unless ``data`` is the pinned tarball."""
    algorithm, _, expected = package.integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise FetchError(f"{package.name}@{package.version}: integrity {algorithm}-{digest}")
    sha1 = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    if sha1 != package.shasum:
        raise FetchError(
            f"{package.name}@{package.version}: shasum {sha1}, pinned {package.shasum}"
        )


def stamp(package: Package) -> dict[str, object] | None:
    """What is unpacked for ``package``, or None if it is absent or another version."""
    try:
        record = json.loads(package.stamp_path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("integrity") != package.integrity:
        return None
    return record


def _download(url: str, attempts: int = 3) -> bytes:
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                data: bytes = response.read()
                return data
        except OSError as error:
            if attempt == attempts - 1:
                raise FetchError(f"{url}: {error}") from error
            time.sleep(2 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def fetch(package: Package) -> dict[str, object]:
    """Unpack ``package`` unless the same tarball already is; return its stamp."""
    existing = stamp(package)
    if existing is not None:
        return existing
    data = _download(package.tarball)
    verify(package, data)
    staging = package.root.with_name(package.folder + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        # "data": no absolute names, no links out, no device files (PEP 706).
        archive.extractall(staging, filter="data")
    inner = staging / "package"
    if not inner.is_dir():
        raise FetchError(f"{package.name}: tarball has no package/ folder")
    files = [path for path in inner.rglob("*") if path.is_file()]
    record: dict[str, object] = {
        "name": package.name,
        "version": package.version,
        "integrity": package.integrity,
        "shasum": package.shasum,
        "tarball": package.tarball,
        "tarball_bytes": len(data),
        "files": len(files),
        "bytes": sum(path.stat().st_size for path in files),
    }
    shutil.rmtree(package.root, ignore_errors=True)
    os.replace(inner, package.root)
    shutil.rmtree(staging, ignore_errors=True)
    package.stamp_path.write_text(json.dumps(record, indent=2) + "\n")
    return record


def main(argv: list[str] | None = None) -> int:
    names = argv if argv is not None else sys.argv[1:]
    chosen = [BY_NAME[name] for name in names] if names else list(PACKAGES)
    for package in chosen:
        try:
            record = fetch(package)
        except FetchError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(
            f"  npm {record['name']}@{record['version']}: {record['files']} files, "
            f"{int(str(record['bytes'])) / 1e6:.1f} MB ({package.root})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
