"""Media types by file name: our own table, independent of the host's ``mimetypes`` database.

``MediaTypes`` keeps ServeStatic's interface: ``MediaTypes(extra_types=...).get_type(path)``
looks up the whole file name first (``apple-app-site-association``), then the extension,
and falls back to ``application/octet-stream``. Both lookups ignore case, as ServeStatic's
do (it lower-cases the file name): ``CrossDomain.XML`` is the cross-domain policy file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["MediaTypes", "default_types"]

_DEFAULT = "application/octet-stream"

# Grouped by top-level type. Sources of the facts: IANA media type registry, the WHATWG
# MIME Sniffing and HTML standards (text/javascript for scripts, application/manifest+json).
_TYPES: dict[str, str] = {
    # text
    ".css": "text/css",
    ".csv": "text/csv",
    ".htm": "text/html",
    ".html": "text/html",
    ".shtml": "text/html",
    ".ics": "text/calendar",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".cjs": "text/javascript",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".mml": "text/mathml",
    ".txt": "text/plain",
    ".text": "text/plain",
    ".vtt": "text/vtt",
    ".xml": "text/xml",
    ".jad": "text/vnd.sun.j2me.app-descriptor",
    ".wml": "text/vnd.wap.wml",
    ".htc": "text/x-component",
    ".yaml": "text/yaml",
    ".yml": "text/yaml",
    ".tsv": "text/tab-separated-values",
    ".rtx": "text/richtext",
    # images
    ".apng": "image/apng",
    ".avif": "image/avif",
    ".bmp": "image/bmp",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".jng": "image/x-jng",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".jxl": "image/jxl",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".svgz": "image/svg+xml",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".wbmp": "image/vnd.wap.wbmp",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heif",
    # fonts
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
    # audio
    ".aac": "audio/aac",
    ".flac": "audio/flac",
    ".kar": "audio/midi",
    ".m4a": "audio/mp4",
    ".mid": "audio/midi",
    ".midi": "audio/midi",
    ".mp3": "audio/mpeg",
    ".oga": "audio/ogg",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".ra": "audio/x-realaudio",
    ".wav": "audio/wav",
    ".weba": "audio/webm",
    # video
    ".3gp": "video/3gpp",
    ".3gpp": "video/3gpp",
    ".asf": "video/x-ms-asf",
    ".asx": "video/x-ms-asf",
    ".avi": "video/x-msvideo",
    ".flv": "video/x-flv",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4v": "video/x-m4v",
    ".mkv": "video/x-matroska",
    ".mng": "video/x-mng",
    ".mov": "video/quicktime",
    ".mp4": "video/mp4",
    ".mpd": "application/dash+xml",
    ".mpeg": "video/mpeg",
    ".mpg": "video/mpeg",
    ".ogv": "video/ogg",
    ".ts": "video/mp2t",
    ".webm": "video/webm",
    ".wmv": "video/x-ms-wmv",
    # structured data and web platform
    ".atom": "application/atom+xml",
    ".geojson": "application/geo+json",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".map": "application/json",
    ".rss": "application/rss+xml",
    ".topojson": "application/json",
    ".wasm": "application/wasm",
    ".webmanifest": "application/manifest+json",
    ".xhtml": "application/xhtml+xml",
    ".xsl": "application/xslt+xml",
    ".xspf": "application/xspf+xml",
    ".rdf": "application/rdf+xml",
    # 3D
    ".glb": "model/gltf-binary",
    ".gltf": "model/gltf+json",
    ".obj": "model/obj",
    ".stl": "model/stl",
    ".usdz": "model/vnd.usdz+zip",
    # documents and archives
    ".7z": "application/x-7z-compressed",
    ".ai": "application/postscript",
    ".br": "application/x-brotli",
    ".bz2": "application/x-bzip2",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".eps": "application/postscript",
    ".epub": "application/epub+zip",
    ".gz": "application/gzip",
    ".jar": "application/java-archive",
    ".ear": "application/java-archive",
    ".war": "application/java-archive",
    ".kml": "application/vnd.google-earth.kml+xml",
    ".kmz": "application/vnd.google-earth.kmz",
    ".odg": "application/vnd.oasis.opendocument.graphics",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".pdf": "application/pdf",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".ps": "application/postscript",
    ".rar": "application/vnd.rar",
    ".rtf": "application/rtf",
    ".swf": "application/x-shockwave-flash",
    ".tar": "application/x-tar",
    ".tgz": "application/gzip",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xz": "application/x-xz",
    ".zip": "application/zip",
    ".zst": "application/zstd",
    ".zstd": "application/zstd",
    # executables and binaries
    ".apk": "application/vnd.android.package-archive",
    ".bin": "application/octet-stream",
    ".deb": "application/octet-stream",
    ".dll": "application/octet-stream",
    ".dmg": "application/octet-stream",
    ".exe": "application/octet-stream",
    ".img": "application/octet-stream",
    ".iso": "application/octet-stream",
    ".msi": "application/octet-stream",
    ".msm": "application/octet-stream",
    ".msp": "application/octet-stream",
    ".pem": "application/x-x509-ca-cert",
    ".der": "application/x-x509-ca-cert",
    ".crt": "application/x-x509-ca-cert",
    ".pl": "application/x-perl",
    ".pm": "application/x-perl",
    ".rpm": "application/x-redhat-package-manager",
    ".run": "application/x-makeself",
    ".sea": "application/x-sea",
    ".sit": "application/x-stuffit",
    ".tcl": "application/x-tcl",
    ".tk": "application/x-tcl",
    ".xpi": "application/x-xpinstall",
    ".hqx": "application/mac-binhex40",
    ".cco": "application/x-cocoa",
    ".jardiff": "application/x-java-archive-diff",
    ".jnlp": "application/x-java-jnlp-file",
    ".prc": "application/x-pilot",
    ".pdb": "application/x-pilot",
    ".rar5": "application/vnd.rar",
    ".wmlc": "application/vnd.wap.wmlc",
    ".m3u": "audio/x-mpegurl",
}

# Whole file names that are not identified by an extension.
_NAMES: dict[str, str] = {
    # Apple's universal-links file is JSON without an extension.
    "apple-app-site-association": "application/json",
    "crossdomain.xml": "text/x-cross-domain-policy",
    # RFC 9116 security.txt and robots.txt are plain text by extension already; listed for
    # clarity when served from /.well-known/.
    "security.txt": "text/plain",
}


def default_types() -> dict[str, str]:
    """The built-in table: ``.ext`` (lower case) or whole file name → media type."""
    return {**_TYPES, **_NAMES}


class MediaTypes:
    """Look up a file's media type; ``extra_types`` entries win over the built-in table."""

    __slots__ = ("default", "types_map")

    def __init__(
        self, *, default: str = _DEFAULT, extra_types: Mapping[str, str] | None = None
    ) -> None:
        self.types_map = default_types()
        if extra_types is not None:
            # Keys are lower-cased like the names looked up, so a user's "Special-File" also
            # applies (ServeStatic kept the key as given, and such a key never matched).
            self.types_map.update({key.lower(): value for key, value in extra_types.items()})
        self.default = default

    def get_type(self, path: str) -> str:
        """Media type for ``path`` (a file path or URL): whole name first, then extension,
        both case-insensitive."""
        name = os.path.basename(path).lower()
        found = self.types_map.get(name)
        if found is not None:
            return found
        _, extension = os.path.splitext(name)
        return self.types_map.get(extension, self.default)
