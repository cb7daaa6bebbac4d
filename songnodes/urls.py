"""URL routes: the admin, and (from later modules) the REST endpoints and metrics."""

from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]
