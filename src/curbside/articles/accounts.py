"""Users, passwords (argon2), browser sessions, API tokens and login rate limiting.

Secrets (session cookies, API tokens) are random; the database stores only their SHA-256, so a copy of the
database does not let anyone in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from curbside.articles.db import Database
from curbside.articles.models import ApiToken, LoginAttempt, User, WebSession, utcnow
from curbside.articles.workflow import Permission, Role, has_permission
from curbside.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
)
from curbside.settings import WebSettings

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024  # argon2 hashes anything, but a megabyte "password" is an attack, not a password
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")


@dataclass(frozen=True)
class UserInfo:
    """A user as the rest of the app sees it (no password hash)."""

    id: int
    email: str
    role: str

    def can(self, permission: Permission) -> bool:
        return has_permission(self.role, permission)

    @classmethod
    def of(cls, user: User) -> UserInfo:
        return cls(user.id, user.email, user.role)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalize_email(email: str) -> str:
    value = (email or "").strip().lower()
    if not _EMAIL.match(value):
        raise InvalidInputError(f"{email!r} is not an email address.")
    return value


def parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise InvalidInputError(f"Unknown role {role!r}. Choose one of: {choices}.") from None


class Accounts:
    def __init__(self, db: Database, settings: WebSettings) -> None:
        self.db = db
        self.settings = settings
        self._hasher = PasswordHasher()
        # Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    # --- users ---------------------------------------------------------------------------------
    def add_user(self, email: str, password: str, role: str) -> UserInfo:
        address = normalize_email(email)
        parsed_role = parse_role(role)
        if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
            raise InvalidInputError(
                f"The password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters long."
            )
        with self.db.session() as session:
            if session.scalar(select(User).where(User.email == address)) is not None:
                raise ConflictError(f"A user {address} already exists. Use `curbside users set-role` to change the role.")
            user = User(email=address, password_hash=self._hasher.hash(password), role=parsed_role.value)
            session.add(user)
            session.flush()
            return UserInfo.of(user)

    def set_role(self, email: str, role: str) -> UserInfo:
        address = normalize_email(email)
        parsed_role = parse_role(role)
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.email == address))
            if user is None:
                raise NotFoundError(f"No user {address}.")
            user.role = parsed_role.value
            return UserInfo.of(user)

    def list_users(self) -> list[UserInfo]:
        with self.db.session() as session:
            return [UserInfo.of(u) for u in session.scalars(select(User).order_by(User.email))]

    def get_user(self, user_id: int) -> UserInfo | None:
        with self.db.session() as session:
            user = session.get(User, user_id)
            return UserInfo.of(user) if user is not None and user.active else None

    # --- passwords and rate limiting ------------------------------------------------------------
    def _recent_failures(self, session: object, email: str, address: str) -> int:
        since = utcnow() - timedelta(seconds=self.settings.login_window_seconds)
        query = select(func.count(LoginAttempt.id)).where(
            LoginAttempt.email == email,
            LoginAttempt.address == address,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at >= since,
        )
        return int(session.scalar(query) or 0)  # type: ignore[attr-defined]

    def authenticate(self, email: str, password: str, address: str = "unknown") -> UserInfo:
        """The user with this email and password; ``RateLimitedError`` after too many recent failures."""
        key = (email or "").strip().lower()[:320]
        with self.db.session() as session:
            if self._recent_failures(session, key, address) >= self.settings.login_max_failures:
                minutes = max(1, self.settings.login_window_seconds // 60)
                raise RateLimitedError(f"Too many failed sign-ins. Try again in {minutes} minutes.")
            user = session.scalar(select(User).where(User.email == key)) if key else None
            ok = False
            try:
                ok = self._hasher.verify(user.password_hash if user else self._dummy_hash, password or "")
            except (VerificationError, InvalidHashError):
                ok = False
            ok = ok and user is not None and user.active
            session.add(LoginAttempt(email=key, address=address[:64], succeeded=ok))
            if not ok:
                # Commit the failed attempt before raising, so the rate limit counts it.
                session.commit()
                raise AuthenticationError("Wrong email or password.")
            assert user is not None
            if self._hasher.check_needs_rehash(user.password_hash):
                user.password_hash = self._hasher.hash(password)
            return UserInfo.of(user)

    # --- API tokens -------------------------------------------------------------------------------
    def create_token(self, user: UserInfo) -> str:
        token = "cbs_" + secrets.token_urlsafe(32)
        with self.db.session() as session:
            session.add(ApiToken(user_id=user.id, token_hash=_digest(token)))
        return token

    def user_for_token(self, token: str) -> UserInfo:
        with self.db.session() as session:
            row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
            if row is None or not row.user.active:
                raise AuthenticationError("Unknown or revoked API token. Get one from POST /api/auth/token.")
            row.last_used_at = utcnow()
            return UserInfo.of(row.user)

    # --- browser sessions ---------------------------------------------------------------------------
    def create_session(self, user: UserInfo) -> str:
        token = secrets.token_urlsafe(32)
        expires = utcnow() + timedelta(hours=self.settings.session_hours)
        with self.db.session() as session:
            session.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
            session.add(WebSession(token_hash=_digest(token), user_id=user.id, expires_at=expires))
        return token

    def user_for_session(self, token: str | None) -> UserInfo | None:
        if not token:
            return None
        with self.db.session() as session:
            row = session.get(WebSession, _digest(token))
            if row is None or row.expires_at < utcnow() or not row.user.active:
                return None
            return UserInfo.of(row.user)

    def end_session(self, token: str | None) -> None:
        if token:
            with self.db.session() as session:
                session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))
