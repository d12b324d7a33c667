"""App config: installed into Conveyor by naming `conveyor_signups` in CONVEYOR_APPS."""

from django.apps import AppConfig


class SignupsConfig(AppConfig):
    name = "conveyor_signups"
    label = "signups"  # its URLs are under /apps/signups/, its audit trail is `signups.signup`
    default_auto_field = "django.db.models.BigAutoField"
