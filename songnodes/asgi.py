"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from songnodes.bootstrap import prepare

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "songnodes.settings")
prepare()  # before Django loads the apps, which import prometheus_client
application = get_asgi_application()
