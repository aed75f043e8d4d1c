"""``manage.py runserver`` with ``--nostatic`` by default (``servestatic._django.runserver``)."""

from servestatic._django.runserver import next_runserver, wrap

Command = wrap(next_runserver("servestatic"), "servestatic")
