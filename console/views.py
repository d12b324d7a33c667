"""The console's view serves its HTML shell (its ES modules and CSS are static files, served by
WhiteNoise); every datum the console shows comes from the public /api/v1/, fetched by the
browser with the user's session."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

# No inline script or style, no eval, requests to this origin only: the console is written for
# this policy (tests/console run it in Chromium with it in force).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


@require_GET
def shell(request: HttpRequest) -> HttpResponse:
    """The one HTML page; the hash part of the URL selects the console page."""
    response = render(request, "console/index.html")
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Cache-Control"] = "no-cache"
    return response
