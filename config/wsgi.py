"""WSGI entry point (management tools, gunicorn sync workers): Django's handler with the
submit's short way (api.fastsubmit), as config.asgi serves it."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from api.fastsubmit import Handler  # noqa: E402 (needs the apps loaded)

application = Handler()
