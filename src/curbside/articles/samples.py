"""Sample articles for a new site: seed-style curbside questions, asked by a demo clinician.

They start in status Submitted like any other question; a reviewer approves them (or not) in the review queue.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from curbside.articles.accounts import UserInfo
from curbside.articles.models import Article
from curbside.articles.publisher import Publisher
from curbside.articles.store import ArticleRef
from curbside.errors import ConflictError


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
DEMO_ROLES = ("clinician", "reviewer", "admin")


def ensure_demo_accounts(publisher: Publisher) -> dict[str, tuple[str, str | None]]:
    """Demo users ``demo-<role>@curbside.local`` with random passwords, written once to a 0600 file in the
    data directory. Returns role -> (email, password or None when the account already existed)."""
    path = Path(publisher.settings.data_dir) / DEMO_ACCOUNTS_FILE
    known: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            email, _, password = line.partition(" ")
            known[email] = password
    accounts: dict[str, tuple[str, str | None]] = {}
    lines = []
    for role in DEMO_ROLES:
        email = f"demo-{role}@curbside.local"
        password = secrets.token_urlsafe(12)
        try:
            publisher.accounts.add_user(email, password, role)
        except ConflictError:
            password = known.get(email)  # type: ignore[assignment]
        accounts[role] = (email, password)
        if password:
            lines.append(f"{email} {password}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return accounts


def create_samples(publisher: Publisher, asker: UserInfo, *, wait_seconds: float = 600.0) -> list[ArticleRef]:
    """Ask each sample question not asked before, and wait for the builds. Idempotent."""
    refs = []
    with publisher.db.session() as session:
        existing = set(session.scalars(select(Article.question)))
    for sample in SAMPLE_QUESTIONS:
        if sample.question in existing:
            continue
        refs.append(publisher.store.create_article(asker, sample.question, sample.context))
    publisher.builder.wait_idle(wait_seconds)
    return refs
