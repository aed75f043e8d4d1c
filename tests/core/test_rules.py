"""The rule engine: fold semantics, typed sugar, deny/final, and the compiled table (golden)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from servestatic.config import ConfigError, Rule, Settings, load_settings
from servestatic.http.records import FileEntry
from servestatic.serve.engine import Engine, rule_usage
from servestatic.serve.rules import BaseHeaders, compile_rules
from tests.conftest import write
from tests.startup import startup_messages

BASE = BaseHeaders(
    media_type="text/css",
    charset="utf-8",
    cache_control="max-age=60, public",
    mutable_cache_control="max-age=60, public",
    extra=(("Access-Control-Allow-Origin", "*"),),
)


def fold(
    rules: list[dict[str, Any]], url: str = "/a/style.css", base: BaseHeaders = BASE
) -> dict[str, str]:
    ruleset = compile_rules([Rule.model_validate(rule) for rule in rules])
    policy = ruleset.fold(base, (url,), url.rsplit("/", 1)[-1])
    return dict(policy.headers)


def test_no_rules_gives_the_base_layer() -> None:
    assert fold([]) == {
        "Content-Type": "text/css; charset=utf-8",
        "Cache-Control": "max-age=60, public",
        "Access-Control-Allow-Origin": "*",
    }


def test_later_rule_wins_per_header() -> None:
    headers = fold(
        [
            {"match": "/**", "headers": {"X-A": "first", "X-B": "kept"}},
            {"match": "/a/*", "headers": {"x-a": "second"}},
        ]
    )
    assert headers["X-A"] == "second" if "X-A" in headers else headers["x-a"] == "second"
    assert headers["X-B"] == "kept"


def test_append_joins_and_default_fills_gaps() -> None:
    headers = fold(
        [
            {"match": "/**", "append": {"Link": "</a.css>; rel=preload"}},
            {"match": "/**", "append": {"Link": "</b.js>; rel=preload"}},
            {
                "match": "/**",
                "default": {"X-Frame-Options": "DENY", "Access-Control-Allow-Origin": "https://x"},
            },
        ]
    )
    assert headers["Link"] == "</a.css>; rel=preload, </b.js>; rel=preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Access-Control-Allow-Origin"] == "*"  # already set: default does nothing


def test_unset_with_wildcards_and_set_again() -> None:
    headers = fold(
        [
            {"match": "/**", "headers": {"X-One": "1", "X-Two": "2", "Y": "y"}},
            {"match": "/**", "unset": ["X-*", "Access-Control-Allow-Origin"]},
            {"match": "/**", "headers": {"X-Two": "back"}},
        ]
    )
    assert "X-One" not in headers
    assert headers["X-Two"] == "back"
    assert "Access-Control-Allow-Origin" not in headers
    assert headers["Y"] == "y"


def test_unset_removes_pending_defaults() -> None:
    headers = fold([{"match": "/**", "default": {"X-D": "1"}}, {"match": "/**", "unset": ["X-D"]}])
    assert "X-D" not in headers


def test_typed_cache_sugar() -> None:
    assert (
        fold([{"match": "/**", "immutable": True}])["Cache-Control"]
        == "max-age=315360000, public, immutable"
    )
    assert (
        fold([{"match": "/**", "immutable": True, "max_age": 31536000}])["Cache-Control"]
        == "max-age=31536000, public, immutable"
    )
    assert fold([{"match": "/**", "max_age": 5}])["Cache-Control"] == "max-age=5, public"
    assert fold([{"match": "/**", "cache_control": "no-store"}])["Cache-Control"] == "no-store"
    immutable_base = BaseHeaders(
        "text/css", "utf-8", "max-age=315360000, public, immutable", "max-age=60, public"
    )
    assert (
        fold([{"match": "/**", "immutable": False}], base=immutable_base)["Cache-Control"]
        == "max-age=60, public"
    )


def test_content_type_and_charset_sugar() -> None:
    assert (
        fold([{"match": "/**", "content_type": "text/plain"}])["Content-Type"]
        == "text/plain; charset=utf-8"
    )
    assert fold([{"match": "/**", "charset": ""}])["Content-Type"] == "text/css"
    assert (
        fold([{"match": "/**", "charset": "latin-1"}])["Content-Type"]
        == "text/css; charset=latin-1"
    )
    json_base = BaseHeaders("application/json", "utf-8", None, None)
    assert fold([], base=json_base)["Content-Type"] == "application/json"  # charset only on text/*
    assert (
        fold([{"match": "/**", "charset": "utf-8"}], base=json_base)["Content-Type"]
        == "application/json; charset=utf-8"
    )
    assert fold([{"match": "/**", "headers": {"Content-Type": "x/y"}}])["Content-Type"] == "x/y"
    assert "Content-Type" not in fold([{"match": "/**", "unset": ["Content-Type"]}])


def test_content_disposition() -> None:
    assert (
        fold([{"match": "/**", "content_disposition": "attachment"}])["Content-Disposition"]
        == 'attachment; filename="style.css"'
    )
    unicode_name = fold(
        [{"match": "/**", "content_disposition": "inline"}], url="/r\u00e9sum\u00e9 1.pdf"
    )
    assert (
        unicode_name["Content-Disposition"]
        == "inline; filename=\"r_sum_ 1.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%201.pdf"
    )
    assert (
        fold([{"match": "/**", "content_disposition": 'attachment; filename="x"'}])[
            "Content-Disposition"
        ]
        == 'attachment; filename="x"'
    )


def test_final_stops_later_rules() -> None:
    rules: list[dict[str, Any]] = [
        {"match": "/a/**", "headers": {"X-A": "1"}, "final": True},
        {"match": "/**", "headers": {"X-B": "2"}},
    ]
    assert "X-B" not in fold(rules)
    assert fold(rules, url="/b/x.css")["X-B"] == "2"


def test_regex_rule() -> None:
    assert fold([{"regex": r"\.css$", "headers": {"X-R": "1"}}])["X-R"] == "1"
    assert "X-R" not in fold([{"regex": r"\.js$", "headers": {"X-R": "1"}}])


def test_folds_are_interned() -> None:
    ruleset = compile_rules([Rule.model_validate({"match": "/**/*.css", "headers": {"X-A": "1"}})])
    first = ruleset.fold(BASE, ("/a.css",), "a.css")
    second = ruleset.fold(BASE, ("/b/c.css",), "c.css")
    assert first is second


def test_deny_hides_files(tmp_path: Path) -> None:
    write(tmp_path / "app.js", "x")
    write(tmp_path / "app.js.map", "{}")
    settings = Settings.model_validate(
        {"root": tmp_path, "rules": [{"match": "/**/*.map", "deny": True}]}
    )
    engine = Engine(settings, standalone=True)
    assert "/app.js.map" not in engine.files
    assert "/app.js" in engine.files
    # The hidden file counts as a match: a deny rule doing its job is not "unused".
    assert rule_usage(engine) == {1: 1}


def test_unused_rule_warns_at_start_up(tmp_path: Path) -> None:
    write(tmp_path / "app.js", "x")
    rules = [{"name": "typo", "match": "/asets/**", "immutable": True}]
    with startup_messages() as messages:
        Engine(Settings.model_validate({"root": tmp_path, "rules": rules}), standalone=True)
    assert messages == ["default [[rules]] #1 \"typo\" → match: matches no file, got '/asets/**'"]
    with pytest.raises(ConfigError, match="matches no file"):
        Engine(
            Settings.model_validate({"root": tmp_path, "rules": rules, "strict": True}),
            standalone=True,
        )


def test_used_and_deny_rules_do_not_warn(tmp_path: Path) -> None:
    write(tmp_path / "app.js", "x")
    write(tmp_path / "app.js.map", "{}")
    rules = [{"match": "/**/*.map", "deny": True}, {"match": "/*.js", "headers": {"X-A": "1"}}]
    with startup_messages() as messages:
        engine = Engine(
            Settings.model_validate({"root": tmp_path, "rules": rules, "strict": True}),
            standalone=True,
        )
    assert messages == []
    assert engine.problems == []


def test_unused_rules_are_not_judged_in_autorefresh_mode(tmp_path: Path) -> None:
    # Nothing is indexed at start-up, so "matched nothing yet" means nothing.
    rules = [{"match": "/later/**", "immutable": True}]
    with startup_messages() as messages:
        Engine(
            Settings.model_validate(
                {"root": tmp_path, "rules": rules, "autorefresh": True, "strict": True}
            ),
            standalone=True,
        )
        # Nor over an empty index (a root not built yet): the folder is the problem, not the
        # rules.
        Engine(
            Settings.model_validate({"root": tmp_path, "rules": rules, "strict": True}),
            standalone=True,
        )
    assert messages == []


def test_rules_match_directory_urls_and_index_files(tmp_path: Path) -> None:
    write(tmp_path / "docs" / "index.html", "x")
    settings = Settings.model_validate(
        {
            "root": tmp_path,
            "index_file": True,
            "rules": [{"match": "/**/*.html", "cache_control": "no-cache"}],
        }
    )
    engine = Engine(settings, standalone=True)
    entry = engine.files["/docs/"]
    assert isinstance(entry, FileEntry)
    assert entry.identity.ok.get("Cache-Control") == "no-cache"
    assert rule_usage(engine) == {1: 1}


GOLDEN = Path(__file__).parent / "golden"


def _table(engine: Engine) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for url, entry in sorted(engine.files.items()):
        if isinstance(entry, FileEntry):
            table[url] = [
                f"{name}: {value}"
                for name, value in entry.identity.ok.pairs
                if name not in {"Last-Modified", "ETag"}
            ]
        else:
            table[url] = {"redirect": entry.location, "status": entry.status}
    return table


@pytest.mark.parametrize("name", sorted(path.stem for path in GOLDEN.glob("*.toml")))
def test_golden_compiled_tables(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A configuration and a fixed tree compile to exactly the recorded header table.

    To update after an intended change: ``UPDATE_GOLDEN=1 pytest tests/core/test_rules.py``.
    """
    for relative in [
        "index.html",
        "about/index.html",
        "assets/app.0123456789ab.js",
        "assets/app.0123456789ab.js.map",
        "assets/app.0123456789ab.css",
        "fonts/inter.woff2",
        "sw.js",
        "downloads/report.pdf",
        "robots.txt",
    ]:
        write(tmp_path / "site" / relative, relative)
    (tmp_path / "servestatic.toml").write_text((GOLDEN / f"{name}.toml").read_text())
    monkeypatch.chdir(tmp_path)
    engine = Engine(load_settings(environ={}, root=tmp_path / "site").settings, standalone=True)
    table = _table(engine)
    expected_path = GOLDEN / f"{name}.json"
    import os

    if os.environ.get("UPDATE_GOLDEN"):
        expected_path.write_text(json.dumps(table, indent=2) + "\n")
    assert table == json.loads(expected_path.read_text())
