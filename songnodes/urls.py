"""URL routes: the admin, and the REST endpoints, metrics and API docs (enrichment/api/urls.py)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("enrichment.api.urls")),
]
