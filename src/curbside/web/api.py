"""The JSON API: everything the pages do, for programs, with bearer-token authentication.

Documented by FastAPI's OpenAPI spec at ``/openapi.json`` (browse it at ``/docs``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from curbside.articles.accounts import UserInfo
from curbside.articles.store import MAX_INT, MAX_NOTE_CHARS, BuildState
from curbside.articles.workflow import ReviewAction
from curbside.errors import AuthenticationError, InvalidInputError
from curbside.web.read_cache import ArticleRead, read_cache_of
from curbside.web.security import api_user, bearer_token, client_address, publisher_of
from curbside.writing.audience import AUDIENCES, Audience



class ErrorResponse(BaseModel):
    """Every refused request: the message, and the HTTP status again."""

    error: str
    status: int


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    words = {
        400: "the body could not be parsed at all (for example bytes that are not text, sent as JSON)",
        401: "not signed in, or an unknown, revoked or expired token",
        403: "the user's role does not allow this",
        404: "no such article (or a draft the user may not see)",
        409: "the workflow does not allow this move now (or someone else acted first)",
        413: "the request body is larger than web.max_request_bytes",
        422: "the request is not valid (a field missing, too long, out of range, or not JSON)",
        429: "too many failed sign-ins from this address for this email, or (asking, a new version, a retry) every "
             "article-build slot of this worker is taken (web.build_queue_limit); try again after Retry-After seconds",
        503: "the index or the database is unavailable just now; nothing was changed; try again after Retry-After "
             "seconds",
    }
    return {code: {"model": ErrorResponse, "description": words[code]} for code in codes}


# Every route may answer 400 (body unparseable), 413 (body too large), 422 (request not valid) and 503 (database
# unavailable).
router = APIRouter(prefix="/api", tags=["api"], responses=_errors(400, 413, 422, 503))


class TokenRequest(BaseModel):
    email: str
    password: str


class TokenResponse(BaseModel):
    token: str


class AskRequest(BaseModel):
    question: str = Field(description="the clinical question (PHI is scrubbed before it is stored)")
    context: str | None = Field(None, description="optional patient context: age, history, drugs and doses")
    parent_id: str | None = Field(
        None, max_length=64,
        description="ask a follow-up of this article; its patient context is carried only for its asker and reviewers",
    )


class ArticleRefResponse(BaseModel):
    id: str
    status: str
    version: int
    build_state: str | None = None


class ReviewRequest(BaseModel):
    action: ReviewAction
    note: str = Field(max_length=MAX_NOTE_CHARS,
                      description="why; every review action carries a note (PHI is scrubbed before it is stored)")
    version: int | None = Field(None, ge=1, le=MAX_INT,
                                description="the version reviewed (default: the latest); a stale one gets 409")


class CommentRequest(BaseModel):
    section_id: str = Field(description="a section id of the article (guidelines, research, ...) or bottom_line")
    bullet_index: int = Field(ge=0, le=MAX_INT)
    note: str = Field(max_length=MAX_NOTE_CHARS, description="the comment (PHI is scrubbed before it is stored)")
    version: int | None = Field(None, ge=1, le=MAX_INT)


class NewVersionRequest(BaseModel):
    note: str = Field(max_length=MAX_NOTE_CHARS, description="why a new version is made (PHI is scrubbed)")
    question: str | None = None
    context: str | None = None


def article_payload(read: ArticleRead, audience: str) -> dict[str, Any]:
    """The engine's article JSON (for the chosen audience) plus the workflow fields."""
    view = read.view
    payload: dict[str, Any] = {}
    readability = None
    if read.rendering is not None:
        payload.update(read.rendering.article)  # a shallow copy: the kept rendering is shared, never changed
        readability = read.rendering.readability.model_dump()
    related = [{"id": rid, "question": question, "similarity": score} for rid, question, score in read.related]
    payload.update({
        "id": view.id,
        "status": view.status,
        "version": view.version,
        "updated_at": view.updated_at.isoformat() + "Z",
        "related": related,
        "readability": readability,
        "audience": audience,
        "build_state": view.build_state,
        "build_error": view.build_error,
        "latest_version": view.latest_version,
        "published_version": view.published_version,
        "parent_id": view.parent[0] if view.parent else None,
        "followups": [{"id": fid, "question": q} for fid, q in view.followups],
        "context": view.context,
        "phi_removed": view.phi_removed or None,
        "comments": [
            {"id": c.id, "version": c.version, "section_id": c.section_id, "bullet_index": c.bullet_index,
             "note": c.note, "author": c.author, "created_at": c.created_at.isoformat() + "Z"}
            for c in view.comments
        ],
    })
    return payload


@router.post("/auth/token", response_model=TokenResponse, responses=_errors(401, 429),
             summary="Exchange an email and password for an API token (valid for web.api_token_hours)")
def create_token(body: TokenRequest, request: Request) -> TokenResponse:
    accounts = publisher_of(request).accounts
    user = accounts.authenticate(body.email, body.password, client_address(request))
    return TokenResponse(token=accounts.create_token(user))


@router.post("/auth/revoke", status_code=204, response_class=Response, responses=_errors(401),
             summary="Revoke the token sent (sign a program out); everywhere=true revokes every token and session")
def revoke_token(request: Request, everywhere: bool = Query(False, description="revoke every token and session")
                 ) -> Response:
    token = bearer_token(request)
    if token is None:
        raise AuthenticationError("Send the token to revoke as 'Authorization: Bearer TOKEN'.")
    accounts = publisher_of(request).accounts
    accounts.user_for_token(token)  # 401 for an unknown, revoked or expired token
    accounts.revoke_token(token, everywhere=everywhere)
    return Response(status_code=204)


@router.get("/me", summary="The user the token belongs to", responses=_errors(401))
def me(user: UserInfo | None = Depends(api_user)) -> dict[str, Any]:
    if user is None:
        return {"authenticated": False, "role": None}
    return {"authenticated": True, "email": user.email, "role": user.role}


@router.post("/articles", status_code=201, response_model=ArticleRefResponse, responses=_errors(401, 403, 404, 429),
             summary="Ask a question (or a follow-up); the article starts in status submitted")
def ask(body: AskRequest, request: Request, wait: bool = Query(True, description="wait for the build (bounded)"),
        user: UserInfo | None = Depends(api_user)) -> ArticleRefResponse:
    publisher = publisher_of(request)
    ref = publisher.ask(user, body.question, body.context, body.parent_id,
                        wait_seconds=publisher.settings.web.build_wait_seconds if wait else 0)
    view = publisher.store.get(ref.id, user)
    return ArticleRefResponse(id=ref.id, status=ref.status, version=ref.version, build_state=view.build_state)


@router.get("/articles", summary="List or search articles (readers see approved ones)", responses=_errors(401))
def list_articles(request: Request, status: str | None = None, q: str | None = Query(None, max_length=2000),
                  mine: bool = False, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=MAX_INT),
                  user: UserInfo | None = Depends(api_user)) -> dict[str, Any]:
    rows = publisher_of(request).store.list_articles(user, status=status, q=q, mine=mine, limit=limit, offset=offset)
    return {"articles": [
        {"id": r.id, "question": r.question, "status": r.status, "version": r.version,
         "published_version": r.published_version, "updated_at": r.updated_at.isoformat() + "Z",
         "bottom_line": r.bottom_line}
        for r in rows
    ]}


@router.get("/articles/{article_id}", summary="An article for an audience, with status, version, related questions",
            responses=_errors(401, 404))
def get_article(article_id: str, request: Request, audience: Audience = "physician",
                version: int | None = Query(None, ge=1, le=MAX_INT),
                user: UserInfo | None = Depends(api_user)) -> Response:
    if audience not in AUDIENCES:
        raise InvalidInputError(f"Unknown audience {audience!r}.")
    cache = read_cache_of(request)
    read = cache.read(publisher_of(request).store, article_id, user, audience, version=version)
    # 202 while the version is still being built: the workflow fields are there, the article is not yet.
    status = 202 if read.view.build_state in (BuildState.PENDING, BuildState.BUILDING) else 200
    # An anonymous reader's 200 is kept whole, as bytes, by read_cache.PublicAnswers in front of the app.
    payload = article_payload(read, audience)
    if status == 202 and (read.view.can_see_drafts or read.view.is_asker):
        # The LLM writer's claims so far, unverified (streamed from the endpoint); the verified article replaces them.
        payload["draft"] = publisher_of(request).draft(article_id)
    return JSONResponse(payload, status_code=status)


@router.post("/articles/{article_id}/review", response_model=ArticleRefResponse, summary="A review action",
             responses=_errors(401, 403, 404, 409))
def review(article_id: str, body: ReviewRequest, request: Request,
           user: UserInfo | None = Depends(api_user)) -> ArticleRefResponse:
    ref = publisher_of(request).store.review(article_id, user, body.action, body.note, version=body.version)
    return ArticleRefResponse(id=ref.id, status=ref.status, version=ref.version)


@router.get("/articles/{article_id}/history", responses=_errors(401, 404),
            summary="The audit log of an article (notes only for the asker and reviewers)")
def history(article_id: str, request: Request, user: UserInfo | None = Depends(api_user)) -> dict[str, Any]:
    return {"id": article_id, "history": publisher_of(request).store.history(article_id, user)}


@router.post("/articles/{article_id}/comments", status_code=201, summary="A reviewer's comment on one bullet",
             responses=_errors(401, 403, 404, 409))
def comment(article_id: str, body: CommentRequest, request: Request,
            user: UserInfo | None = Depends(api_user)) -> dict[str, Any]:
    c = publisher_of(request).store.add_comment(article_id, user, body.section_id, body.bullet_index, body.note,
                                                version=body.version)
    return {"id": c.id, "version": c.version, "section_id": c.section_id, "bullet_index": c.bullet_index,
            "note": c.note, "author": c.author}


@router.post("/articles/{article_id}/versions", status_code=201, response_model=ArticleRefResponse,
             summary="Make a new version (after changes were requested, or to refresh against a new corpus)",
             responses=_errors(401, 403, 404, 409, 429))
def new_version(article_id: str, body: NewVersionRequest, request: Request,
                wait: bool = Query(True, description="wait for the build (bounded)"),
                user: UserInfo | None = Depends(api_user)) -> ArticleRefResponse:
    publisher = publisher_of(request)
    ref = publisher.new_version(user, article_id, body.note, question=body.question, context=body.context,
                                wait_seconds=publisher.settings.web.build_wait_seconds if wait else 0)
    return ArticleRefResponse(id=ref.id, status=ref.status, version=ref.version)


@router.get("/articles/{article_id}/versions", summary="The versions of an article, with diffs",
            responses=_errors(401, 404))
def versions(article_id: str, request: Request, user: UserInfo | None = Depends(api_user)) -> dict[str, Any]:
    view = publisher_of(request).store.get(article_id, user)
    result = [
        {"version": v.number, "status": v.status, "reason": v.reason, "build_state": v.build_state,
         "corpus_snapshot": v.corpus_snapshot, "created_at": v.created_at.isoformat() + "Z",
         "diff_from_previous": v.diff_from_previous}
        for v in view.versions
    ]
    return {"id": article_id, "published_version": view.published_version, "versions": result}


@router.post("/articles/{article_id}/retry", response_model=ArticleRefResponse, summary="Build a failed version again",
             responses=_errors(401, 403, 404, 409, 429))
def retry(article_id: str, request: Request, user: UserInfo | None = Depends(api_user)) -> ArticleRefResponse:
    ref = publisher_of(request).retry(user, article_id)
    return ArticleRefResponse(id=ref.id, status=ref.status, version=ref.version)


@router.get("/health", summary="Liveness, whether the engine's index is ready, and its corpus snapshot")
def health(request: Request) -> dict[str, Any]:
    publisher = publisher_of(request)
    return {"ok": True, "engine": publisher.engine_state, "engine_error": publisher.engine_error,
            "corpus_snapshot": publisher.corpus_snapshot}
