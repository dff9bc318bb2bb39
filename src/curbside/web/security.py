"""Who is asking: session cookies for pages, bearer tokens for the API, CSRF tokens for forms; and the security
headers every response carries (``add_security_headers``).

The CSRF token is an HMAC of the visitor's random cookie id under the server's secret key, so it needs no
server-side storage and cannot be forged without the key. The API ignores cookies entirely (bearer tokens
only), so it needs no CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import secrets

from fastapi import Request, Response
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from curbside.articles.accounts import UserInfo
from curbside.articles.publisher import Publisher
from curbside.errors import AuthenticationError, PermissionDeniedError

SESSION_COOKIE = "curbside_session"
VISITOR_COOKIE = "curbside_visitor"
AUDIENCE_COOKIE = "curbside_audience"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
YEAR_SECONDS = 365 * 24 * 3600


def publisher_of(request: Request) -> Publisher:
    return request.app.state.publisher


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", path="/",
        secure=publisher_of(request).settings.web.cookie_secure,
    )


def is_visitor_id(value: str) -> bool:
    """Whether a visitor cookie's value is one this server could have made (else a new id is made)."""
    return 16 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum()


def new_visitor_id() -> str:
    return secrets.token_urlsafe(24)


def visitor_id(request: Request) -> str:
    """The visitor's random id (from the cookie, or new; the middleware sets the cookie on the response)."""
    existing = getattr(request.state, "visitor_id", None)
    if existing:
        return existing
    value = request.cookies.get(VISITOR_COOKIE, "")
    if not is_visitor_id(value):
        value = new_visitor_id()
        request.state.new_visitor = True
    request.state.visitor_id = value
    return value


def visitor_cookie_header(value: str, secure: bool) -> tuple[bytes, bytes]:
    """The raw ``Set-Cookie`` header that gives a new visitor their id."""
    cookie = Response()
    cookie.set_cookie(VISITOR_COOKIE, value, max_age=YEAR_SECONDS, httponly=True, samesite="lax", path="/",
                      secure=secure)
    return cookie.raw_headers[-1]


def csrf_token_for(secret_key: str, visitor: str) -> str:
    """The CSRF token of one visitor id: the same function for rendered pages and for pages served from bytes."""
    return hmac.new(secret_key.encode("utf-8"), b"csrf:" + visitor.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    return csrf_token_for(publisher_of(request).secret_key, visitor_id(request))


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing form post whose token does not match this visitor (403, nothing written)."""
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent:
        form = await request.form()
        value = form.get(CSRF_FIELD, "")
        sent = value if isinstance(value, str) else ""
    if not sent or not hmac.compare_digest(sent, csrf_token(request)):
        raise PermissionDeniedError(
            "This form has expired or did not come from this site (CSRF check failed). Reload the page and try again."
        )


def page_user(request: Request) -> UserInfo | None:
    """The signed-in user of a browser request (session cookie), or None."""
    if not hasattr(request.state, "user"):
        request.state.user = publisher_of(request).accounts.user_for_session(request.cookies.get(SESSION_COOKIE))
    return request.state.user


def api_user(request: Request) -> UserInfo | None:
    """The user of an API request (``Authorization: Bearer TOKEN``), or None when no token is sent."""
    token = bearer_token(request)
    if token is None:
        return None
    return publisher_of(request).accounts.user_for_token(token)


def bearer_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer TOKEN`` (None when no header is sent)."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("Send the token as 'Authorization: Bearer TOKEN' (get one from POST /api/auth/token).")
    return token.strip()


def _in_networks(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in networks:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(request: Request) -> str:
    """The client's address, for the login rate limit. ``X-Forwarded-For`` is believed only when the peer is one
    of ``web.trusted_proxies`` (default none): then the right-most forwarded address that is not a trusted proxy."""
    host = request.client.host if request.client else "unknown"
    trusted = publisher_of(request).settings.web.trusted_proxies
    if trusted and _in_networks(host, trusted):
        hops = [h.strip() for h in ",".join(request.headers.getlist("X-Forwarded-For")).split(",") if h.strip()]
        for hop in reversed(hops):
            if not _in_networks(hop, trusted):
                host = hop
                break
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host[:64]


# --- Security headers on every response -------------------------------------------------------------------------

# No inline scripts or styles anywhere (Swagger UI on /docs included: its assets and its starter script are files
# of this origin), so one policy serves the pages, the API and /docs. Swagger UI's stylesheet uses data: images.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # For browsers that predate CSP's frame-ancestors.
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
# Drafts and patient context are private to their asker and reviewers: no shared cache may keep any page or
# API answer. Only the static assets (the same for everyone) may be cached.
NO_STORE = "no-store"
STATIC_PREFIX = "/static/"
# Sent only on a request that arrived over https (directly, or as a trusted proxy says): over plain http it
# would be ignored, and on a test setup it would pin the host to https for a year.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


class SecurityHeaders:
    """ASGI middleware that adds ``SECURITY_HEADERS`` (and HSTS over https, and ``Cache-Control: no-store`` outside
    /static/) to every response that does not set them itself. It wraps the whole app, Starlette's error handler
    included, so a 500, a 404, a 413 and the static files get them too."""

    def __init__(self, app: ASGIApp, trusted_proxies: list[str]) -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies

    def _over_https(self, scope: Scope) -> bool:
        if scope.get("scheme") == "https":
            return True
        peer = (scope.get("client") or ("", 0))[0]
        if not (self.trusted_proxies and _in_networks(peer, self.trusted_proxies)):
            return False
        forwarded = [v for k, v in scope.get("headers", []) if k == b"x-forwarded-proto"]
        # The last value is the one the nearest (trusted) proxy wrote.
        return bool(forwarded) and forwarded[-1].decode("latin-1").split(",")[-1].strip().lower() == "https"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = dict(SECURITY_HEADERS)
        if not scope.get("path", "").startswith(STATIC_PREFIX):
            extra["Cache-Control"] = NO_STORE
        if self._over_https(scope):
            extra["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
        encoded = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in extra.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in encoded if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_security_headers(app: Starlette, trusted_proxies: list[str]) -> None:
    """Wrap ``app``'s whole middleware stack (built on its first request) in ``SecurityHeaders``: outside
    Starlette's ServerErrorMiddleware, which user middleware cannot reach, so even a 500 carries the headers."""
    build_stack = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeaders(build_stack(), trusted_proxies)

    app.build_middleware_stack = build_with_headers  # type: ignore[method-assign]


class AccessLogRedactor(logging.Filter):
    """Drops the query string from uvicorn's access log lines: a search (``/articles?q=...``) or any other
    parameter may carry patient text, and logs must never hold it. The path and status stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?[query removed]", *args[3:])
        return True


def redact_access_log(logger_name: str = "uvicorn.access") -> None:
    """Install :class:`AccessLogRedactor` on the access logger once (after the server configured logging)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, AccessLogRedactor) for f in logger.filters):
        logger.addFilter(AccessLogRedactor())

