"""Deployment: gunicorn settings, the worker entry point, Prometheus and Grafana files."""
