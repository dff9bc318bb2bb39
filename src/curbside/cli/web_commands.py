"""``curbside serve``, ``curbside users ...``, ``curbside samples`` and ``curbside refresh``: thin shells over
:class:`curbside.articles.publisher.Publisher` and :func:`curbside.web.app.create_app`."""

from __future__ import annotations

import os
import sys

import click

from curbside.articles.workflow import Role
from curbside.cli.main import cli
from curbside.settings import Settings, load_settings

ROLE_CHOICE = click.Choice([role.value for role in Role])


def _settings(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj
    return load_settings(preset=obj["preset"], config_file=obj["config"], data_dir=obj["data_dir"])


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes sharing the database and the index; each holds its own engine and builds "
                   "articles, and a dead one is replaced.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the web app and the JSON API (articles, review, accounts) over the data directory."""
    import uvicorn

    from curbside.articles.db import Database
    from curbside.web.app import SETTINGS_ENV, create_app

    settings = _settings(ctx)
    if host not in ("127.0.0.1", "localhost", "::1") and settings.web.cookie_secure:
        click.echo("Note: session cookies are Secure; serve this site behind HTTPS when it is not on localhost.",
                   err=True)
    click.echo(f"Curbside is serving {settings.data_dir} at http://{host}:{port}/ with {workers} worker "
               f"process(es) (API docs at /docs)", err=True)
    # X-Forwarded-For is read by the app itself, and only from web.trusted_proxies; uvicorn must not rewrite the
    # client address from it (by default it believes any client on loopback).
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=False)
        return
    # The schema is migrated once, here, before the workers start: they would otherwise race to create it.
    Database(settings.database_url(), busy_seconds=settings.web.database_busy_seconds).dispose()
    # Each worker is a fresh process that builds its own app from the settings resolved here; uvicorn's
    # supervisor shares the listening socket among them and starts a new one when one dies.
    os.environ[SETTINGS_ENV] = settings.model_dump_json()
    uvicorn.run("curbside.web.app:create_app_from_environment", factory=True, workers=workers, host=host,
                port=port, log_level="info", proxy_headers=False)


@cli.group()
def users() -> None:
    """Manage accounts of the web app."""


@users.command("add")
@click.argument("email")
@click.option("--role", type=ROLE_CHOICE, required=True)
@click.pass_context
def users_add(ctx: click.Context, email: str, role: str) -> None:
    """Add a user; the password is read from standard input (prompted for, hidden, on a terminal)."""
    from curbside.articles.publisher import Publisher

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with Publisher(_settings(ctx)) as publisher:
        user = publisher.accounts.add_user(email, password, role)
    click.echo(f"Added {user.email} as {user.role}.")


@users.command("set-role")
@click.argument("email")
@click.option("--role", type=ROLE_CHOICE, required=True)
@click.pass_context
def users_set_role(ctx: click.Context, email: str, role: str) -> None:
    """Change a user's role."""
    from curbside.articles.publisher import Publisher

    with Publisher(_settings(ctx)) as publisher:
        user = publisher.accounts.set_role(email, role)
    click.echo(f"{user.email} is now {user.role}.")


@users.command("set-password")
@click.argument("email")
@click.pass_context
def users_set_password(ctx: click.Context, email: str) -> None:
    """Change a user's password (read like `users add`'s); every API token and session of the user is revoked."""
    from curbside.articles.publisher import Publisher

    if sys.stdin.isatty():
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with Publisher(_settings(ctx)) as publisher:
        user = publisher.accounts.set_password(email, password)
    click.echo(f"Changed the password of {user.email}; its API tokens and sessions are revoked.")


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """List users and their roles."""
    from curbside.articles.publisher import Publisher

    with Publisher(_settings(ctx)) as publisher:
        for user in publisher.accounts.list_users():
            click.echo(f"{user.email}\t{user.role}")


@cli.command()
@click.pass_context
def samples(ctx: click.Context) -> None:
    """Create demo accounts (passwords in DATA_DIR/demo-accounts.txt) and sample articles from seed-style questions."""
    from curbside.articles.publisher import Publisher

    with Publisher(_settings(ctx)) as publisher:
        result = publisher.samples()
    click.echo(f"{len(result.articles)} new sample article(s); they wait in the review queue.", err=True)
    for account in result.accounts:
        shown = account.password or f"(see {result.accounts_file})"
        click.echo(f"  demo {account.role}: {account.email}  password: {shown}", err=True)


@cli.command()
@click.pass_context
def refresh(ctx: click.Context) -> None:
    """Regenerate approved articles built from an older corpus snapshot, as new versions for review."""
    from curbside.articles.publisher import Publisher

    with Publisher(_settings(ctx)) as publisher:
        result = publisher.refresh()
    click.echo(f"{len(result.articles)} article(s) regenerated from corpus snapshot {result.corpus_snapshot}; "
               "they wait in the review queue.")
    for ref in result.articles:
        click.echo(f"  {ref.id} version {ref.version}")
