"""Legacy app path ``servestatic.runserver_nostatic`` (WhiteNoise's name for the same idea).

Use ``"servestatic"`` in ``INSTALLED_APPS`` instead; check ``servestatic.W001`` says so.
"""
