"""The web app: FastAPI serving server-rendered pages (Jinja2, HTMX where it helps) and the JSON API.

    from curbside.web.app import create_app
    app = create_app(settings)          # curbside serve
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from curbside.articles.publisher import Publisher
from curbside.errors import ConfigurationError, CurbsideError, ServiceUnavailableError
from curbside.settings import Settings
from curbside.web import api, api_docs, pages
from curbside.web.read_cache import PublicAnswerCache, PublicAnswers, ReadCache
from curbside.web.security import add_security_headers, redact_access_log, visitor_cookie_header

log = logging.getLogger(__name__)

# `curbside serve --workers N` hands each worker process its settings in this variable (JSON).
SETTINGS_ENV = "_CURBSIDE_SERVE_SETTINGS"
DATABASE_RETRY_AFTER_SECONDS = 5


class _BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuse a request body over ``limit`` bytes with 413: at once when Content-Length says so, else as soon
    as the streamed body passes the limit (never reading it whole)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _message(self) -> str:
        return f"The request body is larger than the limit of {self.limit} bytes (web.max_request_bytes)."

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if scope.get("path", "").startswith("/api/"):
            response: Response = JSONResponse({"error": self._message(), "status": 413}, status_code=413)
        else:
            response = pages.error_page(request, 413, self._message())
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.limit + 1
                if declared > self.limit:
                    await self._refuse(scope, receive, send)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send)


class VisitorCookie:
    """Sets the visitor cookie on the response of a request that made a new visitor id (``security.visitor_id``).
    Plain ASGI: Starlette's ``@app.middleware("http")`` (BaseHTTPMiddleware) ran every request through a task group
    and memory streams, about as much CPU as a cached article read."""

    def __init__(self, app: ASGIApp, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})  # request.state lives here, shared by every copy of the scope

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and state.get("new_visitor"):
                cookie = visitor_cookie_header(state["visitor_id"], self.secure)
                message = {**message, "headers": [*message.get("headers", []), cookie]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _validation_details(errors: Any) -> list[dict[str, Any]]:
    """Pydantic's errors without the offending input (it may be bytes, huge, or private)."""
    return [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in errors
    ]


def create_app(settings: Settings, *, publisher: Publisher | None = None, start_builder: bool = True) -> FastAPI:
    """The app over ``settings``' data directory (or over ``publisher``, which tests build themselves)."""
    owned = publisher is None
    publisher = publisher or Publisher(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        redact_access_log()  # here, not earlier: uvicorn configures its loggers before the app starts
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
        # /docs is served from this origin by api_docs (FastAPI's loads a CDN and an inline script); no /redoc.
        docs_url=None,
        redoc_url=None,
    )
    app.state.publisher = publisher
    app.state.templates = pages.make_templates()
    app.state.read_cache = ReadCache(settings.web.article_cache_entries)
    static_dir = resources.files("curbside.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(api_docs.router)
    # A 413 from here still gets the security headers: add_security_headers wraps the whole stack.
    app.add_middleware(BodySizeLimit, limit=settings.web.max_request_bytes)

    def openapi() -> dict[str, Any]:
        """FastAPI's spec, plus the limits that come from the settings rather than the models."""
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            spec = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes,
                               description=(
                                   f"Request bodies over {settings.web.max_request_bytes} bytes get 413; questions "
                                   f"and patient context over {settings.max_question_chars} characters get 422; "
                                   f"API tokens are valid for {settings.web.api_token_hours} hours; after "
                                   f"{settings.web.login_max_failures} failed sign-ins within "
                                   f"{settings.web.login_window_seconds} s, POST /api/auth/token answers 429."
                               ))
            spec["info"]["x-max-request-bytes"] = settings.web.max_request_bytes
            ask_schema = spec.get("components", {}).get("schemas", {}).get("AskRequest", {}).get("properties", {})
            for field_name in ("question", "context"):
                if field_name in ask_schema:
                    ask_schema[field_name]["maxLength"] = settings.max_question_chars
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    app.add_middleware(VisitorCookie, secure=settings.web.cookie_secure)
    # Outside the visitor cookie: an anonymous article read answered from kept bytes skips everything below.
    app.state.public_answers = PublicAnswerCache(settings.web.article_cache_entries)
    app.add_middleware(PublicAnswers, cache=app.state.public_answers, publisher=publisher,
                       cookie_secure=settings.web.cookie_secure)

    @app.exception_handler(CurbsideError)
    async def curbside_error(request: Request, exc: CurbsideError) -> Response:
        if request.url.path.startswith("/api/"):
            response: Response = JSONResponse({"error": str(exc), "status": exc.http_status},
                                              status_code=exc.http_status)
        else:
            response = pages.error_page(request, exc.http_status, str(exc))
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    async def database_unavailable(request: Request, exc: Exception) -> Response:
        # A PostgreSQL server restarting or unreachable, or SQLite locked past web.database_busy_seconds. The
        # message names the driver's error only: statement parameters (questions, notes) are never logged.
        cause = getattr(exc, "orig", None) or exc
        detail = (str(cause).strip().splitlines() or [""])[0][:200]
        log.warning("database unavailable (%s: %s); answered 503", type(cause).__name__, detail)
        return await curbside_error(request, ServiceUnavailableError(
            "The database is unavailable or busy just now; nothing was changed. Try again in a few seconds.",
            retry_after=DATABASE_RETRY_AFTER_SECONDS,
        ))

    for database_error in (OperationalError, InterfaceError, SQLAlchemyTimeoutError):
        app.add_exception_handler(database_error, database_unavailable)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        details = _validation_details(exc.errors())
        problems = "; ".join(f"{'.'.join(d['loc'][1:]) or 'body'}: {d['msg']}" for d in details)
        message = f"The request is not valid: {problems}."
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message, "status": 422, "detail": details}, status_code=422)
        return pages.error_page(request, 422, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail) if exc.detail else "Error"
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message, "status": exc.status_code}, status_code=exc.status_code)
        if exc.status_code == 404:
            message = "There is no page here."
        return pages.error_page(request, exc.status_code, message)

    # Outermost, around Starlette's error handler too: every response carries the security headers.
    add_security_headers(app, settings.web.trusted_proxies)
    return app


def create_app_from_environment() -> FastAPI:
    """The app of one worker process of `curbside serve --workers N` (a uvicorn factory): the settings are the
    ones the command resolved, handed over in ``$_CURBSIDE_SERVE_SETTINGS``."""
    raw = os.environ.get(SETTINGS_ENV)
    if not raw:
        raise ConfigurationError(f"${SETTINGS_ENV} is not set; start the workers with `curbside serve --workers N`.")
    return create_app(Settings.model_validate_json(raw))
