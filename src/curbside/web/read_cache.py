"""What the read path of a published article can reuse between requests, in each worker process.

A published version's article never changes once built (a new approval publishes a new version number), so its
audience view (the rewritten article, its readability, and the page's rendered article body) is a pure function
of (article id, version number, audience). Related questions depend on every published question: they are kept
under the database's publication stamp, which every approval changes.

Every request still reads the article from the database (``ArticleStore.get``), which decides what the viewer may
see and which version is published *now*; only then is a cached rendering of that version looked up. So a newly
approved version is served at once, by every worker, and nothing that depends on who is asking is ever cached:
drafts, patient context, comments, notes and the viewer's own forms are built for each request.

In front of all that, ``PublicAnswers`` (ASGI middleware) keeps an anonymous reader's whole answer to
``GET /articles/{id}`` and ``GET /api/articles/{id}`` as bytes under the same publication stamp, and serves the next
anonymous reader from them without routing, a database session, a thread hop or rendering: only the stamp query
and the reader's own CSRF token (put into the kept page in place of the one it was made with) are done per request.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl

import anyio.to_thread
from fastapi import Request
from markupsafe import Markup
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from curbside.articles.accounts import UserInfo
from curbside.articles.publisher import Publisher
from curbside.articles.store import ArticleStore, ArticleView, BuildState
from curbside.web.security import (
    AUDIENCE_COOKIE,
    SESSION_COOKIE,
    VISITOR_COOKIE,
    csrf_token_for,
    is_visitor_id,
    new_visitor_id,
    visitor_cookie_header,
)
from curbside.writing.article import Article as ArticleDocument
from curbside.writing.audience import Audience, parse_audience, view_for_audience
from curbside.writing.readability import Readability

Value = TypeVar("Value")


class BoundedLRU(Generic[Value]):
    """A thread-safe least-recently-used map of at most ``capacity`` entries (0: keeps nothing).

    A missing entry is made once: requests that want it meanwhile wait for it rather than each making their own
    (fifty readers arriving at once on a fresh server otherwise made fifty copies, one after another on the GIL).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[Any, ...], Value] = OrderedDict()
        self._making: dict[tuple[Any, ...], threading.Event] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_make(self, key: tuple[Any, ...], make: Callable[[], Value]) -> Value:
        while True:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return self._entries[key]
                being_made = self._making.get(key)
                if being_made is None or self.capacity == 0:
                    self.misses += 1
                    done = self._making[key] = threading.Event()
                    break
            being_made.wait()  # then look again; made afresh below if its maker failed
        try:
            value = make()
            if self.capacity > 0:
                with self._lock:
                    self._entries[key] = value
                    while len(self._entries) > self.capacity:
                        self._entries.popitem(last=False)
            return value
        finally:
            with self._lock:
                if self._making.get(key) is done:
                    del self._making[key]
            done.set()

    def discard_if(self, stale: Callable[[tuple[Any, ...]], bool]) -> None:
        with self._lock:
            for key in [k for k in self._entries if stale(k)]:
                del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class AudienceRendering:
    """One version's article as one audience reads it. Shared between requests and threads: never mutate, except
    that the first page to need it sets ``body_html`` (two pages doing so at once set equal values)."""

    article: dict[str, Any]  # the audience view, as JSON
    readability: Readability
    body_html: Markup | None = None  # the page's rendered article body


def make_rendering(article: dict[str, Any], audience: Audience) -> AudienceRendering:
    view = view_for_audience(ArticleDocument.model_validate(article), parse_audience(audience))
    return AudienceRendering(view.article.model_dump(mode="json"), view.readability)


@dataclass(frozen=True)
class ArticleRead:
    """What a request reads of one article: the view its viewer may see, that view's article for the audience, and
    the related published questions."""

    view: ArticleView
    rendering: AudienceRendering | None
    related: list[tuple[str, str, float]]
    public_stamp: Stamp | None = None  # the publication stamp an anonymous read was made under; None signed in


Stamp = tuple[Any, ...]


class ReadCache:
    """For one app (one worker process): anonymous readers' views of published articles, the renderings of
    published versions per audience, and related questions, each bounded to ``capacity`` entries."""

    def __init__(self, capacity: int) -> None:
        self.public_views: BoundedLRU[ArticleView] = BoundedLRU(capacity)
        self.renderings: BoundedLRU[AudienceRendering] = BoundedLRU(capacity)
        self.related_lists: BoundedLRU[list[tuple[str, str, float]]] = BoundedLRU(capacity)

    def read(self, store: ArticleStore, article_id: str, viewer: UserInfo | None, audience: Audience, *,
             version: int | None = None) -> ArticleRead:
        # The stamp is read before the view, so a view kept under a stamp is never older than the stamp says.
        stamp = store.publication_stamp()
        view = self._view(store, article_id, viewer, version, stamp)
        return ArticleRead(view, self._rendering(view, audience), self._related(store, view, stamp),
                           stamp if viewer is None else None)

    def _view(self, store: ArticleStore, article_id: str, viewer: UserInfo | None, version: int | None,
              stamp: Stamp) -> ArticleView:
        """An anonymous reader sees only published versions, and what they see of an article (its published
        version, its parent and follow-ups, each as published) changes only with a publication, which changes the
        stamp. Anyone signed in may be the asker or a reviewer: their view is read afresh every time."""
        if viewer is not None:
            return store.get(article_id, viewer, version=version)

        def make() -> ArticleView:
            self.public_views.discard_if(lambda key: key[2] != stamp)
            return store.get(article_id, None, version=version)

        # A refusal (404) raises out of make and is not kept.
        return self.public_views.get_or_make((article_id, version, stamp), make)

    def _rendering(self, view: ArticleView, audience: Audience) -> AudienceRendering | None:
        """The article of ``view`` for ``audience``: kept for a built published version, made afresh for anything
        else (a draft is rendered for each request and never kept)."""
        if view.article is None:
            return None
        if not (view.is_published_view and view.build_state == BuildState.READY):
            return make_rendering(view.article, audience)
        article, article_id, version = view.article, view.id, view.version

        def make() -> AudienceRendering:
            # A newer version is published now: the older ones' renderings are served no more.
            self.renderings.discard_if(lambda key: key[0] == article_id and key[1] < version)
            return make_rendering(article, audience)

        return self.renderings.get_or_make((article_id, version, audience), make)

    def _related(self, store: ArticleStore, view: ArticleView, stamp: Stamp) -> list[tuple[str, str, float]]:
        """The published questions nearest a published article's; they change only with a publication."""
        if view.published_version is None:
            return []
        article_id = view.id

        def make() -> list[tuple[str, str, float]]:
            self.related_lists.discard_if(lambda key: key[1] != stamp)
            return store.related(article_id)

        return self.related_lists.get_or_make((article_id, stamp), make)


def read_cache_of(request: Request) -> ReadCache:
    return request.app.state.read_cache


# The two routes whose anonymous answers are kept whole, and the only query fields such a request may carry (any
# other, a flash message say, goes through the app).
PUBLIC_ARTICLE_PATH = re.compile(r"/(api/)?articles/([^/]+)")
PUBLIC_QUERY_FIELDS = frozenset({"audience", "version"})


@dataclass(frozen=True)
class KeptAnswer:
    """One anonymous answer as bytes: the body split where the CSRF token of the visitor it was made for stood."""

    stamp: Stamp
    headers: tuple[tuple[bytes, bytes], ...]  # without Content-Length and the visitor's cookie
    parts: tuple[bytes, ...]
    for_visitor: bool  # the answer named its visitor (a page's CSRF token): a new visitor gets a cookie


class PublicAnswerCache:
    """The kept answers of one app (one worker process), at most ``capacity``; used from the event loop only."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.answers: OrderedDict[tuple[Any, ...], KeptAnswer] = OrderedDict()
        self.stamp: Stamp | None = None  # the newest stamp seen; answers under an older one are dropped
        self.hits = 0

    def get(self, key: tuple[Any, ...], stamp: Stamp) -> KeptAnswer | None:
        if stamp != self.stamp:
            self.answers.clear()  # a publication: every kept answer may be stale
            self.stamp = stamp
        kept = self.answers.get(key)
        if kept is None:
            return None
        self.answers.move_to_end(key)
        self.hits += 1
        return kept

    def keep(self, key: tuple[Any, ...], answer: KeptAnswer) -> None:
        if answer.stamp != self.stamp:  # a newer publication was seen while it was made
            return
        self.answers[key] = answer
        self.answers.move_to_end(key)
        while len(self.answers) > self.capacity:
            self.answers.popitem(last=False)

    def __len__(self) -> int:
        return len(self.answers)


class PublicAnswers:
    """ASGI middleware: anonymous readers' ``GET /articles/{id}`` and ``GET /api/articles/{id}`` answers (200 only),
    kept as bytes per (path, query, audience cookie) under the publication stamp, at most ``capacity`` of them.

    Only a request with no session cookie and no ``Authorization`` header is answered from them, or makes one: any
    signed-in viewer (who may be the asker or a reviewer) goes through the app every time, and so does a request
    with an invalid session or token, which the app refuses or treats as it always has. The stamp is read for every
    request (one aggregate query), so an approval through any worker is served at once. What is particular to a
    visitor in a page, its CSRF token and the cookie that gives a new visitor an id, is put in per request."""

    def __init__(self, app: ASGIApp, cache: PublicAnswerCache, publisher: Publisher, cookie_secure: bool) -> None:
        self.app = app
        self.cache = cache
        self.publisher = publisher
        self.cookie_secure = cookie_secure
        # SQLite is a local file read in WAL mode (no waiting on writers): its stamp query runs on the event loop. A
        # server's query goes to a thread, so a database that is slow or restarting never stalls the loop.
        self.stamp_on_loop = publisher.store.db.engine.dialect.name == "sqlite"

    def _key(self, scope: Scope) -> tuple[Any, ...] | None:
        """The cache key of an anonymous GET of a public article route, or None for any other request."""
        if scope["type"] != "http" or scope["method"] != "GET" or self.cache.capacity <= 0:
            return None
        path = scope["path"]
        match = PUBLIC_ARTICLE_PATH.fullmatch(path)
        if match is None:
            return None
        cookie_header = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                return None
            if name == b"cookie":
                cookie_header += (b"; " if cookie_header else b"") + value
        cookies = cookie_parser(cookie_header.decode("latin-1")) if cookie_header else {}
        if SESSION_COOKIE in cookies:
            return None
        query = scope.get("query_string", b"")
        if query and not {name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)} <= \
                PUBLIC_QUERY_FIELDS:
            return None
        # The API reads its audience from the query only; a page from the query, else its cookie.
        audience_cookie = cookies.get(AUDIENCE_COOKIE) if match.group(1) is None else None
        return path, query, audience_cookie

    async def _stamp(self) -> Stamp:
        if self.stamp_on_loop:
            return self.publisher.store.publication_stamp()
        return await anyio.to_thread.run_sync(self.publisher.store.publication_stamp)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        try:
            stamp = await self._stamp()
        except Exception:  # the database is unavailable: the app answers (503) and logs it as for any request
            await self.app(scope, receive, send)
            return
        kept = self.cache.get(key, stamp)
        if kept is not None:
            await self._serve(kept, scope, send)
            return
        await self._make(key, stamp, scope, receive, send)

    async def _serve(self, kept: KeptAnswer, scope: Scope, send: Send) -> None:
        headers = list(kept.headers)
        body = kept.parts[0]
        if kept.for_visitor:
            cookies = {}
            for name, value in scope["headers"]:
                if name == b"cookie":
                    cookies.update(cookie_parser(value.decode("latin-1")))
            visitor = cookies.get(VISITOR_COOKIE, "")
            if not is_visitor_id(visitor):
                visitor = new_visitor_id()
                headers.append(visitor_cookie_header(visitor, self.cookie_secure))
            token = csrf_token_for(self.publisher.secret_key, visitor).encode("ascii")
            body = token.join(kept.parts)
        headers.append((b"content-length", str(len(body)).encode("ascii")))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _make(self, key: tuple[Any, ...], stamp: Stamp, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer through the app, and keep its answer when it is a whole 200 made for an anonymous viewer."""
        state = scope.setdefault("state", {})
        start: Message | None = None
        chunks: list[bytes] = []
        complete = False

        async def capture(message: Message) -> None:
            nonlocal start, complete
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        await self.app(scope, receive, capture)
        if start is None or start["status"] != 200 or not complete or state.get("user") is not None:
            return
        body = b"".join(chunks)
        visitor = state.get("visitor_id")
        parts = (body,)
        if visitor:
            parts = tuple(body.split(csrf_token_for(self.publisher.secret_key, visitor).encode("ascii")))
        visitor_cookie = VISITOR_COOKIE.encode("latin-1") + b"="
        headers = tuple((name, value) for name, value in start.get("headers", [])
                        if name != b"content-length" and not (name == b"set-cookie" and value.startswith(visitor_cookie)))
        self.cache.keep(key, KeptAnswer(stamp, headers, parts, bool(visitor)))
