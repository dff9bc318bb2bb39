"""The web app's tables (SQLAlchemy 2). Alembic migrations in ``articles/migrations`` create them.

An article is a question asked once; each regeneration is a new :class:`ArticleVersion` with its own
review status. The audit log is append-only: the migration installs triggers that refuse UPDATE and DELETE.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token for programs; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    user: Mapped[User] = relationship()


class WebSession(Base):
    """A browser session; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """Failed and successful logins, for rate limiting (kept in the database so every worker sees them)."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class ArticleRecord(Base):
    """The database row of an article: a question (PHI already scrubbed) and the pointer to its versions.

    Not the :class:`curbside.writing.article.Article` itself: each version's ``article_json`` holds that.
    """

    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    asker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"), nullable=True, index=True)
    question: Mapped[str] = mapped_column(Text)
    context: Mapped[str | None] = mapped_column(Text, nullable=True)
    phi_removed: Mapped[str] = mapped_column(Text, default="", doc="what was scrubbed, in words; never the values")
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    published_version: Mapped[int | None] = mapped_column(Integer, nullable=True, doc="the approved version readers see")
    question_vector: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    asker: Mapped[User | None] = relationship()
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", order_by="ArticleVersion.number", cascade="all, delete-orphan"
    )


class ArticleVersion(Base):
    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "number", name="uq_article_version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    question: Mapped[str] = mapped_column(Text, doc="the question as built for this version")
    context: Mapped[str | None] = mapped_column(Text, nullable=True)
    build_state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | building | ready | failed
    build_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    build_owner: Mapped[str | None] = mapped_column(
        String(128), nullable=True, doc="the worker building it (host:pid), so another can take over if it dies"
    )
    build_claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    article_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    corpus_snapshot: Mapped[str | None] = mapped_column(String(128), nullable=True)
    diff_from_previous: Mapped[str | None] = mapped_column(Text, nullable=True)
    question_vector: Mapped[bytes | None] = mapped_column(
        LargeBinary, nullable=True, doc="this version's question embedded; copied to the article when approved"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    built_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    status_changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    article: Mapped[ArticleRecord] = relationship(back_populates="versions")


class ReviewComment(Base):
    """A reviewer's note on one bullet (section id and index) of one version."""

    __tablename__ = "review_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("article_versions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    section_id: Mapped[str] = mapped_column(String(64))
    bullet_index: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[User | None] = relationship()


class AuditEntry(Base):
    """Who did what to which version, when, from which status to which, and why. Never edited."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[str] = mapped_column(String(32), index=True)  # no FK: the log outlives what it describes
    version: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_email: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


@event.listens_for(Session, "before_flush")
def _audit_log_is_append_only(session: Session, _context: object, _instances: object) -> None:
    # The database triggers are the real guard; this catches the mistake earlier, with a clearer message.
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise PermissionError("The audit log is append-only: entries are never edited or deleted.")
