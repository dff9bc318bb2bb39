"""Sample articles for a new site (``curbside samples``, :meth:`Publisher.samples`): demo accounts, and
seed-style curbside questions asked by the demo clinician.

They start in status Submitted like any other question; a reviewer approves them (or not) in the review queue.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from curbside.articles.accounts import UserInfo
from curbside.articles.models import ArticleRecord
from curbside.articles.store import ArticleRef
from curbside.articles.workflow import Role
from curbside.errors import ConflictError

if TYPE_CHECKING:  # the publisher calls this module; the type alone is needed here
    from curbside.articles.publisher import Publisher


@dataclass(frozen=True)
class SampleQuestion:
    question: str
    context: str | None = None


SAMPLE_QUESTIONS: tuple[SampleQuestion, ...] = (
    SampleQuestion(
        "Is rituximab medically necessary and standard of care for MDA5-positive dermatomyositis with "
        "rapidly progressive interstitial lung disease?",
        "Adult with MDA5+ dermatomyositis, dysphagia, dysphonia and evolving rapidly progressive ILD. "
        "Planned treatment: Truxima (rituximab) 1000 mg day 0 and 14, prednisone, tacrolimus and IVIG.",
    ),
    SampleQuestion(
        "What is the next step for severe dermatomyositis that has improved but is still active after 6 months?",
        "On IVIG, rituximab, Actemra (tocilizumab), prednisone, Plaquenil (hydroxychloroquine) and "
        "CellCept (mycophenolate mofetil).",
    ),
    SampleQuestion("Should a 55-year-old woman be screened for colorectal cancer?"),
    SampleQuestion("Does statin loading before CABG reduce postoperative atrial fibrillation?"),
)

DEMO_ACCOUNTS_FILE = "demo-accounts.txt"
DEMO_ROLES: tuple[Role, ...] = (Role.CLINICIAN, Role.REVIEWER, Role.ADMIN)


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    email: str
    password: str | None  # None when the account existed and its password is not in the accounts file


@dataclass(frozen=True)
class SamplesResult:
    """What ``curbside samples`` made: the demo accounts, the sample articles new this time (already asked
    ones are not asked again), and the file that keeps the demo passwords."""

    accounts: tuple[DemoAccount, ...]
    articles: list[ArticleRef]
    accounts_file: Path

    def account(self, role: Role | str) -> DemoAccount:
        return next(a for a in self.accounts if a.role == role)


def ensure_demo_accounts(publisher: Publisher) -> tuple[DemoAccount, ...]:
    """Demo users ``demo-<role>@curbside.local`` with random passwords, written once to a 0600 file in the
    data directory (:data:`DEMO_ACCOUNTS_FILE`). Accounts that exist already are kept."""
    path = Path(publisher.settings.data_dir) / DEMO_ACCOUNTS_FILE
    known: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            email, _, password = line.partition(" ")
            known[email] = password
    accounts: list[DemoAccount] = []
    lines = []
    for role in DEMO_ROLES:
        email = f"demo-{role}@curbside.local"
        password: str | None = secrets.token_urlsafe(12)
        try:
            publisher.accounts.add_user(email, str(password), role)
        except ConflictError:
            password = known.get(email)
        accounts.append(DemoAccount(role, email, password))
        if password:
            lines.append(f"{email} {password}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return tuple(accounts)


def create_samples(publisher: Publisher, asker: UserInfo, *, wait_seconds: float = 600.0) -> list[ArticleRef]:
    """Ask each sample question not asked before, and wait for the builds. Idempotent."""
    refs = []
    with publisher.db.session() as session:
        existing = set(session.scalars(select(ArticleRecord.question)))
    for sample in SAMPLE_QUESTIONS:
        if sample.question in existing:
            continue
        refs.append(publisher.store.create_article(asker, sample.question, sample.context))
    publisher.builder.wait_idle(wait_seconds)
    return refs


def make_samples(publisher: Publisher, *, wait_seconds: float = 600.0) -> SamplesResult:
    """Demo accounts, then the sample questions asked by the demo clinician, built before returning (the
    publisher's builder is started). Idempotent: a second call makes no new account or article."""
    accounts = ensure_demo_accounts(publisher)
    publisher.start()
    email = next(a.email for a in accounts if a.role == Role.CLINICIAN)
    clinician = next(u for u in publisher.accounts.list_users() if u.email == email)
    articles = create_samples(publisher, clinician, wait_seconds=wait_seconds)
    return SamplesResult(accounts, articles, Path(publisher.settings.data_dir) / DEMO_ACCOUNTS_FILE)
