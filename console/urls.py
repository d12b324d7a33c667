"""Routes under /console/."""

from django.urls import path

from console.views import asset, shell

app_name = "console"
urlpatterns = [
    path("", shell, name="shell"),
    path("assets/<path:path>", asset, name="asset"),
]
