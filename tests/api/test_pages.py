"""HTML pages (the API docs, the admin) under the Content-Security-Policy, with their assets
served by the app: nothing on them may come from another host."""

import re

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("static_files")]


def policy(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    directives = (part.split() for part in response["Content-Security-Policy"].split(";"))
    return {name: values for name, *values in directives}


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/", "/admin/login/"])
def test_pages_load_only_from_this_origin(path):
    response = Client().get(path)
    assert response.status_code == 200
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"][0] == "'self'" and "'unsafe-inline'" not in csp["script-src"]
    assert csp["connect-src"] == ["'self'"] and csp["img-src"] == ["'self'", "data:"]
    html = response.content.decode()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "a page links another host"
    (nonce,) = [value[len("'nonce-") : -1] for value in csp["script-src"] if value.startswith("'nonce-")]
    for script in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html):  # inline scripts carry the nonce
        assert f'nonce="{nonce}"' in script or 'type="application/json"' in script


@pytest.mark.parametrize(("path", "asset"), [("/api/docs/", "swagger-ui-dist"), ("/api/redoc/", "redoc/bundles")])
def test_the_docs_load_their_assets_from_the_app(path, asset):
    html = Client().get(path).content.decode()
    (url,) = re.findall(rf'src="(/static/drf_spectacular_sidecar/{asset}/[^"]+\.[0-9a-f]{{12}}\.js)"', html)[:1]
    response = Client().get(url)
    assert response.status_code == 200 and "javascript" in response["Content-Type"]
