"""``servestatic check`` says what the server's start-up does: for a corpus of
configurations (valid, each kind of error, strict and not), the exit status and the problem
list of ``check`` equal the outcome of building the application the factories build."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from servestatic.app import create_asgi, create_wsgi
from servestatic.cli import main
from servestatic.config import ConfigError
from tests.conftest import write
from tests.startup import startup_messages


@dataclass(frozen=True)
class Case:
    toml: str
    env: dict[str, str] = field(default_factory=dict)
    #: Extra set-up of the tree below the working directory ("broken" adds a dangling link).
    extra: str = ""


SITE = 'root = "site"\n'
CORPUS: dict[str, Case] = {
    "valid": Case(SITE + '[[rules]]\nmatch = "/app.js"\nimmutable = true\n'),
    "valid-strict": Case(SITE + "strict = true\n"),
    "missing-root": Case('root = "nowhere"\n'),
    "missing-root-strict": Case('root = "nowhere"\nstrict = true\n'),
    "missing-roots-strict": Case(
        'strict = true\n[[roots]]\npath = "a"\n[[roots]]\npath = "site"\n[[roots]]\npath = "b"\n'
    ),
    "unused-rules": Case(SITE + '[[rules]]\nmatch = "/js/**"\n[[rules]]\nmatch = "/img/**"\n'),
    "unused-rules-strict": Case(
        SITE + 'strict = true\n[[rules]]\nmatch = "/js/**"\n[[rules]]\nregex = "\\\\.png$"\n'
    ),
    "special-pages-missing": Case(
        SITE + '[spa]\nfallback = "/index.html"\n[errors]\nnot_found = "/404.html"\n'
    ),
    "special-pages-missing-strict": Case(
        SITE + 'strict = true\n[spa]\nfallback = "/index.html"\n[errors]\nnot_found = "/404.html"\n'
    ),
    "typed-file": Case(SITE + 'max_age = "60"\nautorefresh = "yes"\n'),
    "toml-syntax": Case(SITE + "max_age = \n"),
    "unknown-variable": Case(SITE, {"SERVESTATIC_MAXAGE": "5"}),
    "unknown-variable-strict": Case(SITE + "strict = true\n", {"SERVESTATIC_MAXAGE": "5"}),
    "kubernetes-strict": Case(
        SITE + "strict = true\n",
        {"SERVESTATIC_PORT": "tcp://10.0.0.1:80", "SERVESTATIC_SERVICE_HOST": "10.0.0.1"},
    ),
    "empty-variable": Case(SITE, {"SERVESTATIC_MAX_AGE": ""}),
    "bad-rule": Case(SITE + '[[rules]]\nmatch = "assets/**"\nheaders = { "Bad Name" = "x" }\n'),
    "open-redirect": Case(SITE + '[[redirects]]\nfrom = "/go"\nto = "//evil.example"\n'),
    "errors-in-two-sources": Case(
        SITE + "max_age = -1\n", {"SERVESTATIC_ETAG": "sometimes", "SERVESTATIC_X": "1"}
    ),
    "skipped-file": Case(SITE, extra="broken"),
    "skipped-file-strict": Case(SITE + "strict = true\n", extra="broken"),
    "autorefresh-missing-root-strict": Case(
        'root = "nowhere"\nautorefresh = true\nstrict = true\n'
    ),
    # [streaming] is read like every other group: by key from the environment, whole as
    # JSON, and from the file, each value attributed to its source.
    "streaming": Case(
        SITE + "[streaming]\nbudget = 8388608\n",
        {
            "SERVESTATIC_STREAMING__MAX_WAIT": "2",
            "SERVESTATIC_STREAMING": '{"min_block_size": 65536}',
        },
    ),
    "streaming-invalid": Case(
        SITE + "[streaming]\nblock_size = 1024\n",
        {"SERVESTATIC_STREAMING__BUDGET": "lots", "SERVESTATIC_STREAMING__BUDGETT": "3"},
    ),
    # Issue 18's settings: a valid set, and a mistake in each source.
    "frameworks": Case(
        SITE + 'presets = ["vite"]\nclean_urls = true\ntrailing_slash = "add"\nindex_file = true\n'
        "[hints]\nearly_hints = false\n",
        {"SERVESTATIC_MEMORY_CACHE__CACHE_STATUS": "true"},
    ),
    "frameworks-errors": Case(
        SITE + 'presets = ["gatsby"]\n[hints]\nlink = "yes"\n',
        {"SERVESTATIC_TRAILING_SLASH": "both"},
    ),
    "everything-at-once-strict": Case(
        'strict = true\n[[roots]]\npath = "nowhere"\n[[roots]]\npath = "site"\n'
        '[[rules]]\nmatch = "/js/**"\n[spa]\nfallback = "/index.html"\n',
        {"SERVESTATIC_TYPO": "1"},
        extra="broken",
    ),
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.upper().startswith("SERVESTATIC_"):
            monkeypatch.delenv(name)
    write(tmp_path / "site" / "app.js", "x")
    write(tmp_path / "site" / "docs" / "guide.html", "<p>")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _prepare(case: Case, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "servestatic.toml").write_text(case.toml)
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    if case.extra == "broken":
        (project / "site" / "gone.js").symlink_to(project / "missing.js")


def server_outcome(factory: str) -> tuple[int, list[str]]:
    """(2 and the error's problems) when the application refuses to start, else (0 and the
    start-up's warnings)."""
    try:
        with startup_messages():
            application = create_wsgi() if factory == "wsgi" else create_asgi()
    except ConfigError as error:
        return 2, [str(problem) for problem in error.problems]
    return 0, [str(problem) for problem in application.engine.problems]


def check_outcome(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    status = main(["check"])
    out, err = capsys.readouterr()
    lines = err.splitlines()
    if status == 2:
        assert lines[0].startswith("invalid servestatic configuration (")
        assert "valid" not in out  # never "valid" and then a failure
        return status, [line.removeprefix("  ") for line in lines[1:]]
    assert "the configuration is valid; the server would start" in out
    return status, [line.removeprefix("warning: ") for line in lines]


@pytest.mark.parametrize("factory", ["wsgi", "asgi"])
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_check_exit_status_and_problems_are_the_start_up(
    name: str,
    factory: str,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _prepare(CORPUS[name], project, monkeypatch)
    server = server_outcome(factory)
    assert check_outcome(capsys) == server


def test_the_corpus_covers_every_outcome(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Starts cleanly, starts with warnings, refuses with one problem and with several."""
    outcomes = {}
    for name, case in CORPUS.items():
        with monkeypatch.context() as patch:
            _prepare(case, project, patch)
            outcomes[name] = server_outcome("wsgi")
            if case.extra == "broken":
                (project / "site" / "gone.js").unlink()
    assert outcomes["valid"] == (0, [])
    assert outcomes["valid-strict"] == (0, [])
    assert outcomes["frameworks"] == (0, [])
    status, problems = outcomes["frameworks-errors"]
    assert status == 2
    assert [problem.split(":")[0] for problem in problems] == [
        "SERVESTATIC_TRAILING_SLASH → trailing_slash",
        "servestatic.toml → presets",
        "servestatic.toml → hints.link",
    ]
    assert outcomes["kubernetes-strict"] == (0, [])
    assert outcomes["autorefresh-missing-root-strict"] == (0, [])
    assert outcomes["missing-root"][0] == 0
    assert outcomes["missing-root"][1] == [
        f"servestatic.toml → root: No directory at: {project / 'nowhere'}"
    ]
    assert outcomes["missing-roots-strict"] == (
        2,
        [
            f"servestatic.toml [[roots]] #1 → path: No directory at: {project / 'a'}",
            f"servestatic.toml [[roots]] #3 → path: No directory at: {project / 'b'}",
        ],
    )
    status, problems = outcomes["everything-at-once-strict"]
    assert status == 2
    assert [problem.split(" → ")[0].split(":")[0] for problem in problems] == [
        "SERVESTATIC_TYPO",
        "servestatic.toml [[roots]] #1",
        "servestatic.toml [[roots]] #2",
        "servestatic.toml",
        "servestatic.toml [[rules]] #1",
    ]
    assert outcomes["streaming"] == (0, [])
    assert outcomes["streaming-invalid"] == (
        2,
        [
            "SERVESTATIC_STREAMING__BUDGETT: unknown setting; did you mean "
            "SERVESTATIC_STREAMING__BUDGET?, got '3'",
            "SERVESTATIC_STREAMING__BUDGET → streaming.budget: Input should be a valid integer, "
            "unable to parse string as an integer, got 'lots'",
            "servestatic.toml → streaming.block_size: Input should be greater than or equal to "
            "4096, got 1024",
        ],
    )
    assert outcomes["errors-in-two-sources"] == (
        2,
        [
            # In the environment, an unknown name is found before the values are validated.
            "SERVESTATIC_X: unknown setting, got '1'",
            "SERVESTATIC_ETAG → etag: Input should be 'mtime', 'content' or 'off', got 'sometimes'",
            "servestatic.toml → max_age: Input should be greater than or equal to 0, got -1",
        ],
    )


@pytest.mark.parametrize("factory", ["wsgi", "asgi"])
def test_streaming_settings_reach_the_budget_with_their_sources(
    factory: str,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The budget the server streams with is the one ``check`` lists, source by source."""
    _prepare(CORPUS["streaming"], project, monkeypatch)
    with startup_messages():
        application = create_wsgi() if factory == "wsgi" else create_asgi()
    streams = application.engine.streams
    assert (streams.capacity, streams.min_block, streams.max_block, streams.max_wait) == (
        8 * 1024 * 1024,
        64 * 1024,
        1024 * 1024,
        2.0,
    )
    assert main(["check"]) == 0
    listed = {
        line.split("=")[0].strip(): line.rsplit("# ", 1)[1]
        for line in capsys.readouterr().out.splitlines()
        if line.lstrip().startswith("streaming.")
    }
    assert listed == {
        "streaming.budget": "servestatic.toml",
        "streaming.block_size": "default",
        "streaming.min_block_size": "SERVESTATIC_STREAMING",
        "streaming.max_wait": "SERVESTATIC_STREAMING__MAX_WAIT",
    }
