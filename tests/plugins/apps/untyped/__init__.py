"""A plug-in app with a django.tasks function whose argument has no type hint: start-up must stop."""
