"""The review workflow, roles, versions and audit log, enforced by the store (SQLite; no index, no model).

Every forbidden move must raise the error the API turns into 403/404/409/422, and change nothing.
"""

from __future__ import annotations

import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from curbside.articles.accounts import Accounts, UserInfo
from curbside.articles.builder import ArticleBuilder
from curbside.articles.db import Database
from curbside.articles.store import ArticleStore
from curbside.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    InvalidQuestionError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)
from curbside.settings import load_settings
from curbside.understanding import PatientContext
from curbside.writing.article import (
    Article,
    Bullet,
    QueryInfo,
    Quote,
    Reference,
    Section,
    WriterInfo,
)

PASSWORD = "correct horse battery"


def fake_article(question: str, article_id: str) -> Article:
    quote = Quote(doc_id="uspstf-1", passage_id="uspstf-1#0", start=0, end=20, text="Screening is advised")
    bullet = Bullet(text=f"Screening is advised ({question[:20]}).", citations=[1], quotes=[quote],
                    doc_type="guideline", evidence_level=1, relevance=0.9, grade="A")
    return Article(
        id=article_id, title=question, question=question, bottom_line="Screening is advised.",
        bottom_line_citations=[1], bottom_line_quotes=[quote], evidence_status="sufficient",
        sections=[Section(id="guidelines", heading="From the Guidelines", bullets=[bullet])],
        references=[Reference(number=1, doc_id="uspstf-1", title="Screening", source="uspstf", doc_type="guideline",
                              doc_type_label="Guideline", evidence_level=1)],
        patient_story=PatientContext(), query=QueryInfo(clinical_question=question, keywords=[], expansions=[],
                                                       mesh_terms=[]),
        corpus_snapshot="snap-1", evidence_scale="test", writer=WriterInfo(name="fake", version="0", preset="x",
                                                                             settings={}),
        disclaimer="Not medical advice.",
    )


class Site:
    def __init__(self, tmp_path: Path, url: str | None = None) -> None:
        self.settings = load_settings(environ={}, data_dir=tmp_path,
                                      web={"database_url": url or f"sqlite:///{tmp_path / 'web.db'}"})
        self.db = Database(self.settings.database_url())
        self.accounts = Accounts(self.db, self.settings.web)
        self.store = ArticleStore(self.db, self.settings)
        self.asked: list[str] = []

        def ask(question: str, context: str | None, article_id: str) -> Article:
            self.asked.append(f"{context} | {question}" if context else question)
            if "explode" in question:
                raise RuntimeError("boom")
            return fake_article(question, article_id)

        def embed(question: str) -> np.ndarray:
            vector = np.zeros(8, dtype=np.float32)
            for word in question.lower().split():
                vector[zlib.crc32(word.encode()) % 8] += 1  # not hash(): it changes per process
            return vector / (np.linalg.norm(vector) or 1)

        self.builder = ArticleBuilder(self.store, ask, embed)
        self.store.on_version_created = self.builder.build  # build at once, in the caller's thread
        self.clinician = self.accounts.add_user("clin@example.org", PASSWORD, "clinician")
        self.reviewer = self.accounts.add_user("rev@example.org", PASSWORD, "reviewer")
        self.reviewer2 = self.accounts.add_user("rev2@example.org", PASSWORD, "reviewer")
        self.reader = self.accounts.add_user("reader@example.org", PASSWORD, "reader")
        self.admin = self.accounts.add_user("admin@example.org", PASSWORD, "admin")

    def table_counts(self) -> dict[str, int]:
        with self.db.engine.connect() as c:
            return {t: c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                    for t in ("articles", "article_versions", "audit_log", "review_comments")}

    def statuses(self, article_id: str) -> list[str]:
        with self.db.engine.connect() as c:
            return [r[0] for r in c.execute(
                text("SELECT status FROM article_versions WHERE article_id = :a ORDER BY number"), {"a": article_id})]


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


def approve(site: Site, article_id: str, reviewer: UserInfo | None = None) -> None:
    reviewer = reviewer or site.reviewer
    site.store.review(article_id, reviewer, "start", "Checking the sources.")
    site.store.review(article_id, reviewer, "approve", "Every statement matches its source.")


# --- asking -------------------------------------------------------------------------------------------------
def test_a_clinician_asks_and_the_article_is_submitted_and_built(site: Site) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?", "52-year-old man")
    assert (ref.status, ref.version) == ("submitted", 1)
    view = site.store.get(ref.id, site.clinician)
    assert view.build_state == "ready" and view.article is not None
    assert view.article["title"] == "Should adults be screened for diabetes?"
    assert site.asked == ["52-year-old man | Should adults be screened for diabetes?"]
    assert [e["action"] for e in site.store.history(ref.id, site.clinician)] == ["submit"]


@pytest.mark.parametrize("who", ["anonymous", "reader"])
def test_only_clinicians_and_up_can_ask(site: Site, who: str) -> None:
    user = None if who == "anonymous" else site.reader
    error = AuthenticationError if user is None else PermissionDeniedError
    with pytest.raises(error):
        site.store.create_article(user, "Should adults be screened for diabetes?")
    assert site.table_counts()["articles"] == 0


@pytest.mark.parametrize("question", ["", "   ", "x" * 2001, "\x00\x01\x02"])
def test_bad_questions_are_refused_and_nothing_is_written(site: Site, question: str) -> None:
    with pytest.raises(InvalidQuestionError):
        site.store.create_article(site.clinician, question)
    assert site.table_counts() == {"articles": 0, "article_versions": 0, "audit_log": 0, "review_comments": 0}


def test_a_failed_build_is_kept_retryable(site: Site) -> None:
    ref = site.store.create_article(site.clinician, "Will this explode?")
    view = site.store.get(ref.id, site.clinician)
    assert view.build_state == "failed" and "Internal error" in (view.build_error or "")
    with pytest.raises(ConflictError):
        site.store.review(ref.id, site.reviewer, "start", "Looking.")
    site.asked.clear()
    site.store.retry_build(ref.id, site.clinician)
    assert site.asked == ["Will this explode?"]


# --- drafts and visibility ---------------------------------------------------------------------------------
def test_drafts_are_visible_only_to_the_asker_and_reviewers(site: Site) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    other = site.accounts.add_user("other@example.org", PASSWORD, "clinician")
    for viewer in (None, site.reader, other):
        with pytest.raises(NotFoundError):
            site.store.get(ref.id, viewer)
        with pytest.raises(NotFoundError):
            site.store.history(ref.id, viewer)
        assert site.store.list_articles(viewer) == []
    assert site.store.get(ref.id, site.reviewer).status == "submitted"
    assert [a.id for a in site.store.list_articles(site.clinician, mine=True)] == [ref.id]


def test_approved_articles_are_public_and_searchable(site: Site) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    site.store.create_article(site.clinician, "Is aspirin useful after a stroke?")
    approve(site, ref.id)
    view = site.store.get(ref.id, None)
    assert (view.status, view.version, view.context) == ("approved", 1, None)
    found = site.store.list_articles(None, status="approved", q="diabetes screened")
    assert [a.id for a in found] == [ref.id]
    assert site.store.list_articles(None, status="approved", q="aspirin") == []
    history = site.store.history(ref.id, None)
    assert [e["actor"] for e in history] == ["asker", "Medical Advisory Board", "Medical Advisory Board"]


# --- the state machine ---------------------------------------------------------------------------------------
def test_the_happy_path_is_submitted_under_review_approved(site: Site) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    assert site.store.review(ref.id, site.reviewer, "start", "Taking it.").status == "under_review"
    assert site.store.review(ref.id, site.reviewer, "approve", "Sound.").status == "approved"
    entries = site.store.history(ref.id, site.reviewer)
    assert [(e["action"], e["from"], e["to"]) for e in entries] == [
        ("submit", None, "submitted"), ("start", "submitted", "under_review"), ("approve", "under_review", "approved"),
    ]
    assert all(e["note"] for e in entries)
    assert entries[2]["actor"] == "rev@example.org"


FORBIDDEN = [
    # (moves made first, the forbidden action)
    ([], "approve"),
    ([], "request_changes"),
    ([], "reject"),
    (["start"], "start"),
    (["start", "approve"], "approve"),
    (["start", "approve"], "start"),
    (["start", "approve"], "reject"),
    (["start", "reject"], "approve"),
    (["start", "request_changes"], "approve"),
    (["start", "request_changes"], "start"),
]


@pytest.mark.parametrize(("before", "action"), FORBIDDEN)
def test_forbidden_transitions_are_409_and_change_nothing(site: Site, before: list[str], action: str) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    for move in before:
        site.store.review(ref.id, site.reviewer, move, "Step.")
    counts, statuses = site.table_counts(), site.statuses(ref.id)
    with pytest.raises(ConflictError):
        site.store.review(ref.id, site.reviewer, action, "Trying.")
    assert site.table_counts() == counts and site.statuses(ref.id) == statuses


@pytest.mark.parametrize("who", ["clinician", "reader"])
def test_only_reviewers_review(site: Site, who: str) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    counts = site.table_counts()
    with pytest.raises(PermissionDeniedError):
        site.store.review(ref.id, getattr(site, who), "start", "Me too.")
    with pytest.raises(AuthenticationError):
        site.store.review(ref.id, None, "start", "Anonymous.")
    assert site.table_counts() == counts


def test_a_reviewer_cannot_approve_their_own_question(site: Site) -> None:
    ref = site.store.create_article(site.reviewer, "Should adults be screened for diabetes?")
    site.store.review(ref.id, site.reviewer, "start", "Mine, but starting.")
    with pytest.raises(PermissionDeniedError):
        site.store.review(ref.id, site.reviewer, "approve", "Self-approval.")
    assert site.statuses(ref.id) == ["under_review"]
    assert site.store.review(ref.id, site.reviewer2, "approve", "Independent check.").status == "approved"


def test_every_action_needs_a_note_and_a_known_action(site: Site) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    for action, note in (("start", ""), ("start", "   "), ("start", "x" * 5001), ("launch", "why")):
        with pytest.raises(InvalidInputError):
            site.store.review(ref.id, site.reviewer, action, note)
    assert site.statuses(ref.id) == ["submitted"]


def test_a_reviewer_acting_on_a_missing_article_gets_404(site: Site) -> None:
    with pytest.raises(NotFoundError):
        site.store.review("a000000000000", site.reviewer, "start", "Hello?")
    assert site.table_counts()["audit_log"] == 0


def test_a_stale_version_cannot_be_reviewed(site: Site) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    site.store.review(ref.id, site.reviewer, "start", "Looking.")
    site.store.review(ref.id, site.reviewer, "request_changes", "Add the age range.")
    site.store.new_version(ref.id, site.clinician, "Added the age range.", question="Should adults aged 35-70 be screened for diabetes?")
    with pytest.raises(ConflictError):
        site.store.review(ref.id, site.reviewer, "start", "Old one.", version=1)


# --- versions -----------------------------------------------------------------------------------------------
def test_changes_requested_leads_to_a_new_version_that_starts_at_submitted(site: Site) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    site.store.review(ref.id, site.reviewer, "start", "Looking.")
    with pytest.raises(ConflictError):  # not before changes were requested
        site.store.new_version(ref.id, site.clinician, "Too early.")
    site.store.review(ref.id, site.reviewer, "request_changes", "Say which adults.")
    new = site.store.new_version(ref.id, site.clinician, "Narrowed the question.",
                                 question="Should overweight adults aged 35 to 70 be screened for diabetes?")
    assert (new.version, new.status) == (2, "submitted")
    view = site.store.get(ref.id, site.reviewer)
    assert view.version == 2 and view.build_state == "ready"
    assert view.diff_from_previous and "+" in view.diff_from_previous and "version 1" in view.diff_from_previous
    assert site.statuses(ref.id) == ["changes_requested", "submitted"]
    assert site.store.history(ref.id, site.reviewer)[-1]["action"] == "new_version"


def test_an_approved_version_stays_published_until_the_next_is_approved(site: Site) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    approve(site, ref.id)
    with pytest.raises(PermissionDeniedError):  # askers do not refresh approved articles; reviewers do
        site.store.new_version(ref.id, site.clinician, "Refresh.")
    site.store.new_version(ref.id, site.reviewer, "New corpus snapshot.")
    public = site.store.get(ref.id, None)
    assert (public.version, public.status) == (1, "approved")
    assert [a.version for a in site.store.list_articles(None, status="approved")] == [1]
    assert site.store.get(ref.id, site.reviewer).version == 2
    approve(site, ref.id, site.reviewer2)
    assert site.store.get(ref.id, None).version == 2


def test_comments_attach_to_existing_bullets_only(site: Site) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    comment = site.store.add_comment(ref.id, site.reviewer, "guidelines", 0, "Cite the grade.")
    assert comment.section_id == "guidelines" and comment.author == "rev@example.org"
    assert site.store.get(ref.id, site.reviewer).comments[0].note == "Cite the grade."
    for section, index in (("guidelines", 5), ("nowhere", 0), ("guidelines", "x")):
        with pytest.raises(InvalidInputError):
            site.store.add_comment(ref.id, site.reviewer, section, index, "Nope.")
    with pytest.raises(PermissionDeniedError):
        site.store.add_comment(ref.id, site.clinician, "guidelines", 0, "Asker comment.")
    assert site.table_counts()["review_comments"] == 1


def test_follow_ups_carry_the_parent_context(site: Site) -> None:
    parent = site.store.create_article(site.clinician, "Is rituximab useful in dermatomyositis?", "On IVIG and prednisone")
    child = site.store.create_article(site.clinician, "What monitoring does it need?", parent_id=parent.id)
    view = site.store.get(child.id, site.clinician)
    assert view.parent == (parent.id, "Is rituximab useful in dermatomyositis?")
    assert "On IVIG and prednisone" in (view.context or "") and "Follow-up to: Is rituximab" in (view.context or "")
    assert site.asked[-1].endswith("What monitoring does it need?")
    assert site.store.get(parent.id, site.clinician).followups == [(child.id, "What monitoring does it need?")]
    with pytest.raises(NotFoundError):  # a follow-up of an article the asker cannot see
        other = site.accounts.add_user("other@example.org", PASSWORD, "clinician")
        site.store.create_article(other, "And then?", parent_id=parent.id)


def test_phi_is_scrubbed_before_anything_is_stored(site: Site) -> None:
    ref = site.store.create_article(
        site.clinician, "Should Mr. John Smith (MRN 12345678) be screened for diabetes?",
        "DOB 03/14/1961, phone 555-123-4567",
    )
    with site.db.engine.connect() as c:
        dump = " ".join(str(v) for row in c.execute(text("SELECT question, context FROM articles")) for v in row)
        dump += " ".join(str(v) for row in c.execute(text("SELECT question, context, article_json FROM article_versions")) for v in row)
    for secret in ("John", "Smith", "12345678", "03/14/1961", "555-123-4567"):
        assert secret not in dump
    assert "[name]" in dump and site.store.get(ref.id, site.clinician).phi_removed


# --- concurrency and the audit log ---------------------------------------------------------------------------------
def test_concurrent_approvals_of_one_version_let_exactly_one_win(site: Site) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    site.store.review(ref.id, site.reviewer, "start", "Looking.")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve_now(reviewer: UserInfo) -> None:
        barrier.wait()
        try:
            site.store.review(ref.id, reviewer, "approve", f"Approved by {reviewer.email}.")
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=approve_now, args=(r,)) for r in (site.reviewer, site.reviewer2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    approvals = [e for e in site.store.history(ref.id, site.reviewer) if e["action"] == "approve"]
    assert len(approvals) == 1


def test_the_audit_log_cannot_be_edited_or_deleted(site: Site) -> None:
    site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    with site.db.engine.connect() as c:
        for statement in ("UPDATE audit_log SET note = 'rewritten'", "DELETE FROM audit_log"):
            with pytest.raises(Exception, match="append-only"):
                c.execute(text(statement))
            c.rollback()
    assert site.table_counts()["audit_log"] == 1


# --- accounts ----------------------------------------------------------------------------------------------------
def test_passwords_are_argon2_hashed_and_checked(site: Site) -> None:
    with site.db.engine.connect() as c:
        stored = c.execute(text("SELECT password_hash FROM users WHERE email = 'clin@example.org'")).scalar_one()
    assert stored.startswith("$argon2") and PASSWORD not in stored
    assert site.accounts.authenticate("CLIN@example.org ", PASSWORD).email == "clin@example.org"
    with pytest.raises(AuthenticationError):
        site.accounts.authenticate("clin@example.org", "wrong password")
    with pytest.raises(AuthenticationError):
        site.accounts.authenticate("nobody@example.org", PASSWORD)


def test_logins_are_rate_limited_per_email_and_address(site: Site) -> None:
    for _ in range(site.settings.web.login_max_failures):
        with pytest.raises(AuthenticationError):
            site.accounts.authenticate("clin@example.org", "wrong", "10.0.0.1")
    with pytest.raises(RateLimitedError):
        site.accounts.authenticate("clin@example.org", PASSWORD, "10.0.0.1")  # even the right password
    assert site.accounts.authenticate("clin@example.org", PASSWORD, "10.0.0.2").role == "clinician"


def test_users_and_tokens(site: Site) -> None:
    with pytest.raises(ConflictError):
        site.accounts.add_user("clin@example.org", PASSWORD, "clinician")
    for email, password, role in (("bad", PASSWORD, "clinician"), ("x@example.org", "short", "clinician"),
                                  ("x@example.org", PASSWORD, "superuser")):
        with pytest.raises(InvalidInputError):
            site.accounts.add_user(email, password, role)
    token = site.accounts.create_token(site.reviewer)
    assert site.accounts.user_for_token(token) == site.reviewer
    with pytest.raises(AuthenticationError):
        site.accounts.user_for_token(token + "x")
    session = site.accounts.create_session(site.clinician)
    assert site.accounts.user_for_session(session) == site.clinician
    site.accounts.end_session(session)
    assert site.accounts.user_for_session(session) is None


def test_related_questions_are_published_neighbours_never_the_article_itself(site: Site) -> None:
    a = site.store.create_article(site.clinician, "Should adults be screened for type 2 diabetes?")
    b = site.store.create_article(site.clinician, "Should adults be screened for diabetes mellitus?")
    c = site.store.create_article(site.clinician, "Is rituximab useful in dermatomyositis?")
    for ref in (a, b, c):
        approve(site, ref.id)
    related = site.store.related(a.id)
    assert related and related[0][0] == b.id
    assert a.id not in [r[0] for r in related]


def test_a_new_corpus_snapshot_regenerates_approved_articles_as_new_versions(site: Site) -> None:
    approved = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    approve(site, approved.id)
    draft = site.store.create_article(site.clinician, "Is aspirin useful after a stroke?")
    assert site.store.refresh_stale("snap-1") == []  # built from the current snapshot already
    refs = site.store.refresh_stale("snap-2")
    assert [(r.id, r.version, r.status) for r in refs] == [(approved.id, 2, "submitted")]
    assert site.statuses(draft.id) == ["submitted"]
    assert site.store.get(approved.id, None).version == 1  # still published until version 2 is approved
    entry = site.store.history(approved.id, site.reviewer)[-1]
    assert entry["actor"] == "system" and "snap-1 to snap-2" in entry["note"]
    assert site.store.refresh_stale("snap-2") == []  # the new version awaits review


# --- probe defects (issue 13) ----------------------------------------------------------------------------------
def test_a_follow_up_carries_the_parent_context_only_to_those_who_may_see_it(site: Site) -> None:
    parent = site.store.create_article(site.clinician, "Is rituximab useful in dermatomyositis?",
                                       "On IVIG and prednisone since her relapse")
    approve(site, parent.id)
    other = site.accounts.add_user("other@example.org", PASSWORD, "clinician")
    child = site.store.create_article(other, "What monitoring does it need?", parent_id=parent.id)
    view = site.store.get(child.id, other)
    assert "IVIG" not in (view.context or "") and "IVIG" not in site.asked[-1]
    assert "Follow-up to: Is rituximab" in (view.context or "")  # the published question is public
    own = site.store.create_article(site.clinician, "And the dose?", parent_id=parent.id)
    assert "IVIG" in (site.store.get(own.id, site.clinician).context or "")


def test_readers_see_only_the_approved_question_while_a_new_version_awaits_review(site: Site) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    approve(site, ref.id)
    site.store.new_version(ref.id, site.reviewer, "Reworded.", question="Unreviewed wording about zebrafish?")
    public = site.store.get(ref.id, None)
    assert public.question == "Should adults be screened for diabetes?"
    assert [a.question for a in site.store.list_articles(None)] == ["Should adults be screened for diabetes?"]
    assert site.store.list_articles(None, q="zebrafish") == []
    assert [a.id for a in site.store.list_articles(None, q="diabetes")] == [ref.id]
    assert site.store.get(ref.id, site.reviewer).question == "Unreviewed wording about zebrafish?"
    assert [a.question for a in site.store.list_articles(site.reviewer, q="zebrafish")] == [
        "Unreviewed wording about zebrafish?"]
    other = site.store.create_article(site.clinician, "Should adults be screened for prediabetes?")
    approve(site, other.id)
    assert [q for _, q, _ in site.store.related(other.id)] == ["Should adults be screened for diabetes?"]
    approve(site, ref.id, site.reviewer2)
    assert site.store.get(ref.id, None).question == "Unreviewed wording about zebrafish?"


def test_review_notes_and_comments_are_scrubbed_and_private(site: Site) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    site.store.review(ref.id, site.reviewer, "start", "Called Mr. John Smith on 555-123-4567.")
    site.store.add_comment(ref.id, site.reviewer, "guidelines", 0, "Patient MRN 12345678 disagrees.")
    site.store.review(ref.id, site.reviewer, "approve", "Approved. Spoke to Mrs. Jane Roe MRN 87654321")
    with site.db.engine.connect() as c:
        dump = " ".join(str(r) for r in c.execute(text("SELECT note FROM audit_log")))
        dump += " ".join(str(r) for r in c.execute(text("SELECT note FROM review_comments")))
        dump += " ".join(str(r) for r in c.execute(text("SELECT reason FROM article_versions")))
    for secret in ("John", "Smith", "555-123-4567", "12345678", "Jane", "Roe", "87654321"):
        assert secret not in dump
    assert all(entry["note"] is None for entry in site.store.history(ref.id, None))
    assert all(v.reason == "" for v in site.store.get(ref.id, None).versions)
    assert any("[MRN]" in (entry["note"] or "") for entry in site.store.history(ref.id, site.reviewer))


def test_a_version_note_is_scrubbed(site: Site) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    site.store.review(ref.id, site.reviewer, "start", "Looking.")
    site.store.review(ref.id, site.reviewer, "request_changes", "Say which adults.")
    site.store.new_version(ref.id, site.clinician, "Per Dr. Alan Grant, narrowed it.")
    assert "Alan" not in site.store.get(ref.id, site.clinician).reason


def test_a_reviewer_cannot_approve_a_version_they_made(site: Site) -> None:
    ref = site.store.create_article(site.clinician, "Should adults be screened for diabetes?")
    approve(site, ref.id, site.reviewer2)
    site.store.new_version(ref.id, site.reviewer, "My rewording.", question="Should adults aged 35-70 be screened for diabetes?")
    site.store.review(ref.id, site.reviewer, "start", "Starting.")
    with pytest.raises(PermissionDeniedError):
        site.store.review(ref.id, site.reviewer, "approve", "Self-approval of my revision.")
    assert site.statuses(ref.id) == ["approved", "under_review"]
    assert site.store.review(ref.id, site.reviewer2, "approve", "Independent.").status == "approved"


def test_api_tokens_expire_and_are_revoked_by_a_password_change(site: Site) -> None:
    token = site.accounts.create_token(site.clinician)
    assert site.accounts.user_for_token(token) == site.clinician
    with site.db.engine.begin() as c:  # age the token past its lifetime
        c.execute(text("UPDATE api_tokens SET created_at = '2000-01-01 00:00:00'"))
    with pytest.raises(AuthenticationError):
        site.accounts.user_for_token(token)
    fresh = site.accounts.create_token(site.clinician)
    other = site.accounts.create_token(site.reviewer)
    session = site.accounts.create_session(site.clinician)
    site.accounts.set_password("clin@example.org", "a new long passphrase 7")
    with pytest.raises(AuthenticationError):
        site.accounts.user_for_token(fresh)
    assert site.accounts.user_for_session(session) is None
    assert site.accounts.user_for_token(other) == site.reviewer
    revoked = site.accounts.create_token(site.reviewer)
    site.accounts.revoke_token(revoked)
    with pytest.raises(AuthenticationError):
        site.accounts.user_for_token(revoked)
    assert site.accounts.user_for_token(other) == site.reviewer


@pytest.mark.parametrize("password", [" " * 10, " " * 12 + "ab", "password12", "Password123", "1234567890",
                                      "qwertyuiop", "aaaaaaaaaaaa", "abcdefghijkl"])
def test_weak_passwords_are_refused(site: Site, password: str) -> None:
    with pytest.raises(InvalidInputError):
        site.accounts.add_user("weak@example.org", password, "clinician")
    with pytest.raises(InvalidInputError):
        site.accounts.set_password("clin@example.org", password)
    assert site.accounts.authenticate("clin@example.org", PASSWORD) == site.clinician


def test_concurrent_failed_logins_are_counted_before_they_are_checked(site: Site) -> None:
    attempts = 20
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        try:
            site.accounts.authenticate("clin@example.org", "wrong password", "10.9.9.9")
        except RateLimitedError:
            outcomes.append("limited")
        except AuthenticationError:
            outcomes.append("checked")

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == attempts
    assert outcomes.count("checked") <= site.settings.web.login_max_failures
