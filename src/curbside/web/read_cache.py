"""What the read path of a published article can reuse between requests, in each worker process.

A published version's article never changes once built (a new approval publishes a new version number), so its
audience view (the rewritten article, its readability, and the page's rendered article body) is a pure function
of (article id, version number, audience). Related questions depend on every published question: they are kept
under the database's publication stamp, which every approval changes.

Every request still reads the article from the database (``ArticleStore.get``), which decides what the viewer may
see and which version is published *now*; only then is a cached rendering of that version looked up. So a newly
approved version is served at once, by every worker, and nothing that depends on who is asking is ever cached:
drafts, patient context, comments, notes and the viewer's own forms are built for each request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Request
from markupsafe import Markup

from curbside.articles.accounts import UserInfo
from curbside.articles.store import ArticleStore, ArticleView, BuildState
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
        self.public_bodies: BoundedLRU[bytes] = BoundedLRU(capacity)

    def read(self, store: ArticleStore, article_id: str, viewer: UserInfo | None, audience: Audience, *,
             version: int | None = None) -> ArticleRead:
        # The stamp is read before the view, so a view kept under a stamp is never older than the stamp says.
        stamp = store.publication_stamp()
        view = self._view(store, article_id, viewer, version, stamp)
        return ArticleRead(view, self._rendering(view, audience), self._related(store, view, stamp),
                           stamp if viewer is None else None)

    def public_body(self, read: ArticleRead, audience: Audience, version: int | None,
                    make: Callable[[], bytes]) -> bytes | None:
        """An anonymous reader's whole answer for ``read`` (the API's JSON), made once per publication stamp: every
        anonymous reader of (article, requested version, audience) gets the same bytes until the next approval.
        None for a signed-in viewer, whose answer is made for each request."""
        stamp = read.public_stamp
        if stamp is None:
            return None
        article_id = read.view.id

        def make_once() -> bytes:
            self.public_bodies.discard_if(lambda key: key[3] != stamp)
            return make()

        return self.public_bodies.get_or_make((article_id, version, audience, stamp), make_once)

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
