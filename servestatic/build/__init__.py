"""Build-time tools: precompressed variants, content-hashed names, the manifest.

Modules (import them directly; this package imports nothing so that the server can read
the manifest without loading the codecs):

* ``codecs``: zstd, Brotli and gzip, the keep rule, the skip list (``CompressOptions``);
* ``compress``: many files on a thread pool, incrementally (``compress_paths``);
* ``cache``: the incremental record (``.servestatic-cache.json``);
* ``references``: finding and rewriting references in CSS and JavaScript;
* ``hashing``: hashed names in dependency order (``plan_hashes``, ``write_hashed``);
* ``manifest``: ``staticfiles.json`` and ``load_digests`` for the server;
* ``pipeline``: ``servestatic SRC DEST`` (``build``);
* ``progress``: the progress bar and the summary;
* ``files``: atomic writes.
"""
