"""The `mash` command: set up the database, seed demo data, serve, and mint API tokens."""
from __future__ import annotations

import logging
import sys

import click

from app.core.config import PROJECT_ROOT, load_settings


def _init(settings=None):
    import app.models  # noqa: F401  (every table, so foreign keys resolve in any command)
    from app.core.db import init_db
    settings = settings or load_settings()
    init_db(settings.database_url)
    return settings


def migrate(settings) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    command.upgrade(config, "head")


@click.group()
def main() -> None:
    """MASH case work."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # SpiffWorkflow logs every state change (and task data at DEBUG): keep personal data out of logs.
    logging.getLogger("spiff").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@main.command("init-db")
def init_db_command() -> None:
    """Create or migrate the database (Alembic) and register the process definitions."""
    from app.core.db import get_db
    from app.engine import DefinitionError
    from app.process_models.registry import register_directories

    settings = _init()
    migrate(settings)
    try:
        with get_db().unit_of_work() as session:
            version = register_directories(session, settings.processes_dir, settings.forms_dir)
            click.echo(f"Database ready. Process {version.process_id} version {version.version} ({version.content_hash[:12]}).")
    except DefinitionError as error:
        click.echo("The process definitions were refused:", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(2)


@main.command()
def demo() -> None:
    """Seed demo users and cases (idempotent)."""
    from app.demo import DEFAULT_DEMO_PASSWORD, DEMO_PASSWORD_ENV, seed_cases, seed_users

    _init()
    users = seed_users()
    cases = seed_cases()
    click.echo(f"Demo data: {users} new users, {cases} new cases. Users are named by role (e.g. mash-manager, police);"
               f" password from {DEMO_PASSWORD_ENV} (default '{DEFAULT_DEMO_PASSWORD}').")


@main.command()
@click.argument("username")
@click.option("--revoke", is_flag=True, help="Revoke every token of this user instead.")
@click.option("--label", default="", help="What the token is for.")
def token(username: str, revoke: bool, label: str) -> None:
    """Mint a bearer token for USERNAME (printed once; only its hash is stored)."""
    from app.auth.operations import mint_token, revoke_tokens, user_by_username
    from app.core.db import get_db

    _init()
    with get_db().unit_of_work() as session:
        user = user_by_username(session, username)
        if user is None:
            click.echo(f"No user called {username}.", err=True)
            sys.exit(1)
        if revoke:
            click.echo(f"Revoked {revoke_tokens(session, user)} token(s).")
        else:
            click.echo(mint_token(session, user, label))


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
@click.option("--anchor", metavar="SEQ:HASH", help="An entry's hash recorded earlier outside the database "
              "(printed by a previous run): the chain must still pass through it.")
def audit_verify(anchor: str | None) -> None:
    """Check the hash chain; exit 1 and name the first bad entry if any row was altered or removed."""
    from app.audit.chain import verify
    from app.core.db import get_db

    expected = None
    if anchor:
        seq, _, digest = anchor.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise click.BadParameter("use SEQ:HASH, as printed by a previous run", param_hint="--anchor")
        expected = (int(seq), digest)
    _init()
    with get_db().unit_of_work(write=False) as session:
        result = verify(session, anchor=expected)
    if result.ok:
        click.echo(f"Audit trail intact: {result.entries} entries. Anchor: {result.head_seq}:{result.head_hash}")
        click.echo("Keep the anchor somewhere the database's administrators cannot write, and pass it with "
                   "--anchor next time: a trail rewritten from scratch will not reach it.")
        return
    click.echo(f"Audit trail broken at {result.first_break}.", err=True)
    sys.exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=None, type=int, envvar="PORT", help="Default 5000 or $PORT.")
@click.option("--workers", default=1, show_default=True)
@click.option("--threads", default=8, show_default=True)
@click.option("--no-scheduler", is_flag=True, help="Serve without firing timers.")
def serve(host: str, port: int | None, workers: int, threads: int, no_scheduler: bool) -> None:
    """Serve with gunicorn (production WSGI server) and the deadline scheduler."""
    from app.web.server import run_server

    if load_settings().training and workers > 1:
        # The training clock lives in the process that was asked to move it: one process keeps one time.
        click.echo("Training sandbox: serving with one worker process so every request sees the same clock.")
        workers = 1
    run_server(host=host, port=port or 5000, workers=workers, threads=threads, scheduler=not no_scheduler)
