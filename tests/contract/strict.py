"""A strict OpenAPI 3.1 response validator (openapi-core) over the committed openapi/openapi.yaml,
for Django test-client responses and for the generated client's httpx responses."""

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
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
