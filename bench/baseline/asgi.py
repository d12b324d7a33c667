"""The baseline app served the way Conveyor's web process serves its plain requests: the WSGI
handler on a fixed pool of threads behind uvicorn (config.bridge, one thread hop each way), each
thread keeping its database connection (CONN_MAX_AGE 60). `python -m config.web --app
bench.baseline.asgi:application` runs it. The other serving of the baseline, gunicorn gthread,
is how most teams deploy Django."""

import os

from django.core.wsgi import get_wsgi_application

from config.bridge import WSGIBridge

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.baseline.settings"
application = WSGIBridge(get_wsgi_application(), workers=10)  # type: ignore[arg-type]
