"""Conveyor's Django project: settings, URLs, ASGI/WSGI entry points and process helpers."""
