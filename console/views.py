"""The console's views serve its HTML shell and its static files; every datum the console shows
comes from the public /api/v1/, fetched by the browser with the user's session."""

from pathlib import Path

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils._os import safe_join
from django.views.decorators.http import require_GET

ASSETS = Path(__file__).resolve().parent / "static" / "console"

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


@require_GET
def asset(request: HttpRequest, path: str) -> FileResponse:
    """One of the console's own files (ES modules, CSS, icon), from this app's static folder."""
    try:
        file = Path(safe_join(str(ASSETS), path))
    except ValueError:  # a path outside the folder
        raise Http404("no such asset") from None
    if not file.is_file():
        raise Http404("no such asset")
    response = FileResponse(file.open("rb"))
    response["Cache-Control"] = "no-cache"  # revalidated: small files, no build step to version them
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response
