"""`curbside users ...` and `curbside samples` end to end (the `serve` command is `create_app` + uvicorn,
which the API and browser tests exercise)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from curbside.cli.main import cli
from curbside.engine import Curbside


def run(data_dir: Path, db: Path, *args: str, input: str | None = None) -> tuple[int, str, str]:
    env = {"CURBSIDE_WEB__DATABASE_URL": f"sqlite:///{db}"}
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], input=input, obj={}, env=env)
    return result.exit_code, result.stdout, result.stderr


def test_users_add_reads_the_password_from_stdin(tmp_path: Path) -> None:
    db = tmp_path / "web.db"
    code, out, err = run(tmp_path, db, "users", "add", "Dr.Lee@Example.org", "--role", "reviewer",
                         input="a long enough password\n")
    assert code == 0, err
    assert "Added dr.lee@example.org as reviewer" in out
    assert run(tmp_path, db, "users", "list")[1].strip() == "dr.lee@example.org\treviewer"
    code, _, err = run(tmp_path, db, "users", "add", "dr.lee@example.org", "--role", "clinician",
                       input="another long password\n")
    assert code == 6 and "already exists" in err
    code, _, err = run(tmp_path, db, "users", "add", "x@example.org", "--role", "clinician", input="short\n")
    assert code == 2 and "at least" not in err and "10 to 1024 characters" in err
    code, out, _ = run(tmp_path, db, "users", "set-role", "dr.lee@example.org", "--role", "admin")
    assert code == 0 and "now admin" in out
    code, _, err = run(tmp_path, db, "users", "set-role", "nobody@example.org", "--role", "admin")
    assert code == 4 and "No user" in err


@pytest.mark.slow
def test_samples_create_demo_accounts_and_articles_once(fixture_engine: Curbside, tmp_path: Path) -> None:
    db = tmp_path / "web.db"
    code, _, err = run(fixture_engine.data_dir, db, "samples")
    assert code == 0, err
    assert "4 new sample article(s)" in err and "demo reviewer: demo-reviewer@curbside.local" in err
    accounts = fixture_engine.data_dir / "demo-accounts.txt"
    assert oct(os.stat(accounts).st_mode & 0o777) == "0o600" and len(accounts.read_text().splitlines()) == 3
    code, _, err = run(fixture_engine.data_dir, db, "samples")
    assert code == 0 and "0 new sample article(s)" in err


def test_serve_leaves_forwarded_headers_to_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn must not rewrite the client address from X-Forwarded-For (it believes any loopback client by
    default); the app reads the header itself, only from web.trusted_proxies."""
    import uvicorn

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    code, _, err = run(tmp_path, tmp_path / "web.db", "serve", "--port", "8123")
    assert code == 0, err
    assert calls and calls[0]["proxy_headers"] is False


def test_users_set_password_revokes_tokens(tmp_path: Path) -> None:
    db = tmp_path / "web.db"
    added = run(tmp_path, db, "users", "add", "a@example.org", "--role", "clinician", input="a long enough password\n")
    assert added[0] == 0
    code, _, err = run(tmp_path, db, "users", "set-password", "a@example.org", input="password12\n")
    assert code == 2 and "common" in err
    code, out, err = run(tmp_path, db, "users", "set-password", "a@example.org", input="another fine passphrase\n")
    assert code == 0 and "revoked" in out, err
