"""Coverage-guided fuzz targets (atheris). Run them with ``scripts/fuzz``.

Each module exposes ``test_one_input(data: bytes)``, which raises on a broken invariant and
needs nothing but servestatic, so ``tests/security/test_fuzz_targets.py`` can replay the
seed corpus without atheris. ``main()`` hands the same function to atheris.
"""
