"""Routes under /console/."""

from django.urls import path

from console.views import shell

app_name = "console"
urlpatterns = [
    path("", shell, name="shell"),
]
