"""The manifest: Django's format plus per-file digests, merging, and ``load_digests``."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from servestatic.build.manifest import (
    ManifestError,
    file_record,
    load_digests,
    merge_manifest,
    read_manifest,
    write_manifest,
)
from tests.build.helpers import write


def test_file_record(tmp_path: Path) -> None:
    path = write(tmp_path / "a.js", b"alert(1)")
    expected_sri = "sha384-" + base64.b64encode(hashlib.sha384(b"alert(1)").digest()).decode()
    assert file_record(str(path)) == {
        "size": 8,
        "hash": hashlib.sha256(b"alert(1)").hexdigest(),
        "integrity": expected_sri,
    }


def test_merge_keeps_other_keys_and_new_entries_win() -> None:
    existing = {"paths": {"a.css": "a.old.css", "b.css": "b.1.css"}, "version": "1.1", "hash": "h"}
    document = merge_manifest({"a.css": "a.new.css"}, {"a.new.css": {"size": 1}}, existing)
    assert document == {
        "paths": {"a.css": "a.new.css", "b.css": "b.1.css"},
        "version": "1.0",
        "hash": "h",
        "files": {"a.new.css": {"size": 1}},
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no manifest to merge into"),
        ("{not json", "not valid JSON"),
        ("[]", "expected a JSON object, got list"),
        ('{"paths": []}', "'paths' must be an object"),
        ('{"paths": {}, "files": 3}', "'files' must be an object"),
    ],
)
def test_read_manifest_problems(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "staticfiles.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ManifestError, match=message):
        read_manifest(str(path))


def test_read_manifest_unreadable(tmp_path: Path) -> None:
    (tmp_path / "staticfiles.json").mkdir()
    with pytest.raises(ManifestError, match="cannot read"):
        read_manifest(str(tmp_path / "staticfiles.json"))


def test_load_digests_returns_only_files_that_still_match(tmp_path: Path) -> None:
    good = write(tmp_path / "css" / "a.1.css", b"body{}")
    write(tmp_path / "changed.js", b"longer than recorded")
    files = {
        "css/a.1.css": file_record(str(good)),
        "changed.js": {"size": 3, "hash": "0" * 64},
        "gone.js": {"size": 3, "hash": "0" * 64},
        "../escape.js": {"size": 3, "hash": "0" * 64},
        "/abs.js": {"size": 3, "hash": "0" * 64},
        "bad-hash.js": {"size": 3, "hash": "xyz"},
        "bad-size.js": {"size": "3", "hash": "0" * 64},
        "bool-size.js": {"size": True, "hash": "0" * 64},
        "not-a-record.js": 5,
    }
    (tmp_path / "staticfiles.json").write_text(json.dumps({"paths": {}, "files": files}))
    assert load_digests(str(tmp_path)) == {
        str(tmp_path / "css" / "a.1.css"): hashlib.sha256(b"body{}").hexdigest()
    }


@pytest.mark.parametrize("content", [None, "{bad", "[]", '{"files": []}', '{"paths": {}}'])
def test_load_digests_never_raises(tmp_path: Path, content: str | None) -> None:
    if content is not None:
        (tmp_path / "staticfiles.json").write_text(content)
    assert load_digests(str(tmp_path)) == {}


@pytest.mark.django
def test_django_reads_the_manifest(tmp_path: Path) -> None:
    write(tmp_path / "css" / "app.0123456789ab.css", "body{}")
    document = merge_manifest(
        {"css/app.css": "css/app.0123456789ab.css"},
        {"css/app.0123456789ab.css": file_record(str(tmp_path / "css" / "app.0123456789ab.css"))},
    )
    write_manifest(str(tmp_path), document)
    script = (
        "import sys, django\n"
        "from django.conf import settings\n"
        "settings.configure(STATIC_URL='/static/', STATIC_ROOT=sys.argv[1])\n"
        "django.setup()\n"
        "from django.contrib.staticfiles.storage import ManifestStaticFilesStorage\n"
        "storage = ManifestStaticFilesStorage()\n"
        "print(storage.url('css/app.css'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "/static/css/app.0123456789ab.css"
    assert json.loads((tmp_path / "staticfiles.json").read_text())["version"] == "1.0"
