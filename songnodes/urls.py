"""URL routes: the admin, and the REST endpoints, metrics and API docs (enrichment/api/urls.py)."""

from django.contrib import admin
from django.urls import include, path

from enrichment.auth_failures import throttled_login

urlpatterns = [
    # Ahead of the admin's own route: too many failed logins from an address answer 429.
    path("admin/login/", throttled_login(admin.site.login)),
    path("admin/", admin.site.urls),
    path("", include("enrichment.api.urls")),
]
