"""The P1 baseline: a tiny Django project with one model and one view that inserts a row and
calls django-rq's `enqueue`, the way a team would wire it by hand (no auth, no audit, no API
framework). Served by the same uvicorn command as Conveyor, on its own database and Redis db."""
