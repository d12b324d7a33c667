"""Plug-in apps (settings.CONVEYOR_APPS): Django apps installed into Conveyor whose `tasks`
modules are imported at start-up by every process (web, worker, scheduler) and whose `urls`
are mounted under /apps/<app label>/."""

from importlib import import_module

from django.apps import AppConfig, apps
from django.conf import settings
from django.utils.module_loading import module_has_submodule

URL_PREFIX = "apps/"


def plugin_apps() -> list[AppConfig]:
    """The app configs of the plug-in apps, in CONVEYOR_APPS order."""
    return [config for config in apps.get_app_configs() if config.name in settings.CONVEYOR_APPS]


def _submodule(config: AppConfig, name: str) -> str | None:
    return f"{config.name}.{name}" if module_has_submodule(config.module, name) else None


def discover_tasks() -> None:
    """Import each plug-in app's `tasks` module, which registers its tasks; an error names the app."""
    for config in plugin_apps():
        if (module := _submodule(config, "tasks")) is not None:
            try:
                import_module(module)
            except Exception as exc:  # re-raised with a note, never swallowed
                exc.add_note(f"while importing {module}, the tasks of plug-in app {config.name!r} (CONVEYOR_APPS)")
                raise


def url_mounts() -> list[tuple[str, str]]:
    """(prefix, urls module) for each plug-in app that has a `urls` module."""
    return [
        (f"{URL_PREFIX}{config.label}/", module)
        for config in plugin_apps()
        if (module := _submodule(config, "urls")) is not None
    ]
