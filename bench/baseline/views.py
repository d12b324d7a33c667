"""The hand-written submit view: parse JSON, insert one row, `django_rq.enqueue`, answer 202."""

import json

import django_rq
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.baseline.models import Task
from bench.baseline.tasks import noop


@csrf_exempt
@require_POST
def submit(request: HttpRequest) -> HttpResponse:
    try:
        body = json.loads(request.body)
        name, kwargs = str(body["task"]), dict(body.get("kwargs") or {})
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": "invalid body"}, status=400)
    row = Task.objects.create(task=name, kwargs=kwargs)
    django_rq.enqueue(noop, str(row.id), job_id=str(row.id))
    return JsonResponse({"id": str(row.id), "state": row.state}, status=202)
