"""Server-rendered pages. Each form posts to the server, which applies the same store rules as the API;
HTMX only polls while an article is being built. Pages work without JavaScript."""

from __future__ import annotations

from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from curbside.articles.accounts import UserInfo
from curbside.articles.store import ArticleView, BuildState
from curbside.articles.workflow import TRACKER_STEPS, Permission, Role, Status
from curbside.corpus.documents import EVIDENCE_SCALE_NAME, evidence_level_labels
from curbside.errors import AuthenticationError, CurbsideError, PermissionDeniedError
from curbside.web.security import (
    AUDIENCE_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    YEAR_SECONDS,
    check_csrf,
    client_address,
    csrf_token,
    page_user,
    publisher_of,
    set_cookie,
)
from curbside.web.read_cache import ArticleRead, AudienceRendering, read_cache_of
from curbside.writing.audience import AUDIENCE_LABELS, AUDIENCES, parse_audience
from curbside.writing.render import template_labels

router = APIRouter(include_in_schema=False)

# The article page's review banner says what happened to the version shown: only an approved version
# claims review.
REVIEW_BANNERS: dict[Status, str] = {
    Status.APPROVED: "Reviewed and approved by the Medical Advisory Board",
    Status.SUBMITTED: "Not yet reviewed: pending review by the Medical Advisory Board",
    Status.UNDER_REVIEW: "Under review by the Medical Advisory Board; not yet approved",
    Status.CHANGES_REQUESTED: "Not approved: the Medical Advisory Board requested changes",
    Status.REJECTED: "Not approved: rejected on review by the Medical Advisory Board",
}


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(resources.files("curbside.web") / "templates"))
    templates.env.globals.update(
        status_label=lambda s: Status(s).label if s in Status._value2member_map_ else s,
        urlquote=lambda s: quote(str(s), safe=""),
        **template_labels(),  # the words for each enumeration value, read by _article_body.html
        AUDIENCE_LABELS=AUDIENCE_LABELS,
        AUDIENCES=AUDIENCES,
        ROLES=[role.value for role in Role],
    )
    return templates


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    user = page_user(request)
    context.update(
        request=request, user=user, csrf_token=csrf_token(request), csrf_field=CSRF_FIELD,
        can_ask=user is not None and user.can(Permission.ASK),
        can_review=user is not None and user.can(Permission.REVIEW),
        is_admin=user is not None and user.can(Permission.MANAGE_USERS),
        flash=request.query_params.get("flash"),
    )
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status_code)


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    return render(request, "error.html", status_code=status_code, status_code_value=status_code, message=message)


def redirect(url: str, flash: str | None = None) -> RedirectResponse:
    if flash:
        url += ("&" if "?" in url else "?") + urlencode({"flash": flash})
    return RedirectResponse(url, status_code=303)


def chosen_audience(request: Request) -> str:
    """The audience from the query (remembered in a cookie), else the cookie, else physician."""
    for value in (request.query_params.get("audience"), request.cookies.get(AUDIENCE_COOKIE)):
        if value:
            try:
                return parse_audience(value)
            except ValueError:
                continue
    return "physician"


def tracker(view: ArticleView) -> list[dict[str, str]]:
    """The status tracker: Submitted, Under Review, Approved, each done, current or to come. Changes requested
    and Rejected come after Under Review, so they take the last step's place."""
    status = Status(view.status)
    outcome = status in (Status.CHANGES_REQUESTED, Status.REJECTED)
    position = len(TRACKER_STEPS) - 1 if outcome else TRACKER_STEPS.index(status)
    steps = []
    for i, step in enumerate(TRACKER_STEPS):
        if i < position:
            state = "done"
        elif i == position:
            state = "current done" if status is Status.APPROVED else "current"
        else:
            state = "todo"
        steps.append({"label": step.label, "state": state})
    if outcome:
        modifier = "changes" if status is Status.CHANGES_REQUESTED else "rejected"
        steps[-1] = {"label": status.label, "state": f"current {modifier}"}
    return steps


# --- home, browse, policy ----------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: UserInfo | None = Depends(page_user)) -> Response:
    store = publisher_of(request).store
    published = store.list_articles(user, status=Status.APPROVED.value, limit=10)
    mine = store.list_articles(user, mine=True, limit=10) if user is not None else []
    return render(request, "home.html", published=published, mine=mine)


@router.get("/articles", response_class=HTMLResponse)
def browse(request: Request, q: str | None = None, status: str | None = None,
           user: UserInfo | None = Depends(page_user)) -> Response:
    reviewer = user is not None and user.can(Permission.REVIEW)
    chosen = status if (reviewer and status) else (None if reviewer else Status.APPROVED.value)
    rows = publisher_of(request).store.list_articles(user, status=chosen, q=q, limit=100)
    return render(request, "articles.html", rows=rows, q=q or "", status=status or "", statuses=list(Status),
                  reviewer=reviewer)


@router.get("/policy", response_class=HTMLResponse)
def policy(request: Request) -> Response:
    return render(request, "policy.html", evidence_levels=evidence_level_labels(), scale_name=EVIDENCE_SCALE_NAME)


# --- sign in ---------------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", next=next if next.startswith("/") and not next.startswith("//") else "/")


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(request: Request, email: str = Form(""), password: str = Form(""), next: str = Form("/")) -> Response:
    accounts = publisher_of(request).accounts
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    try:
        user = accounts.authenticate(email, password, client_address(request))
    except CurbsideError as exc:
        return render(request, "login.html", status_code=exc.http_status, error=str(exc), email=email, next=target)
    old = request.cookies.get(SESSION_COOKIE)
    accounts.end_session(old)
    response = redirect(target, "Signed in.")
    set_cookie(request, response, SESSION_COOKIE, accounts.create_session(user),
               publisher_of(request).settings.web.session_hours * 3600)
    return response


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    publisher_of(request).accounts.end_session(request.cookies.get(SESSION_COOKIE))
    response = redirect("/", "Signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- asking ------------------------------------------------------------------------------------------------
@router.get("/ask", response_class=HTMLResponse)
def ask_form(request: Request, q: str = "", parent: str | None = None,
             user: UserInfo | None = Depends(page_user)) -> Response:
    return render(request, "ask.html", question=q, context="", parent=parent)


@router.post("/ask", dependencies=[Depends(check_csrf)])
def ask(request: Request, question: str = Form(""), context: str = Form(""), parent_id: str = Form(""),
        user: UserInfo | None = Depends(page_user)) -> Response:
    if user is None:
        raise AuthenticationError("Sign in as a clinician to ask a question.")
    try:
        ref = publisher_of(request).ask(user, question, context or None, parent_id or None)
    except CurbsideError as exc:
        if exc.http_status == 422:
            return render(request, "ask.html", status_code=422, error=str(exc), question=question,
                          context=context, parent=parent_id or None)
        raise
    return redirect(f"/articles/{ref.id}")


# --- the article page --------------------------------------------------------------------------------------
def _article_body_html(request: Request, rendering: AudienceRendering, audience: str) -> Markup:
    """The article body (``_article_body.html``) of one rendering; kept with it, so a published version's body is
    rendered once per audience. It depends on the article and the audience only, never on who is reading."""
    if rendering.body_html is None:
        template = request.app.state.templates.get_template("_article_body.html")
        rendering.body_html = Markup(template.render(
            article=rendering.article, audience=audience, evidence_levels=evidence_level_labels(),
        ))
    return rendering.body_html


def _article_context(request: Request, read: ArticleRead, audience: str) -> dict[str, Any]:
    view, rendering = read.view, read.rendering
    body = body_html = readability = None
    if rendering is not None:
        body, readability = rendering.article, rendering.readability
        body_html = _article_body_html(request, rendering, audience)
    related = read.related
    bullets = []
    if view.article is not None and view.can_review:
        bullets.append(("bottom_line", 0, "Bottom line: " + view.article["bottom_line"][:90]))
        for section in view.article["sections"]:
            for i, bullet in enumerate(section["bullets"]):
                bullets.append((section["id"], i, f"{section['heading']} #{i + 1}: {bullet['text'][:90]}"))
    return {
        "view": view, "article": body, "article_body_html": body_html, "audience": audience, "readability": readability, "related": related,
        "steps": tracker(view), "building": view.build_state in (BuildState.PENDING, BuildState.BUILDING),
        "failed": view.build_state == BuildState.FAILED, "evidence_levels": evidence_level_labels(),
        "comment_targets": bullets, "approved": view.status == Status.APPROVED.value,
        "review_banner": REVIEW_BANNERS[Status(view.status)],
        "newer_draft": view.can_see_drafts and view.published_version is not None
        and view.latest_version != view.published_version,
    }


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: str, version: int | None = None,
                 user: UserInfo | None = Depends(page_user)) -> Response:
    audience = chosen_audience(request)
    read = read_cache_of(request).read(publisher_of(request).store, article_id, user, audience, version=version)
    response = render(request, "article.html", **_article_context(request, read, audience))
    if request.query_params.get("audience") == audience:
        set_cookie(request, response, AUDIENCE_COOKIE, audience, YEAR_SECONDS)
    return response


@router.get("/articles/{article_id}/build-status", response_class=HTMLResponse)
def build_status(request: Request, article_id: str, user: UserInfo | None = Depends(page_user)) -> Response:
    """Polled by HTMX while an article is built; tells the page to reload once it is ready."""
    view = publisher_of(request).store.get(article_id, user)
    if view.build_state in (BuildState.PENDING, BuildState.BUILDING):
        # The LLM writer's unverified draft, for those who may see unpublished versions (the asker, reviewers).
        draft = publisher_of(request).draft(view.id) if view.can_see_drafts or view.is_asker else []
        return render(request, "_building.html", view=view, draft=draft)
    return Response(status_code=200, headers={"HX-Refresh": "true"})


@router.post("/articles/{article_id}/review", dependencies=[Depends(check_csrf)])
def review(request: Request, article_id: str, action: str = Form(""), note: str = Form(""),
           version: int | None = Form(None), user: UserInfo | None = Depends(page_user)) -> Response:
    ref = publisher_of(request).store.review(article_id, user, action, note, version=version)
    return redirect(f"/articles/{article_id}", f"Version {ref.version} is now {Status(ref.status).label}.")


@router.post("/articles/{article_id}/comments", dependencies=[Depends(check_csrf)])
def comment(request: Request, article_id: str, target: str = Form(""), note: str = Form(""),
            user: UserInfo | None = Depends(page_user)) -> Response:
    section_id, _, index = target.rpartition(":")
    publisher_of(request).store.add_comment(article_id, user, section_id, index, note)
    return redirect(f"/articles/{article_id}#review", "Comment added.")


@router.post("/articles/{article_id}/followup", dependencies=[Depends(check_csrf)])
def followup(request: Request, article_id: str, question: str = Form(""), context: str = Form(""),
             user: UserInfo | None = Depends(page_user)) -> Response:
    if user is None:
        raise AuthenticationError("Sign in as a clinician to ask a follow-up question.")
    ref = publisher_of(request).ask(user, question, context or None, article_id)
    return redirect(f"/articles/{ref.id}")


@router.post("/articles/{article_id}/versions", dependencies=[Depends(check_csrf)])
def new_version(request: Request, article_id: str, note: str = Form(""), question: str = Form(""),
                context: str = Form(""), user: UserInfo | None = Depends(page_user)) -> Response:
    ref = publisher_of(request).new_version(user, article_id, note, question=question or None,
                                            context=context if context.strip() else None)
    return redirect(f"/articles/{article_id}", f"Version {ref.version} was submitted.")


@router.post("/articles/{article_id}/retry", dependencies=[Depends(check_csrf)])
def retry(request: Request, article_id: str, user: UserInfo | None = Depends(page_user)) -> Response:
    publisher_of(request).retry(user, article_id)
    return redirect(f"/articles/{article_id}", "The build was queued again.")


@router.get("/articles/{article_id}/history", response_class=HTMLResponse)
def history(request: Request, article_id: str, user: UserInfo | None = Depends(page_user)) -> Response:
    store = publisher_of(request).store
    view = store.get(article_id, user)
    return render(request, "history.html", view=view, entries=store.history(article_id, user))


# --- review queue and users ------------------------------------------------------------------------------------
@router.get("/review", response_class=HTMLResponse)
def review_queue(request: Request, user: UserInfo | None = Depends(page_user)) -> Response:
    if user is None:
        return redirect("/login?next=/review")
    if not user.can(Permission.REVIEW):
        raise PermissionDeniedError("The review queue is for reviewers of the Medical Advisory Board.")
    store = publisher_of(request).store
    queues = [(Status(s).label, store.list_articles(user, status=s, limit=200))
              for s in (Status.SUBMITTED, Status.UNDER_REVIEW, Status.CHANGES_REQUESTED)]
    return render(request, "review_queue.html", queues=queues)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, user: UserInfo | None = Depends(page_user)) -> Response:
    if user is None or not user.can(Permission.MANAGE_USERS):
        raise PermissionDeniedError("Only admins manage users.")
    return render(request, "users.html", users=publisher_of(request).accounts.list_users())


@router.post("/admin/users", dependencies=[Depends(check_csrf)])
def add_or_change_user(request: Request, email: str = Form(""), role: str = Form(""), password: str = Form(""),
                       user: UserInfo | None = Depends(page_user)) -> Response:
    if user is None or not user.can(Permission.MANAGE_USERS):
        raise PermissionDeniedError("Only admins manage users.")
    accounts = publisher_of(request).accounts
    if password:
        accounts.add_user(email, password, role)
        return redirect("/admin/users", f"Added {email}.")
    accounts.set_role(email, role)
    return redirect("/admin/users", f"{email} is now {role}.")
