"""``manage.py runserver`` with ``--nostatic`` by default (``servestatic.django.runserver``)."""

from servestatic.django.runserver import next_runserver, wrap

Command = wrap(next_runserver("servestatic"), "servestatic")
