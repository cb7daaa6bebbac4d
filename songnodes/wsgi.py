"""WSGI entry point (gunicorn songnodes.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from songnodes.bootstrap import prepare

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "songnodes.settings")
prepare()  # before Django loads the apps, which import prometheus_client
application = get_wsgi_application()
