"""``manage.py runserver`` with ``--nostatic`` by default, for the legacy app path."""

from servestatic.django.runserver import next_runserver, wrap

Command = wrap(next_runserver("servestatic.runserver_nostatic"), "servestatic.runserver_nostatic")
