"""conveyor-client: a typed client for Conveyor's REST API (`conveyor_client.api_client`, generated
from openapi/openapi.yaml) and a Django task backend that runs `django.tasks` tasks on a Conveyor
service (`conveyor_client.django.RemoteBackend`, with the `django` extra)."""
