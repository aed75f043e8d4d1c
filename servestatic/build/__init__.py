"""Build-time tools: precompressed variants, content-hashed names, the manifest.

Nothing here is imported by the server at request time; the server reads the manifest
through :func:`servestatic.build.manifest.load_digests`.
"""
