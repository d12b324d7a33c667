"""The interactive API docs, Swagger UI at /api/docs/ and ReDoc at /api/redoc/, served from the
app's own static files (drf-spectacular-sidecar) under the site's Content-Security-Policy.

drf-spectacular's templates carry inline scripts and styles (and ReDoc's link Google Fonts);
these templates give each the request's CSP nonce. ReDoc's bundle also injects style elements
of its own before any nonce can reach it, so its page alone allows inline styles (which cannot
run code; its scripts still need the nonce).
"""

from typing import Any

from django.conf import settings
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView


class SwaggerView(SpectacularSwaggerView):
    template_name = "api/swagger_ui.html"


REDOC_CSP: dict[str, Any] = {**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]}


@method_decorator(csp_override(REDOC_CSP), name="get")
class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"
