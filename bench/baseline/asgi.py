"""The baseline app as a team would serve a plain Django project: the WSGI handler on a fixed pool
of threads (here a2wsgi, like gunicorn's threaded workers), each thread keeping its database
connection (CONN_MAX_AGE 60). `python -m config.web --app bench.baseline.asgi:application` runs it
the same way as Conveyor's web process, whose plain requests take the same path."""

import os

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.baseline.settings"
application = WSGIMiddleware(get_wsgi_application(), workers=10)  # type: ignore[arg-type]
