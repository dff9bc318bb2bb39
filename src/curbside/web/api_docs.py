"""``/docs``: Swagger UI over ``/openapi.json``, served from this origin.

FastAPI's own /docs page loads Swagger UI from a CDN and starts it with an inline script, which the site's
Content-Security-Policy forbids (and an offline machine cannot load). Here the assets are files under
``/static/vendor/swagger-ui/`` (``scripts/fetch-swagger-ui.sh``, run by ``make setup``) and the starter script is
``/static/swagger-init.js``, so /docs lives under the same policy as every other page.
"""

from __future__ import annotations

from html import escape
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from curbside.web import pages

router = APIRouter(include_in_schema=False)

SWAGGER_UI_DIR = "vendor/swagger-ui"
SWAGGER_UI_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")


def swagger_ui_installed() -> bool:
    static = resources.files("curbside.web") / "static" / SWAGGER_UI_DIR
    return all((static / name).is_file() for name in SWAGGER_UI_FILES)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    if not swagger_ui_installed():
        return pages.error_page(request, 503, "Swagger UI is not installed on this server (run "
                                "`bash scripts/fetch-swagger-ui.sh`). The API's spec is at /openapi.json.")
    spec_url = escape(request.app.openapi_url or "/openapi.json")
    return HTMLResponse(f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{escape(request.app.title)} API</title>
  <link rel="stylesheet" href="/static/{SWAGGER_UI_DIR}/swagger-ui.css">
  <script src="/static/{SWAGGER_UI_DIR}/swagger-ui-bundle.js" defer></script>
  <script src="/static/swagger-init.js" defer></script>
</head>
<body>
  <div id="swagger-ui" data-spec-url="{spec_url}"></div>
</body>
</html>
""")
