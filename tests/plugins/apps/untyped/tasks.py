from django.tasks import task


@task
def greet(name):  # type: ignore[no-untyped-def]
    """No hint, so no JSON Schema for `name`."""
