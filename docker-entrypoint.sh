#!/bin/sh
# Chooses the Conveyor process: web (migrates first), worker, scheduler, or any manage.py command.
set -e
case "$1" in
    web)
        python manage.py migrate --noinput
        exec python -m config.web --host 0.0.0.0 --port 8000 --workers "${WEB_WORKERS:-2}"
        ;;
    worker)
        exec python manage.py rqworker high default low
        ;;
    scheduler)
        exec python manage.py conveyor_scheduler
        ;;
    *)
        exec python manage.py "$@"
        ;;
esac
