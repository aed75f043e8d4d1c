"""The Netlify / Cloudflare Pages export, read back by a small parser and applied as the hosts
document their rules: every URL of the test site answers as servestatic does, apart from
the documented differences. (Item 3 of issue 17 will read these files as a configuration
source; until then the parser lives in the tests.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from servestatic.asgi import ServeStaticASGI
from servestatic.cli import run
from servestatic.config import load_settings
from servestatic.export import SiteModel, applicable, model_from_engine
from servestatic.export.netlify import HeaderRule, RedirectRule, rules
from tests.export.compare import SERVER_MANAGED, Request, servestatic_answer
from tests.export.netlify_parser import apply, parse_headers, parse_redirects
from tests.export.site import CONFIGS, MISSES, make_site

# Per response, not per URL: the host computes these itself.
_SKIP = SERVER_MANAGED | {"content-length", "last-modified", "accept-ranges"}


def _deployed(model: SiteModel) -> frozenset[str]:
    """Every URL the host would serve from the directory as it is (no rules)."""
    urls = set()
    for root in model.roots:
        for directory, _, names in os.walk(root.path):
            relative = os.path.relpath(directory, root.path).replace(os.sep, "/")
            base = root.prefix if relative == "." else f"{root.prefix}{relative}/"
            for name in names:
                urls.add(base + name)
                if name == (model.index_file or "index.html"):
                    urls.add(base)
    return frozenset(urls)


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_netlify_files_answer_like_servestatic(config: str, tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", config)
    app = ServeStaticASGI(None, settings=load_settings(config_file=site.config))
    model = model_from_engine(app.engine)
    assert run(["export", "netlify", str(tmp_path / "out"), "--config", str(site.config)]) == 0
    headers = parse_headers((tmp_path / "out" / "_headers").read_text(encoding="utf-8"))
    redirects = parse_redirects((tmp_path / "out" / "_redirects").read_text(encoding="utf-8"))
    # The files parse back into exactly the records the writer started from.
    assert (headers, tuple(_bare(rule) for rule in redirects)) == (
        rules(model)[0],
        tuple(_bare(rule) for rule in rules(model)[1]),
    )
    deployed = _deployed(model)
    documented = {difference.id for difference in applicable("netlify", model)}
    excused: dict[str, int] = {}
    failures = []

    def excuse(identifier: str) -> None:
        assert identifier in documented, identifier
        excused[identifier] = excused.get(identifier, 0) + 1

    urls = [a.url for a in model.files] + [a.url for a in model.redirects]
    for url in [*urls, *model.unserved, *MISSES]:
        ours = servestatic_answer(app, Request("GET", url))
        theirs = apply(url, headers, redirects, deployed)
        redirect = next((a for a in model.redirects if a.url == url), None)
        if redirect is not None and redirect.configured is None:
            excuse("index-redirects")
            continue
        if ours.status != theirs.status:
            if ours.status == 404 and theirs.status == 200 and model.spa_exclude:
                excuse("spa-exclude")
                continue
            failures.append(f"{url}: status {theirs.status}, servestatic {ours.status}")
            continue
        if 300 <= ours.status < 400:
            if ours.header("location") != theirs.location:
                failures.append(
                    f"{url}: Location {theirs.location}, servestatic {ours.header('location')}"
                )
            continue
        if theirs.served != url:
            # The fallback or the 404 page: the same file, with the host's headers. Without
            # a configured 404 page the host answers with its own (its /404.html if any).
            configured = {a.url for a in (model.fallback, model.not_found) if a is not None}
            if theirs.served in configured:
                if ours.body != _file_bytes(model, theirs.served or ""):
                    failures.append(f"{url}: servestatic sends another body than {theirs.served}")
            elif model.not_found is not None or theirs.served not in {None, "/404.html"}:
                failures.append(f"{url}: serves {theirs.served}")
            excuse("special-pages")
            continue
        mine = {n.lower(): v for n, v in ours.headers if n.lower() not in _SKIP}
        other = {n.lower(): v for n, v in theirs.headers}
        if mine != other:
            failures.append(f"{url}: headers {other}, servestatic {mine}")
    assert not failures, "\n".join(failures[:40])
    assert excused.get("index-redirects", 0) >= 1


def _file_bytes(model: SiteModel, url: str) -> bytes:
    answers = [*model.files, *(a for a in (model.fallback, model.not_found) if a is not None)]
    answer = next(a for a in answers if a.url == url)
    return Path(model.roots[answer.root].path, answer.relative).read_bytes()


def _bare(rule: RedirectRule) -> RedirectRule:
    """A rule without its comment (comments are not data)."""
    return RedirectRule(rule.source, rule.target, rule.status, rule.force)


def test_header_rule_paths_are_percent_encoded(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    app = ServeStaticASGI(None, settings=load_settings(config_file=site.config))
    blocks = rules(model_from_engine(app.engine))[0]
    paths = {block.path for block in blocks}
    assert "/na%C3%AFve%20caf%C3%A9.txt" in paths
    assert "/what%3F.txt" in paths
    assert all(" " not in path and "*" not in path for path in paths)
    assert isinstance(blocks[0], HeaderRule)
