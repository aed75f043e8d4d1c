"""Find and rewrite the file references inside CSS and JavaScript. Pure text functions.

What is recognised (the same set Django's ManifestStaticFilesStorage rewrites, plus JS
modules):

* CSS: ``url(...)`` (bare, ``"..."`` or ``'...'``), ``@import "..."``, and
  ``/*# sourceMappingURL=... */``. Comments and other strings are skipped, so a commented-out
  ``url()`` is not a reference (a common Django complaint).
* JavaScript (``.js``, ``.mjs``): relative specifiers (``./``, ``../``) in ``import … from``,
  ``export … from``, bare ``import "..."`` and ``import("...")`` with a string literal, and
  ``//# sourceMappingURL=...``. Bare specifiers (``react``) are left alone.

A reference is rewritten only when it is a relative path: URLs with a scheme, ``//host``,
absolute ``/paths`` (their URL prefix is not known at build time), ``data:`` and
fragment-only references (``#id``) are kept as written.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

__all__ = [
    "REWRITTEN_EXTENSIONS",
    "Reference",
    "find_references",
    "insert_hash",
    "kind_of",
    "resolve",
    "rewrite",
    "split_suffix",
]

#: Extension → scanner.
REWRITTEN_EXTENSIONS: dict[str, str] = {".css": "css", ".js": "js", ".mjs": "js"}


@dataclass(frozen=True, slots=True)
class Reference:
    """A URL written in a file, at ``text[start:end]``."""

    start: int
    end: int
    url: str
    kind: str  # "url", "import", "sourcemap", "module"


def kind_of(name: str) -> str | None:
    """``"css"``, ``"js"`` or None for a file name."""
    return REWRITTEN_EXTENSIONS.get(posixpath.splitext(name)[1].lower())


# CSS Syntax Level 3 §4.3.6: an unquoted url() ends at ")" and cannot contain quotes or
# whitespace; quoted ones are ordinary strings. Alternatives are tried left to right at
# each position, and a match consumes its text, so a url() inside a comment or a string
# is never seen.
#
# The lookahead in front names what every alternative starts with. It matches nothing on its
# own; it rejects at once the many positions where no alternative can start, which the
# regex engine would otherwise try one alternative at a time (the JS scan of real npm
# bundles ran ~4x faster with it, the CSS scan ~2x; benchmarks/npmbuild.py, issue 19).
_CSS = re.compile(
    r"""
    (?=/\*|["'@uU])
    (?:
    (?P<comment>/\*[\s\S]*?(?:\*/|\Z))
  | (?i:@import)\s*(?P<iq>["'])(?P<import>[^"'\n]*)(?P=iq)
  | (?i:url)\(\s*(?:"(?P<dq>[^"\n]*)"|'(?P<sq>[^'\n]*)'|(?P<bare>(?:\\.|[^)\s"'\\])*))\s*\)
  | "(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'
    )
    """,
    re.VERBOSE,
)
_CSS_MAP = re.compile(r"/\*[#@]\s*sourceMappingURL=(?P<url>[^\s*]+)\s*\*/")

# ECMAScript ImportDeclaration / ExportDeclaration with a FromClause (string export names
# included), side-effect imports, ImportCall with a string literal (and import options),
# and ``new URL("./x", import.meta.url)``. Only relative specifiers (§16.2.1.7 leaves the
# rest to the host) name files of this build. Comments that start a line and block
# comments are skipped, and so is an ``import`` right after a quote (text in a string);
# strings in general are not, because a regular-expression literal holding a quote would
# then hide the rest of a minified line.
_JS = re.compile(
    r"""
    (?=/|import|export|new|^[ \t])
    (?:
    (?P<comment>^[ \t]*//(?![#@][ \t]*sourceMappingURL=)[^\n]*|(?:^|(?<=[\s;{}(,]))/\*[\s\S]*?\*/)
  | (?<![\w$."'`])(?:import|export)(?:\s*[\w$*{}\s,"']*?\bfrom)?\s*
        (?P<q>["'])(?P<static>\.{1,2}/[^"'\n]*)(?P=q)
  | (?<![\w$."'`])import\s*\(\s*(?P<dq>["'])(?P<dynamic>\.{1,2}/[^"'\n]*)(?P=dq)\s*[,)]
  | (?<![\w$.])new\s+URL\(\s*(?P<uq>["'])(?P<asset>\.{1,2}/[^"'\n]*)(?P=uq)\s*,
        \s*import\.meta\.url\s*\)
  | ^[ \t]*//[#@][ \t]*sourceMappingURL=(?P<map>\S+)[ \t]*$
    )
    """,
    re.VERBOSE | re.MULTILINE,
)


_CSS_GROUPS = (("import", "import"), ("dq", "url"), ("sq", "url"), ("bare", "url"))
_JS_GROUPS = (
    ("static", "module"),
    ("dynamic", "module"),
    ("asset", "module"),
    ("map", "sourcemap"),
)


def find_references(text: str, kind: str) -> list[Reference]:
    """Every reference in ``text`` (a ``"css"`` or ``"js"`` document), in order."""
    references: list[Reference] = []
    if kind == "css":
        for match in _CSS.finditer(text):
            if match.group("comment") is not None:
                source_map = _CSS_MAP.fullmatch(match.group("comment"))
                if source_map is not None:
                    offset = match.start()
                    start, end = source_map.span("url")
                    url = source_map.group("url")
                    references.append(Reference(offset + start, offset + end, url, "sourcemap"))
                continue
            for group, label in (
                ("import", "import"),
                ("dq", "url"),
                ("sq", "url"),
                ("bare", "url"),
            ):
                if match.group(group) is not None:
                    start, end = match.span(group)
                    references.append(Reference(start, end, match.group(group), label))
                    break
        return references
    for match in _JS.finditer(text):
        for group, label in _JS_GROUPS:
            if match.group(group) is not None:
                start, end = match.span(group)
                references.append(Reference(start, end, match.group(group), label))
                break
    return references


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_CSS_ESCAPE = re.compile(r"\\([^0-9A-Fa-f\n])")


def split_suffix(url: str) -> tuple[str, str]:
    """``("a/b.png", "?v=1#x")`` from ``"a/b.png?v=1#x"``."""
    for index, character in enumerate(url):
        if character in "?#":
            return url[:index], url[index:]
    return url, ""


def resolve(url: str, from_name: str) -> str | None:
    """The root-relative name ``url`` refers to from file ``from_name``, or None.

    None means "not a file of this build": a scheme, ``//host``, an absolute path, a
    fragment, an empty URL. A path that climbs out of the root resolves to a name starting
    with ``../`` so that the caller reports it as missing.
    """
    path, _ = split_suffix(url.strip())
    if not path or path.startswith(("/", "\\")) or _SCHEME.match(path):
        return None
    if "{" in path or "$" in path:
        return None  # a template placeholder, not a file name
    if path.endswith("/"):
        return None  # a directory, not a file
    # CSS escapes in an unquoted url() (``my\ pic.png``); hex escapes are left as written.
    path = _CSS_ESCAPE.sub(r"\1", path)
    joined = posixpath.join(posixpath.dirname(from_name), unquote(path))
    return posixpath.normpath(joined)


def insert_hash(url: str, file_hash: str) -> str:
    """``url`` naming the hashed file: ``../a/b.png?v#x`` → ``../a/b.HASH.png?v#x``.

    Only the last segment changes, as written (percent-encoding and all), so the result
    resolves exactly like the original did.
    """
    path, suffix = split_suffix(url)
    head, separator, segment = path.rpartition("/")
    if "%" in segment:
        # The extension may be written encoded (``logo%2Epng``): split the decoded name and
        # write the segment back encoded.
        stem, extension = posixpath.splitext(unquote(segment))
        segment = quote(f"{stem}.{file_hash}{extension}", safe="!$&'()*+,;=:@~")
        return f"{head}{separator}{segment}{suffix}"
    stem, extension = posixpath.splitext(segment)
    return f"{head}{separator}{stem}.{file_hash}{extension}{suffix}"


def rewrite(text: str, replacements: dict[int, str], references: list[Reference]) -> str:
    """``text`` with ``references[i]`` replaced by ``replacements[i]`` where given."""
    pieces: list[str] = []
    position = 0
    for index, reference in enumerate(references):
        if index not in replacements:
            continue
        pieces.append(text[position : reference.start])
        pieces.append(replacements[index])
        position = reference.end
    pieces.append(text[position:])
    return "".join(pieces)
