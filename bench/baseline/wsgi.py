"""The baseline app as most Django teams deploy it: gunicorn's threaded worker on this WSGI
application (`gunicorn -w 2 -k gthread --threads 4 bench.baseline.wsgi:application`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.baseline.settings"
application = get_wsgi_application()
