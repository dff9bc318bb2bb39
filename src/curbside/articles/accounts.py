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
from functools import cache
from importlib import resources

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
_PASSWORD_CLASSES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"\d"), re.compile(r"[^a-zA-Z\d]"))


@cache
def common_passwords() -> frozenset[str]:
    """The small list of common passwords refused (articles/data/common_passwords.txt), lowercased."""
    text = (resources.files("curbside.articles") / "data" / "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check_password_strength(password: object) -> str:
    """The password if it is strong enough; else ``InvalidInputError`` saying why.

    At least MIN_PASSWORD_CHARS characters once surrounding spaces are stripped, at most MAX_PASSWORD_CHARS,
    not all of one class (lowercase, uppercase, digits, others), and not a common password, even with
    digits or symbols added before or after ("Password123!").
    """
    if not isinstance(password, str):
        raise InvalidInputError("The password must be text.")
    stripped = password.strip()
    if not MIN_PASSWORD_CHARS <= len(stripped) <= len(password) <= MAX_PASSWORD_CHARS:
        raise InvalidInputError(
            f"The password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters long, "
            "not counting spaces around it."
        )
    if sum(1 for pattern in _PASSWORD_CLASSES if pattern.search(stripped)) < 2 or len(set(stripped)) < 4:
        raise InvalidInputError(
            "The password is too simple: mix two or more kinds of characters (letters, capitals, digits, "
            "spaces or symbols). A few unrelated words make a good one."
        )
    lowered = stripped.lower()
    core = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", lowered)
    if lowered in common_passwords() or core in common_passwords():
        raise InvalidInputError("The password is one of the most common passwords. Choose another.")
    return password


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
        check_password_strength(password)
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

    def set_password(self, email: str, password: str) -> UserInfo:
        """A new password; every API token and browser session of the user is revoked with the old one."""
        address = normalize_email(email)
        check_password_strength(password)
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.email == address))
            if user is None:
                raise NotFoundError(f"No user {address}.")
            user.password_hash = self._hasher.hash(password)
            session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
            session.execute(delete(WebSession).where(WebSession.user_id == user.id))
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
        address = address[:64]
        # Count first, check after: the attempt is committed as a failure before the limit is checked, so of
        # many concurrent attempts at most login_max_failures get as far as the password check.
        with self.db.session() as session:
            attempt = LoginAttempt(email=key, address=address, succeeded=False)
            session.add(attempt)
            session.flush()
            attempt_id = attempt.id
        with self.db.session() as session:
            if self._recent_failures(session, key, address) > self.settings.login_max_failures:
                minutes = max(1, self.settings.login_window_seconds // 60)
                raise RateLimitedError(f"Too many failed sign-ins. Try again in {minutes} minutes.")
            user = session.scalar(select(User).where(User.email == key)) if key else None
            ok = False
            try:
                ok = self._hasher.verify(user.password_hash if user else self._dummy_hash, password or "")
            except (VerificationError, InvalidHashError):
                ok = False
            ok = ok and user is not None and user.active
            if not ok:
                raise AuthenticationError("Wrong email or password.")  # the attempt is already counted
            assert user is not None
            recorded = session.get(LoginAttempt, attempt_id)
            if recorded is not None:
                recorded.succeeded = True
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
        """The user of a live token; ``AuthenticationError`` for an unknown, revoked or expired one."""
        with self.db.session() as session:
            row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
            if row is None or not row.user.active:
                raise AuthenticationError("Unknown or revoked API token. Get one from POST /api/auth/token.")
            if row.created_at < utcnow() - timedelta(hours=self.settings.api_token_hours):
                raise AuthenticationError("This API token has expired. Get a new one from POST /api/auth/token.")
            row.last_used_at = utcnow()
            return UserInfo.of(row.user)

    def revoke_token(self, token: str, *, everywhere: bool = False) -> None:
        """Revoke this token (signing a program out); ``everywhere`` revokes every token and session of its user."""
        with self.db.session() as session:
            row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
            if row is None:
                return
            if everywhere:
                session.execute(delete(ApiToken).where(ApiToken.user_id == row.user_id))
                session.execute(delete(WebSession).where(WebSession.user_id == row.user_id))
            else:
                session.delete(row)

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
