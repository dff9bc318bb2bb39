"""The web app: FastAPI serving server-rendered pages (Jinja2, HTMX where it helps) and the JSON API.

    from curbside.web.app import create_app
    app = create_app(settings)          # curbside serve
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from curbside.articles.publisher import Publisher
from curbside.errors import CurbsideError
from curbside.settings import Settings
from curbside.web import api, pages
from curbside.web.security import VISITOR_COOKIE, YEAR_SECONDS, set_cookie

log = logging.getLogger(__name__)

# No inline scripts anywhere, so scripts are limited to this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# FastAPI's /docs page loads its assets from a CDN, which this policy (and an offline machine) would block.
DOCS_PATHS = ("/docs", "/redoc")


def create_app(settings: Settings, *, publisher: Publisher | None = None, start_builder: bool = True) -> FastAPI:
    """The app over ``settings``' data directory (or over ``publisher``, which tests build themselves)."""
    owned = publisher is None
    publisher = publisher or Publisher(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if start_builder:
            publisher.start()
        yield
        if owned:
            publisher.close()

    app = FastAPI(
        title="Curbside",
        summary="Guideline-first, cited answers to clinical questions, reviewed by a Medical Advisory Board.",
        version="1.0",
        lifespan=lifespan,
    )
    app.state.publisher = publisher
    app.state.templates = pages.make_templates()
    static_dir = resources.files("curbside.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)

    @app.middleware("http")
    async def headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        if not request.url.path.startswith(DOCS_PATHS):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if getattr(request.state, "new_visitor", False):
            set_cookie(request, response, VISITOR_COOKIE, request.state.visitor_id, YEAR_SECONDS)
        return response

    @app.exception_handler(CurbsideError)
    async def curbside_error(request: Request, exc: CurbsideError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc), "status": exc.http_status}, status_code=exc.http_status)
        return pages.error_page(request, exc.http_status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'body'}: {e.get('msg')}" for e in exc.errors()
        )
        message = f"The request is not valid: {problems}."
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message, "status": 422, "detail": exc.errors()}, status_code=422)
        return pages.error_page(request, 422, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail) if exc.detail else "Error"
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message, "status": exc.status_code}, status_code=exc.status_code)
        if exc.status_code == 404:
            message = "There is no page here."
        return pages.error_page(request, exc.status_code, message)

    return app
