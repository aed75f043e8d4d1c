"""The test project under real servers: gunicorn (Django on WSGI) and uvicorn (Django on
ASGI), after a real ``collectstatic``. Responses are read raw with ``http.client``."""

from __future__ import annotations

from pathlib import Path

import brotli
import pytest

from tests.django.conftest import MANIFEST, collectstatic, hashed_name
from tests.live import fetch, running

pytestmark = [pytest.mark.django, pytest.mark.servers]

SERVERS = [
    ("gunicorn-sync", "tests.django.project.wsgi:application"),
    ("gunicorn-gthread", "tests.django.project.wsgi:application"),
    ("uvicorn", "tests.django.project.asgi:application"),
]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return collectstatic(tmp_path_factory.mktemp("django-static") / "collected", MANIFEST)


@pytest.mark.parametrize(("server", "target"), SERVERS, ids=[name for name, _ in SERVERS])
def test_django_project_under_a_real_server(server: str, target: str, collected: Path) -> None:
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.django.project.settings",
        "DJANGO_TEST_STATIC_ROOT": str(collected),
        "DJANGO_TEST_STORAGE": MANIFEST,
        # Files are streamed from disk, not memory (an environment source in a Django app).
        "SERVESTATIC_MEMORY_CACHE__MAX_FILE_SIZE": "0",
        # Django warns when it must consume a sync iterator under ASGI: fail instead.
        "PYTHONWARNINGS": "error:StreamingHttpResponse must consume",
    }
    css = hashed_name(collected, "css/site.css")
    js = (collected / "js" / "app.js").read_bytes()
    with running(server, target, env=env) as url:
        status, headers, body = fetch(url, f"/static/{css}", {"Accept-Encoding": "br"})
        assert status == 200
        assert headers["cache-control"] == "max-age=315360000, public, immutable"
        assert headers["content-encoding"] == "br"
        assert brotli.decompress(body) == (collected / css).read_bytes()

        status, headers, body = fetch(url, "/static/js/app.js")
        assert (status, body) == (200, js)
        assert headers["content-length"] == str(len(js))
        assert headers["cache-control"] == "max-age=60, public"

        status, _, body = fetch(url, "/static/js/app.js", {"Range": "bytes=5-9"})
        assert (status, body) == (206, js[5:10])

        status, _, body = fetch(url, "/static/js/app.js", {"If-None-Match": headers["etag"]})
        assert (status, body) == (304, b"")

        status, _, body = fetch(url, "/static/naïve café.txt")
        assert (status, body) == (200, b"non-ASCII file name\n")

        status, headers, _ = fetch(url, "/static/js/app.js", method="HEAD")
        assert (status, headers["content-length"]) == (200, str(len(js)))

        assert fetch(url, "/")[::2] == (200, b"home page")
        assert fetch(url, "/static/missing.js")[0] == 404
        assert fetch(url, "/static/generated.js")[::2] == (200, b"generated();")
