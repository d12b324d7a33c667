"""A strict OpenAPI 3.1 response validator (openapi-core) over the committed openapi/openapi.yaml,
for Django test-client responses and for the generated clients' responses (httpx), and `Seen`,
which checks every response an SDK scenario received and which operations it called."""

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SCHEMA = Path(__file__).resolve().parents[2] / "openapi" / "openapi.yaml"


@cache
def committed_schema() -> OpenAPI:
    # openapi-core 0.23 parses application/json (and vnd.api+json) only: our errors are
    # application/problem+json, which it would otherwise hand to the schema as raw bytes.
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_file_path(str(SCHEMA), config=config)


def validate_django_response(response: Any) -> None:
    """Raise unless the test client's response is what the committed schema says."""
    committed_schema().validate_response(DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response))


class _Request:
    def __init__(self, request: httpx.Request) -> None:
        url = urlsplit(str(request.url))
        self.host_url, self.path, self.method = f"{url.scheme}://{url.netloc}", url.path, request.method.lower()
        self.body, self.content_type = request.content or None, request.headers.get("Content-Type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(url.query)),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.data, self.status_code = response.read(), response.status_code
        self.content_type, self.headers = response.headers.get("Content-Type", ""), Headers(dict(response.headers))


def validate_httpx_response(response: httpx.Response) -> None:
    """Raise unless the generated client's response is what the committed schema says."""
    committed_schema().validate_response(_Request(response.request), _Response(response))


class Seen:
    """Every response an SDK scenario receives: its operation, its status, and whether the strict
    validator refused it (the Python scenario calls it as an httpx response hook, so no call can
    skip it; the TypeScript one records every exchange and each is replayed through it)."""

    def __init__(self) -> None:
        schema = yaml.safe_load(SCHEMA.read_text())
        self.operations: dict[str, str] = {}  # operationId -> tag
        self.routes: list[tuple[str, re.Pattern[str], str]] = []
        for path, item in schema["paths"].items():
            for method, operation in item.items():
                self.operations[operation["operationId"]] = operation["tags"][0]
                pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
                self.routes.append((method.upper(), pattern, operation["operationId"]))
        self.routes.sort(key=lambda route: route[1].pattern.count("[^/]+"))  # literal segments first
        self.statuses: dict[str, set[int]] = {}
        self.invalid: list[str] = []

    def __call__(self, response: httpx.Response) -> None:
        request, path = response.request, response.request.url.path
        operation = next(op for method, route, op in self.routes if method == request.method and route.match(path))
        self.statuses.setdefault(operation, set()).add(response.status_code)
        try:
            validate_httpx_response(response)
        except Exception as error:  # every refusal is reported at the end, not just the first
            self.invalid.append(f"{request.method} {path} {response.status_code}: {error!r} {error.__cause__!r}"[:2000])

    def assert_complete(self) -> None:
        """Fail unless every response was in the schema, every operation was called and every
        tag got at least one 4xx."""
        assert not self.invalid, "\n".join(self.invalid)
        assert not sorted(set(self.operations) - set(self.statuses)), "operations the scenario never called"
        refused = {self.operations[op] for op, codes in self.statuses.items() if any(400 <= c < 500 for c in codes)}
        assert not sorted(set(self.operations.values()) - refused), "tags without a 4xx"
