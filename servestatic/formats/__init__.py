"""Layer 1, the on-disk formats the build tool writes and the server reads.

``manifest`` (``staticfiles.json``), ``history`` (``.servestatic-history.json``),
``names`` (what a hashed or entry-point file name looks like) and ``variants`` (the
coding ↔ suffix table of precompressed siblings). They sit below both
:mod:`servestatic.serve` and :mod:`servestatic.build`, so serving never imports the build
tool and the build tool never imports the engine. Reading never raises for a malformed
document the server meets (it reads as empty); the build tool's stricter reads
(:func:`servestatic.build.history.read_history`) say what is wrong. Internal: no
compatibility promise.
"""
