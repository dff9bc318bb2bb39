"""The article store: asking, versions, the review workflow, comments, the audit log and related questions.

Every rule of the workflow is enforced here, on the server, inside one database transaction per action:
a refused action raises (403, 404, 409 or 422 in the API) and writes nothing. State changes are conditional
updates (``WHERE status = <the status we read>``), so two reviewers approving the same version at once
cannot both succeed, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import difflib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from curbside.articles.accounts import UserInfo
from curbside.articles.db import Database
from curbside.articles.models import (
    ArticleRecord,
    ArticleVersion,
    AuditEntry,
    ReviewComment,
    User,
    utcnow,
)
from curbside.understanding.phi import scrub_phi
from curbside.articles.workflow import (
    NEW_VERSION_FROM,
    Permission,
    ReviewAction,
    Status,
    next_status,
)
from curbside.engine import validate_question
from curbside.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    InvalidQuestionError,
    NotFoundError,
    PermissionDeniedError,
)
from curbside.settings import Settings
from curbside.writing.article import Article as ArticleDocument
from curbside.writing.render import to_markdown

MAX_NOTE_CHARS = 5000
MAX_INT = 2**31 - 1  # the largest INTEGER PostgreSQL stores (SQLite's is larger); versions and offsets stay below
BOARD = "Medical Advisory Board"


class BuildState:
    PENDING = "pending"
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class ArticleRef:
    id: str
    status: str
    version: int


@dataclass(frozen=True)
class CommentView:
    id: int
    version: int
    section_id: str
    bullet_index: int
    note: str
    author: str
    created_at: datetime


@dataclass(frozen=True)
class VersionSummary:
    number: int
    status: str
    reason: str
    build_state: str
    corpus_snapshot: str | None
    created_at: datetime
    status_changed_at: datetime
    diff_from_previous: str | None = None  # only for viewers who may see drafts


@dataclass
class ArticleView:
    """One article as a given viewer may see it: the version shown, and what they may do with it."""

    id: str
    question: str
    context: str | None
    phi_removed: str
    parent: tuple[str, str] | None  # (id, question)
    followups: list[tuple[str, str]]
    latest_version: int
    published_version: int | None
    created_at: datetime
    # the version shown
    version: int
    status: str
    reason: str
    build_state: str
    build_error: str | None
    article: dict[str, Any] | None
    corpus_snapshot: str | None
    updated_at: datetime
    diff_from_previous: str | None
    versions: list[VersionSummary] = field(default_factory=list)
    comments: list[CommentView] = field(default_factory=list)
    # what the viewer may do
    can_see_drafts: bool = False
    can_review: bool = False
    is_asker: bool = False

    @property
    def is_published_view(self) -> bool:
        return self.published_version == self.version


@dataclass(frozen=True)
class BuildJob:
    version_id: int
    article_id: str
    number: int
    question: str
    context: str | None
    previous_article_json: str | None
    needs_vector: bool
    owner: str = ""  # the worker that claimed it (host:pid)


# Whether a build claimed by (owner, claimed_at) was abandoned, so another worker may take it over.
AbandonedClaim = Callable[[str | None, datetime | None], bool]


@dataclass(frozen=True)
class ArticleSummary:
    id: str
    question: str
    status: str
    version: int
    published_version: int | None
    updated_at: datetime
    bottom_line: str | None
    asker_id: int | None


def _clean_note(note: object, *, required: bool = True) -> str:
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise InvalidInputError("The note must be text.")
    text = note.strip()
    if required and not text:
        raise InvalidInputError("Every review action carries a note: say why.")
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidInputError(f"The note is {len(text)} characters long; the limit is {MAX_NOTE_CHARS}.")
    # Notes end up in the audit log, the history and the comments: scrubbed like the question.
    return scrub_phi(text).text


def _bounded(value: object, what: str, *, low: int = 1) -> int:
    """``value`` as a whole number from ``low`` to MAX_INT, else ``InvalidInputError`` (422, never a database error)."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise InvalidInputError(f"{what} must be a whole number.") from None
    if not low <= number <= MAX_INT:
        raise InvalidInputError(f"{what} must be from {low} to {MAX_INT}.")
    return number


def _like_pattern(token: str) -> str:
    """A LIKE pattern matching ``token`` anywhere, with ``%``, ``_`` and the escape character taken literally."""
    escaped = token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _require_user(user: UserInfo | None, action: str) -> UserInfo:
    if user is None:
        raise AuthenticationError(f"Sign in to {action}.")
    return user


def article_markdown(article_json: str | None) -> str:
    if not article_json:
        return ""
    return to_markdown(ArticleDocument.model_validate_json(article_json))


def version_diff(previous_json: str | None, current_json: str, *, previous: int, current: int) -> str:
    """A unified diff of the two versions' Markdown renderings ("" when they read the same)."""
    lines = difflib.unified_diff(
        article_markdown(previous_json).splitlines(),
        article_markdown(current_json).splitlines(),
        fromfile=f"version {previous}",
        tofile=f"version {current}",
        lineterm="",
    )
    return "\n".join(lines)


class ArticleStore:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        # Called with a version id after each commit that creates a version to build (the builder's queue).
        self.on_version_created: Callable[[int], None] | None = None

    # --- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _article(session: Session, article_id: str) -> ArticleRecord:
        article = session.get(ArticleRecord, article_id) if isinstance(article_id, str) else None
        if article is None:
            raise NotFoundError(f"No article {article_id!r}.")
        return article

    @staticmethod
    def _version(session: Session, article: ArticleRecord, number: int) -> ArticleVersion:
        version = session.scalar(
            select(ArticleVersion).where(ArticleVersion.article_id == article.id, ArticleVersion.number == number)
        )
        if version is None:
            raise NotFoundError(f"Article {article.id} has no version {number}.")
        return version

    @staticmethod
    def _can_see_drafts(article: ArticleRecord, viewer: UserInfo | None) -> bool:
        return viewer is not None and (viewer.id == article.asker_id or viewer.can(Permission.REVIEW))

    def _visible(self, session: Session, article_id: str, viewer: UserInfo | None) -> ArticleRecord:
        """The article if the viewer may see some version of it; otherwise 404 (never revealing that it exists)."""
        article = self._article(session, article_id)
        if article.published_version is None and not self._can_see_drafts(article, viewer):
            raise NotFoundError(f"No article {article_id!r}.")
        return article

    def _audit(self, session: Session, article: ArticleRecord, version: int, actor: UserInfo | None, action: str,
               from_status: str | None, to_status: str | None, note: str) -> None:
        session.add(AuditEntry(
            article_id=article.id, version=version, actor_id=actor.id if actor else None,
            actor_email=actor.email if actor else "system", action=action,
            from_status=from_status, to_status=to_status, note=note,
        ))

    def _clean_text(self, question: object, context: object) -> tuple[str, str | None, str]:
        """Validated and PHI-scrubbed question and context, and what was removed, in words."""
        text = validate_question(question, self.settings.max_question_chars)
        ctx: str | None = None
        if context is not None and not isinstance(context, str):
            raise InvalidInputError("The patient context must be text.")
        if context and context.strip():
            try:
                ctx = validate_question(context, self.settings.max_question_chars, min_letter_share=0.1)
            except InvalidQuestionError as exc:
                raise InvalidQuestionError(f"Patient context: {exc}") from exc
        scrubbed_q = scrub_phi(text)
        removed = [scrubbed_q.summary()]
        if ctx is not None:
            scrubbed_c = scrub_phi(ctx)
            ctx = scrubbed_c.text
            removed.append(scrubbed_c.summary())
        return scrubbed_q.text, ctx, " ".join(r for r in removed if r)

    def _notify(self, version_ids: list[int]) -> None:
        if self.on_version_created is not None:
            for version_id in version_ids:
                self.on_version_created(version_id)

    # --- asking ------------------------------------------------------------------------------------
    def create_article(self, asker: UserInfo | None, question: object, context: object = None,
                       parent_id: str | None = None) -> ArticleRef:
        """A new article in status Submitted, queued to be built. A follow-up carries its parent's context."""
        user = _require_user(asker, "ask a question")
        if not user.can(Permission.ASK):
            raise PermissionDeniedError("Only clinicians, reviewers and admins can ask questions.")
        text, ctx, removed = self._clean_text(question, context)
        with self.db.session() as session:
            reason = "Asked."
            if parent_id is not None:
                parent = self._visible(session, str(parent_id), user)
                # The parent's patient context is private to its asker and the reviewers: carry it only for them.
                parent_context = parent.context if self._can_see_drafts(parent, user) else None
                carried = "\n".join(p for p in (parent_context, f"Follow-up to: {parent.question}") if p)
                ctx = f"{carried}\n{ctx}" if ctx else carried
                reason = f"Follow-up to article {parent.id}."
            article = ArticleRecord(
                id="a" + secrets.token_hex(6), asker_id=user.id, parent_id=parent_id, question=text,
                context=ctx, phi_removed=removed, latest_version=1,
            )
            session.add(article)
            version = ArticleVersion(
                article=article, number=1, status=Status.SUBMITTED.value, reason=reason, question=text, context=ctx,
            )
            session.add(version)
            self._audit(session, article, 1, user, "submit", None, Status.SUBMITTED.value, reason)
            session.flush()
            ref, version_id = ArticleRef(article.id, version.status, 1), version.id
        self._notify([version_id])
        return ref

    # --- reading -------------------------------------------------------------------------------------
    def get(self, article_id: str, viewer: UserInfo | None, *, version: int | None = None) -> ArticleView:
        """The article as ``viewer`` may see it: drafts for the asker and reviewers, else the published version."""
        with self.db.session() as session:
            article = self._visible(session, article_id, viewer)
            drafts = self._can_see_drafts(article, viewer)
            if version is not None:
                version = _bounded(version, "The version")
            if version is None:
                number = article.latest_version if drafts else article.published_version
            elif drafts or version == article.published_version:
                number = version
            else:
                raise NotFoundError(f"Article {article_id} has no version {version} you can see.")
            assert number is not None
            shown = self._version(session, article, number)
            versions = [
                VersionSummary(v.number, v.status, v.reason if drafts else "", v.build_state, v.corpus_snapshot, v.created_at,
                               v.status_changed_at, v.diff_from_previous if drafts else None)
                for v in article.versions
                if drafts or v.number == article.published_version
            ]
            comments: list[CommentView] = []
            if drafts:
                rows = session.scalars(
                    select(ReviewComment).where(ReviewComment.version_id == shown.id).order_by(ReviewComment.id)
                )
                comments = [
                    CommentView(c.id, shown.number, c.section_id, c.bullet_index, c.note,
                                c.author.email if c.author else "deleted user", c.created_at)
                    for c in rows
                ]
            parent = None
            if article.parent_id:
                parent_row = session.get(ArticleRecord, article.parent_id)
                if parent_row is not None and (parent_row.published_version is not None or self._can_see_drafts(parent_row, viewer)):
                    parent = (parent_row.id, parent_row.question)
            children = session.scalars(
                select(ArticleRecord).where(ArticleRecord.parent_id == article.id).order_by(ArticleRecord.created_at)
            )
            followups = [
                (c.id, c.question) for c in children
                if c.published_version is not None or self._can_see_drafts(c, viewer)
            ]
            return ArticleView(
                # Everything a reader sees comes from the version shown (the approved one, for readers).
                id=article.id, question=shown.question, context=article.context if drafts else None,
                phi_removed=article.phi_removed if drafts else "", parent=parent, followups=followups,
                latest_version=article.latest_version if drafts else number,
                published_version=article.published_version, created_at=article.created_at,
                version=shown.number, status=shown.status, reason=shown.reason if drafts else "",
                build_state=shown.build_state,
                build_error=shown.build_error if drafts else None,
                # Stored by finish_build from the validated Article: read back as the same JSON dict.
                article=json.loads(shown.article_json)
                if shown.article_json else None,
                corpus_snapshot=shown.corpus_snapshot,
                updated_at=shown.built_at or shown.created_at if shown.status != Status.APPROVED else shown.status_changed_at,
                diff_from_previous=shown.diff_from_previous if drafts else None,
                versions=versions, comments=comments, can_see_drafts=drafts,
                can_review=viewer is not None and viewer.can(Permission.REVIEW),
                is_asker=viewer is not None and viewer.id == article.asker_id,
            )

    def list_articles(self, viewer: UserInfo | None, *, status: str | None = None, q: str | None = None,
                      mine: bool = False, limit: int = 50, offset: int = 0) -> list[ArticleSummary]:
        """Articles the viewer may see, newest first. Readers see published articles (status ``approved``);
        reviewers filter by the latest version's status; ``mine`` keeps the viewer's own questions."""
        if status is not None:
            try:
                status = Status(status).value
            except ValueError:
                choices = ", ".join(s.value for s in Status)
                raise InvalidInputError(f"Unknown status {status!r}. Choose one of: {choices}.") from None
        limit = max(1, min(int(limit), 200))
        offset = _bounded(offset, "The offset", low=0)
        reviewer = viewer is not None and viewer.can(Permission.REVIEW)
        latest = and_(
            ArticleVersion.article_id == ArticleRecord.id, ArticleVersion.number == ArticleRecord.latest_version
        )
        query = select(ArticleRecord, ArticleVersion).join(ArticleVersion, latest)
        if mine:
            if viewer is None:
                return []
            query = query.where(ArticleRecord.asker_id == viewer.id)
        elif not reviewer:
            own = ArticleRecord.asker_id == viewer.id if viewer is not None else False
            query = query.where(or_(ArticleRecord.published_version.is_not(None), own))
        for token in (q or "").lower().split()[:12]:
            token = token.strip("?.,;:!\"'()")
            if len(token) >= 2:
                # The article's question is the approved one; a draft's wording is searched only by those
                # who may see the draft (reviewers, and the asker for their own).
                pattern = _like_pattern(token)
                draft_match = ArticleVersion.question.ilike(pattern, escape="\\")
                if not reviewer:
                    draft_match = and_(ArticleRecord.asker_id == viewer.id, draft_match) if viewer is not None else False
                query = query.where(or_(ArticleRecord.question.ilike(pattern, escape="\\"), draft_match))
        query = query.order_by(ArticleRecord.updated_at.desc(), ArticleRecord.id).limit(limit * 4 + offset)
        results: list[ArticleSummary] = []
        with self.db.session() as session:
            for article, latest_version in session.execute(query):
                drafts = self._can_see_drafts(article, viewer)
                shown = latest_version if drafts else self._version(session, article, article.published_version or 0)
                if status is not None and shown.status != status:
                    # A reader asking for approved articles still finds one whose newer draft awaits review.
                    if not (status == Status.APPROVED and article.published_version is not None):
                        continue
                    shown = self._version(session, article, article.published_version)
                bottom_line = None
                if shown.article_json:
                    bottom_line = json.loads(shown.article_json)["bottom_line"]
                results.append(ArticleSummary(
                    article.id, shown.question, shown.status, shown.number, article.published_version,
                    shown.status_changed_at, bottom_line, article.asker_id,
                ))
        return results[offset: offset + limit]

    # --- review ------------------------------------------------------------------------------------
    def review(self, article_id: str, actor: UserInfo | None, action: object, note: object,
               *, version: int | None = None) -> ArticleRef:
        """Move the latest version along the workflow. Forbidden moves raise and change nothing."""
        user = _require_user(actor, "review articles")
        if not user.can(Permission.REVIEW):
            raise PermissionDeniedError("Only reviewers of the Medical Advisory Board can review articles.")
        try:
            review_action = ReviewAction(str(action))
        except ValueError:
            choices = ", ".join(a.value for a in ReviewAction)
            raise InvalidInputError(f"Unknown review action {action!r}. Choose one of: {choices}.") from None
        text = _clean_note(note)
        with self.db.session() as session:
            article = self._article(session, article_id)
            number = article.latest_version if version is None else _bounded(version, "The version")
            if number != article.latest_version:
                raise ConflictError(
                    f"Version {number} is not the latest (version {article.latest_version}); review the latest."
                )
            row = self._version(session, article, number)
            current = Status(row.status)
            target = next_status(current, review_action)
            if target is None:
                raise ConflictError(f"Cannot {review_action.value.replace('_', ' ')} an article that is {current.label}.")
            if review_action in (ReviewAction.START, ReviewAction.APPROVE) and row.build_state != BuildState.READY:
                state = "could not be built" if row.build_state == BuildState.FAILED else "is still being built"
                raise ConflictError(f"Version {number} {state}; it cannot be reviewed yet.")
            if review_action is ReviewAction.APPROVE:
                if article.asker_id == user.id:
                    raise PermissionDeniedError("A reviewer cannot approve an article they asked themselves.")
                made_by = session.scalar(select(AuditEntry.id).where(
                    AuditEntry.article_id == article.id, AuditEntry.version == number,
                    AuditEntry.action.in_(("submit", "new_version")), AuditEntry.actor_id == user.id,
                ).limit(1))
                if made_by is not None:
                    raise PermissionDeniedError("A reviewer cannot approve a version they made themselves.")
            now = utcnow()
            changed = session.execute(
                update(ArticleVersion)
                .where(ArticleVersion.id == row.id, ArticleVersion.status == current.value)
                .values(status=target.value, status_changed_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if changed != 1:
                raise ConflictError("Someone else reviewed this version at the same moment. Reload and try again.")
            if target is Status.APPROVED:
                article.published_version = number
                # What readers see (list, search, title, related questions) follows the approved version.
                article.question = row.question
                if row.question_vector is not None:
                    article.question_vector = row.question_vector
            article.updated_at = now
            self._audit(session, article, number, user, review_action.value, current.value, target.value, text)
            return ArticleRef(article.id, target.value, number)

    def new_version(self, article_id: str, actor: UserInfo | None, note: object, *,
                    question: object = None, context: object = None) -> ArticleRef:
        """A new version (status Submitted) after changes were requested, or to refresh an approved or
        rejected article (e.g. a new corpus snapshot). The approved version stays published meanwhile."""
        user = _require_user(actor, "revise articles")
        text = _clean_note(note)
        with self.db.session() as session:
            article = self._article(session, article_id)
            is_reviewer = user.can(Permission.REVIEW)
            if not (is_reviewer or (user.id == article.asker_id and user.can(Permission.ASK))):
                if article.published_version is None:
                    raise NotFoundError(f"No article {article_id!r}.")
                raise PermissionDeniedError("Only the asker or a reviewer can make a new version.")
            latest = self._version(session, article, article.latest_version)
            current = Status(latest.status)
            if current not in NEW_VERSION_FROM:
                raise ConflictError(f"Version {latest.number} is {current.label}; finish its review first.")
            if current is not Status.CHANGES_REQUESTED and not is_reviewer:
                raise PermissionDeniedError("Only reviewers refresh approved or rejected articles.")
            ref, version_id = self._add_version(session, article, latest, user, text, question, context)
        self._notify([version_id])
        return ref

    def _add_version(self, session: Session, article: ArticleRecord, latest: ArticleVersion, actor: UserInfo | None,
                     note: str, question: object, context: object) -> tuple[ArticleRef, int]:
        """Version n+1 in status Submitted (queued to build), guarded against a concurrent new version."""
        new_question = article.question if question is None else question
        new_context = article.context if context is None else context
        q_text, ctx, removed = self._clean_text(new_question, new_context)
        number = article.latest_version + 1
        bumped = session.execute(
            update(ArticleRecord)
            .where(ArticleRecord.id == article.id, ArticleRecord.latest_version == latest.number)
            .values(latest_version=number, updated_at=utcnow(), context=ctx,
                    # A published article keeps its approved question until this version is approved.
                    question=q_text if article.published_version is None else article.question,
                    phi_removed=" ".join(p for p in (article.phi_removed, removed) if p))
            .execution_options(synchronize_session=False)
        ).rowcount
        if bumped != 1:
            raise ConflictError("Someone else made a new version at the same moment. Reload and try again.")
        version = ArticleVersion(
            article_id=article.id, number=number, status=Status.SUBMITTED.value, reason=note,
            question=q_text, context=ctx,
        )
        session.add(version)
        self._audit(session, article, number, actor, "new_version", latest.status, Status.SUBMITTED.value, note)
        try:
            session.flush()
        except IntegrityError as exc:
            raise ConflictError("Someone else made a new version at the same moment. Reload and try again.") from exc
        return ArticleRef(article.id, Status.SUBMITTED.value, number), version.id

    def refresh_stale(self, corpus_snapshot: str) -> list[ArticleRef]:
        """A new version of every approved article whose latest version was built from another corpus
        snapshot (run after rebuilding the index). The approved versions stay published until reviewed."""
        refs: list[ArticleRef] = []
        version_ids: list[int] = []
        with self.db.session() as session:
            latest = and_(
            ArticleVersion.article_id == ArticleRecord.id, ArticleVersion.number == ArticleRecord.latest_version
        )
            rows = session.execute(
                select(ArticleRecord, ArticleVersion).join(ArticleVersion, latest).where(
                    ArticleVersion.status == Status.APPROVED.value,
                    ArticleVersion.corpus_snapshot.is_not(None),
                    ArticleVersion.corpus_snapshot != corpus_snapshot,
                ).order_by(ArticleRecord.id)
            ).all()
            for article, version in rows:
                note = f"Corpus snapshot changed from {version.corpus_snapshot} to {corpus_snapshot}."
                ref, version_id = self._add_version(session, article, version, None, note, None, None)
                refs.append(ref)
                version_ids.append(version_id)
        self._notify(version_ids)
        return refs

    def add_comment(self, article_id: str, actor: UserInfo | None, section_id: object, bullet_index: object,
                    note: object, *, version: int | None = None) -> CommentView:
        """A reviewer's comment on one bullet of a version (default: the latest)."""
        user = _require_user(actor, "comment")
        if not user.can(Permission.REVIEW):
            raise PermissionDeniedError("Only reviewers comment on articles.")
        text = _clean_note(note)
        with self.db.session() as session:
            article = self._article(session, article_id)
            number = article.latest_version if version is None else _bounded(version, "The version")
            row = self._version(session, article, number)
            if not row.article_json:
                raise ConflictError("This version has not been built yet; there is nothing to comment on.")
            document = ArticleDocument.model_validate_json(row.article_json)
            sections = {s.id: s for s in document.sections}
            try:
                index = int(bullet_index)  # type: ignore[call-overload]
            except (TypeError, ValueError):
                raise InvalidInputError("bullet_index must be a number.") from None
            index = _bounded(index, "bullet_index", low=0)
            section_key = str(section_id)
            if section_key == "bottom_line":
                valid = index == 0
            else:
                valid = section_key in sections and 0 <= index < len(sections[section_key].bullets)
            if not valid:
                raise InvalidInputError(f"Version {row.number} has no bullet {index} in section {section_key!r}.")
            comment = ReviewComment(version_id=row.id, author_id=user.id, section_id=section_key,
                                    bullet_index=index, note=text)
            session.add(comment)
            self._audit(session, article, row.number, user, "comment", row.status, row.status,
                        f"[{section_key} #{index + 1}] {text}")
            session.flush()
            return CommentView(comment.id, row.number, section_key, index, text, user.email, comment.created_at)

    def history(self, article_id: str, viewer: UserInfo | None) -> list[dict[str, Any]]:
        """The audit log of an article, oldest first. Names are shown to the asker and reviewers only."""
        with self.db.session() as session:
            article = self._visible(session, article_id, viewer)
            drafts = self._can_see_drafts(article, viewer)
            rows = session.scalars(select(AuditEntry).where(AuditEntry.article_id == article.id).order_by(AuditEntry.id))
            entries = []
            for row in rows:
                if not drafts and row.version != article.published_version:
                    continue
                who = row.actor_email
                if not drafts:
                    who = "asker" if row.actor_id == article.asker_id else BOARD
                entries.append({
                    "at": row.at.isoformat() + "Z", "version": row.version, "actor": who, "action": row.action,
                    "from": row.from_status, "to": row.to_status,
                    # Review notes are for those who may see drafts (the asker and reviewers).
                    "note": row.note if drafts else None,
                })
            return entries

    # --- related questions -----------------------------------------------------------------------------
    def publication_stamp(self) -> tuple[Any, ...]:
        """Changes with every publication and only then: a first approval adds to the count, a later one raises
        the article's published version (an approved version is final, and numbers only grow). What readers see
        of published articles (the published versions, their questions, parents and follow-ups as published, and
        related questions) can be kept under it. One aggregate query, so every worker sees every approval at once;
        on a plain connection, as it runs for every article read (a third of the cost of an ORM session), as SQL
        compiled once (building and compiling the select on each call cost six times the rest)."""
        with self.db.engine.connect() as connection:
            row = connection.exec_driver_sql(self._publication_stamp_sql).one()
        return tuple(row)

    @cached_property
    def _publication_stamp_sql(self) -> str:
        query = (select(func.count(), func.coalesce(func.sum(ArticleRecord.published_version), 0))
                 .where(ArticleRecord.published_version.is_not(None)))
        return str(query.compile(dialect=self.db.engine.dialect, compile_kwargs={"literal_binds": True}))

    def related(self, article_id: str, limit: int | None = None) -> list[tuple[str, str, float]]:
        """The nearest published articles by the meaning of their questions (never the article itself)."""
        k = self.settings.web.related_questions if limit is None else limit
        if k <= 0:
            return []
        with self.db.session() as session:
            this = session.get(ArticleRecord, article_id)
            if this is None or this.question_vector is None:
                return []
            query_vector = np.frombuffer(this.question_vector, dtype=np.float32)
            rows = session.execute(
                select(ArticleRecord.id, ArticleRecord.question, ArticleRecord.question_vector).where(
                    ArticleRecord.published_version.is_not(None), ArticleRecord.id != article_id,
                    ArticleRecord.question_vector.is_not(None),
                )
            ).all()
        if not rows:
            return []
        matrix = np.stack([np.frombuffer(r.question_vector, dtype=np.float32) for r in rows])
        scores = matrix @ query_vector
        ranked = sorted(zip(rows, scores.tolist(), strict=True), key=lambda item: (-item[1], item[0].id))
        return [
            (row.id, row.question, round(score, 4))
            for row, score in ranked
            if score >= self.settings.web.related_min_similarity
        ][:k]

    # --- builds (used by the builder) ----------------------------------------------------------------------
    def unfinished_builds(self, abandoned: AbandonedClaim) -> list[int]:
        """Versions whose build is pending, or was claimed by a worker that is gone (a crash mid-build is simply
        built again; a build another live worker is running is left to it)."""
        with self.db.session() as session:
            rows = session.execute(
                select(ArticleVersion.id, ArticleVersion.build_state, ArticleVersion.build_owner,
                       ArticleVersion.build_claimed_at)
                .where(ArticleVersion.build_state.in_([BuildState.PENDING, BuildState.BUILDING]))
                .order_by(ArticleVersion.id)
            ).all()
        return [row.id for row in rows
                if row.build_state == BuildState.PENDING or abandoned(row.build_owner, row.build_claimed_at)]

    def claim_build(self, version_id: int, owner: str, abandoned: AbandonedClaim) -> BuildJob | None:
        """Claim a pending (or abandoned) build for ``owner``; None when there is nothing to build or another
        worker claimed it first (a conditional UPDATE, so exactly one worker wins)."""
        with self.db.session() as session:
            row = session.get(ArticleVersion, version_id)
            if row is None or row.build_state not in (BuildState.PENDING, BuildState.BUILDING):
                return None
            if row.build_state == BuildState.BUILDING and not abandoned(row.build_owner, row.build_claimed_at):
                return None
            same_claim = (ArticleVersion.build_owner.is_(None) if row.build_owner is None
                          else ArticleVersion.build_owner == row.build_owner)
            claimed = session.execute(
                update(ArticleVersion)
                .where(ArticleVersion.id == version_id, ArticleVersion.build_state == row.build_state, same_claim)
                .values(build_state=BuildState.BUILDING, build_owner=owner, build_claimed_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed != 1:
                return None
            previous = None
            if row.number > 1:
                previous = session.scalar(select(ArticleVersion.article_json).where(
                    ArticleVersion.article_id == row.article_id, ArticleVersion.number == row.number - 1))
            return BuildJob(version_id, row.article_id, row.number, row.question, row.context, previous,
                            needs_vector=row.article.question_vector is None or row.number > 1, owner=owner)

    @staticmethod
    def _still_claimed(row: ArticleVersion, job: BuildJob) -> bool:
        # Another worker took the build over (this one was thought dead): its result wins, not this one's.
        return row.build_state == BuildState.BUILDING and row.build_owner == job.owner

    def finish_build(self, job: BuildJob, document: ArticleDocument, question_vector: np.ndarray | None) -> None:
        article_json = document.to_json(indent=None)
        diff = None
        if job.number > 1:
            diff = version_diff(job.previous_article_json, article_json, previous=job.number - 1, current=job.number)
        with self.db.session() as session:
            row = session.get(ArticleVersion, job.version_id)
            if row is None or not self._still_claimed(row, job):
                return
            row.article_json = article_json
            row.corpus_snapshot = document.corpus_snapshot
            row.build_state = BuildState.READY
            row.build_error = None
            row.build_owner = None
            row.built_at = utcnow()
            row.diff_from_previous = diff
            if question_vector is not None:
                vector = np.asarray(question_vector, dtype=np.float32).tobytes()
                row.question_vector = vector
                # Related questions use the approved version's vector; a draft's waits for its approval.
                if row.article.published_version in (None, row.number):
                    row.article.question_vector = vector

    def fail_build(self, job: BuildJob, message: str) -> None:
        with self.db.session() as session:
            row = session.get(ArticleVersion, job.version_id)
            if row is not None and self._still_claimed(row, job):
                row.build_state = BuildState.FAILED
                row.build_error = message[:2000]
                row.build_owner = None

    def retry_build(self, article_id: str, actor: UserInfo | None) -> ArticleRef:
        """Build a failed version again (after the index was rebuilt, say)."""
        user = _require_user(actor, "retry a build")
        with self.db.session() as session:
            article = self._visible(session, article_id, user)
            if not self._can_see_drafts(article, user):
                raise PermissionDeniedError("Only the asker or a reviewer can retry a build.")
            row = self._version(session, article, article.latest_version)
            if row.build_state != BuildState.FAILED:
                raise ConflictError("Only a failed build can be retried.")
            row.build_state = BuildState.PENDING
            row.build_error = None
            self._audit(session, article, row.number, user, "retry_build", row.status, row.status, "Build retried.")
            ref, version_id = ArticleRef(article.id, row.status, row.number), row.id
        self._notify([version_id])
        return ref

    def user_email(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        with self.db.session() as session:
            user = session.get(User, user_id)
            return user.email if user else None
