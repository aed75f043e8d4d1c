"""Fixtures for the build tests: a small site with CSS, JS modules, images and HTML."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.build.helpers import text_blob, write


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    write(root / "index.html", "<!doctype html>" + text_blob(50))
    write(root / "css" / "base.css", text_blob(80) + "h1{background:url('../img/logo.png?v=1')}\n")
    write(
        root / "css" / "app.css",
        '@import "base.css";\n'
        "@font-face{src:url(../fonts/f%20one.woff2#iefix) format('woff2')}\n"
        "/* url(commented-out.png) */\n" + text_blob(60) + "/*# sourceMappingURL=app.css.map */\n",
    )
    write(root / "css" / "app.css.map", '{"version":3,"sources":["app.scss"]}' + " " * 400)
    write(root / "img" / "logo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    write(root / "fonts" / "f one.woff2", b"wOF2" + bytes(300))
    write(
        root / "js" / "main.mjs",
        'import { helper } from "./lib/helper.js";\nexport * from "../js/lib/cycle-a.js";\n'
        'const lazy = () => import("./lazy.js");\nimport React from "react";\n'
        + "console.log(helper);\n" * 100
        + "//# sourceMappingURL=main.mjs.map\n",
    )
    write(root / "js" / "main.mjs.map", '{"version":3}' + " " * 300)
    write(root / "js" / "lazy.js", "export default 1;\n" * 60)
    write(root / "js" / "lib" / "helper.js", "export const helper = 42;\n" * 60)
    write(root / "js" / "lib" / "cycle-a.js", 'import "./cycle-b.js";\nexport const a = 1;\n' * 30)
    write(root / "js" / "lib" / "cycle-b.js", 'import "./cycle-a.js";\nexport const b = 2;\n' * 30)
    write(root / "data" / "random.bin", random.Random(1).randbytes(4000))
    write(root / "empty.txt", b"")
    return root
