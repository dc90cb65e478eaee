"""The `mash` command: set up the database, seed demo data, serve, and mint API tokens."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from app.core.config import PROJECT_ROOT, load_settings


def _init(settings=None, *, initialising: bool = False):
    """Open the database of the mode asked for; a database of the other mode stops the command (one line, exit 2)."""
    from sqlalchemy.exc import SQLAlchemyError

    import app.models  # noqa: F401  (every table, so foreign keys resolve in any command)
    from app.core.db import init_db
    from app.training.sandbox import WrongDatabase, check_database

    settings = settings or load_settings()
    db = init_db(settings.database_url)
    try:
        check_database(db.engine, settings, initialising=initialising)
    except WrongDatabase as refusal:
        db.dispose()
        click.echo(str(refusal), err=True)
        sys.exit(2)
    except SQLAlchemyError:
        if not initialising:
            raise
        # init-db and restore go on: migrating or replacing the database is what they are for
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
    from app.core.logging import configure_logging
    configure_logging()  # no personal data in logs: see app/core/logging.py


@main.command("init-db")
def init_db_command() -> None:
    """Create or migrate the database (Alembic) and register the process definitions."""
    from app.core.db import get_db
    from app.engine import DefinitionError
    from app.process_models.registry import latest_version, register_directories

    settings = _init(initialising=True)
    migrate(settings)
    try:
        with get_db().unit_of_work() as session:
            if settings.training:
                from app.core.clock import now
                from app.training.sandbox import mark_as_training
                if mark_as_training(session, now()):
                    click.echo("Marked as the training sandbox's database: live work will not start on it.")
            # The shipped diagrams are stored only if no version holds them yet: a restart never undoes a deploy.
            shipped = register_directories(session, settings.processes_dir, settings.forms_dir)
            current = latest_version(session, shipped.process_id) or shipped
            click.echo(f"Database ready. Process {current.process_id} version {current.version} "
                       f"({current.content_hash[:12]}) is current" +
                       ("." if current.id == shipped.id else
                        f"; the shipped diagrams are version {shipped.version} (deploy them to make them current)."))
    except DefinitionError as error:
        click.echo("The process definitions were refused:", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(2)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--process", "process_id", default=None,
              help="Which process this deploys (default: found from the files).")
@click.option("--forms", "forms_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Where the forms are (default: PATH/forms, else the forms folder beside PATH).")
@click.option("--note", default="", help="What changed and why (shown in the version history).")
@click.option("--check", is_flag=True, help="Run every check and deploy nothing.")
@click.option("--as", "as_user", default=None,
              help="The user deploying, for the audit trail (default: your OS account).")
def deploy(paths: tuple[Path, ...], process_id: str | None, forms_dir: Path | None, note: str, check: bool,
           as_user: str | None) -> None:
    """Validate and deploy diagrams: `mash deploy processes/` or `mash deploy referral.bpmn forms/screening.json`."""
    from app.core.db import get_db
    from app.engine import DefinitionError
    from app.process_models.deploy import deploy as deploy_files
    from app.process_models.deploy import validate_upload

    _init()
    files = _deploy_files(paths, forms_dir)
    try:
        with get_db().unit_of_work() as session:
            if check:
                candidate = validate_upload(session, files, process_id=process_id)
                click.echo(f"{len(files)} files pass every check (process {candidate.process_id}); nothing deployed.")
                warnings = candidate.warnings
            else:
                actor = _cli_actor(session, as_user, role="process-owner")
                result = deploy_files(session, files, actor, process_id=process_id, note=note, source="cli")
                click.echo(f"Deployed {result.process_id} version {result.version}"
                           + (f" (version {result.restored_from}'s files, current again)."
                              if result.restored_from is not None else ".") if result.created else
                           f"Nothing changed: the files are {result.process_id} version {result.version}, "
                           "the current version.")
                warnings = result.warnings
    except DefinitionError as error:
        click.echo(f"Refused; nothing changed. {len(error.problems)} problem(s):", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(2)
    for warning in warnings:
        click.echo(f"  warning: {warning}")


def _deploy_files(paths: tuple[Path, ...], forms_dir: Path | None):
    """Diagrams, decision tables, sla-policies.toml and forms from the paths given (folders are read like
    processes/)."""
    from app.core.sla import POLICY_FILE
    from app.process_models.deploy import DIAGRAM_SUFFIXES, TABLE_SUFFIX, UploadedFile

    chosen: list[Path] = []
    for path in paths:
        if path.is_file():
            chosen.append(path)
            continue
        chosen += sorted(p for p in path.iterdir()
                         if p.name.lower().endswith((*DIAGRAM_SUFFIXES, TABLE_SUFFIX)) or p.name == POLICY_FILE)
        forms = forms_dir or next((d for d in (path / "forms", path.resolve().parent / "forms") if d.is_dir()), None)
        if forms is not None:
            chosen += sorted(forms.glob("*.json"))
    if forms_dir is not None and all(p.is_file() for p in paths):
        chosen += sorted(forms_dir.glob("*.json"))
    unique = list(dict.fromkeys(p.resolve() for p in chosen))
    return [UploadedFile(name=p.name, content=p.read_bytes()) for p in unique]


@main.command()
@click.option("--cases", "open_cases", type=click.IntRange(min=0), default=0,
              help="Also add this many open cases at a spread of steps (app/demo_volume.py), for scale measurements.")
@click.option("--closed", "closed_cases", type=click.IntRange(min=0), default=0,
              help="Also add this many closed cases, spread over the last few years.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed for the added cases.")
def demo(open_cases: int, closed_cases: int, seed: int) -> None:
    """Seed demo users and cases (idempotent); --cases/--closed add volumes on top (not idempotent)."""
    from app.demo import (
        DEFAULT_DEMO_PASSWORD,
        DEMO_PASSWORD_ENV,
        give_demo_users_addresses,
        seed_cases,
        seed_rota,
        seed_users,
    )

    _init()
    users = seed_users()
    give_demo_users_addresses()
    cases = seed_cases()
    seed_rota()
    click.echo(f"Demo data: {users} new users, {cases} new cases. Users are named by role (e.g. mash-manager, police);"
               f" password from {DEMO_PASSWORD_ENV} (default '{DEFAULT_DEMO_PASSWORD}').")
    if open_cases or closed_cases:
        from app.demo_volume import generate

        result = generate(open_cases, closed_cases, seed=seed, progress=click.echo)
        click.echo(f"Added {result.open_cases} open and {result.closed_cases} closed cases "
                   f"({result.templates} walked through the workflow, the rest copied) in {result.seconds:.0f} s.")


@main.command()
@click.argument("username", required=False)
@click.option("--role", "roles", multiple=True,
              help="Limit the token to this role (repeatable); default: all the user's roles.")
@click.option("--label", default="", help="What the token is for.")
@click.option("--expires-days", type=click.IntRange(min=0), default=90, show_default=True,
              help="Days until the token stops working; 0 for never.")
@click.option("--list", "list_tokens", is_flag=True, help="List USERNAME's tokens (never the tokens themselves).")
@click.option("--revoke", is_flag=True, help="Revoke every token of USERNAME.")
@click.option("--revoke-id", type=int, default=None, help="Revoke the one token with this id.")
def token(username: str | None, roles: tuple[str, ...], label: str, expires_days: int, list_tokens: bool,
          revoke: bool, revoke_id: int | None) -> None:
    """Mint a bearer token for USERNAME (printed once; only its hash is stored), list or revoke tokens. Audited.

    A token acts with the roles it was minted for that its user still holds."""
    from datetime import timedelta

    from app.auth.operations import mint_token, revoke_token, revoke_tokens, tokens_of, user_by_username
    from app.auth.policy import sign_in_policy
    from app.core.db import get_db
    from app.core.errors import OperationError

    settings = _init()
    if revoke_id is not None:
        try:
            with get_db().unit_of_work() as session:
                row = revoke_token(session, revoke_id, _cli_actor(session, None))
                click.echo(f"Token {row.id} of {row.user.username} is revoked.")
        except OperationError as refusal:
            click.echo(refusal.message, err=True)
            sys.exit(1)
        return
    if username is None:
        click.echo("Give a USERNAME (or --revoke-id ID).", err=True)
        sys.exit(2)
    try:
        with get_db().unit_of_work() as session:
            user = user_by_username(session, username)
            if user is None:
                click.echo(f"No user called {username}.", err=True)
                sys.exit(1)
            if list_tokens:
                for row in tokens_of(session, user):
                    click.echo(_token_line(row, sign_in_policy(settings).now()))
            elif revoke:
                click.echo(f"Revoked {revoke_tokens(session, user, _cli_actor(session, None))} token(s).")
            else:
                at = sign_in_policy(settings).now()
                expires_at = at + timedelta(days=expires_days) if expires_days else None
                click.echo(mint_token(session, user, label, roles=list(roles) or None, expires_at=expires_at,
                                      actor=_cli_actor(session, None)))
    except OperationError as refusal:
        click.echo(refusal.message, err=True)
        sys.exit(1)


def _token_line(row, at) -> str:
    """id, label, scope, created, last used, state: never the token (only its hash is stored anyway)."""
    def when(value):
        return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"
    state = (f"revoked {when(row.revoked_at)}" if row.revoked_at else
             "never expires" if row.expires_at is None else
             f"{'expired' if row.expires_at <= at else 'expires'} {when(row.expires_at)}")
    return (f"{row.id}\t{row.label or '-'}\troles: {' '.join(row.scope)}\tcreated {when(row.created_at)}"
            f"\tlast used {when(row.last_used_at)}\t{state}")


@main.command("sla-rebuild")
def sla_rebuild() -> None:
    """Rebuild the SLA wall's projection (one row per open case) from the deadline rows."""
    from app.core.db import get_db
    from app.deadlines.tracking import rebuild_sla_projection

    _init()
    with get_db().unit_of_work() as session:
        cases = rebuild_sla_projection(session)
    click.echo(f"SLA wall projection rebuilt: {cases} open cases.")


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
    from app.core.db import get_db
    from app.web.server import run_server

    _init()  # refuses a database of the other mode before any worker starts
    get_db().dispose()
    if load_settings().training and workers > 1:
        # The training clock lives in the process that was asked to move it: one process keeps one time.
        click.echo("Training sandbox: serving with one worker process so every request sees the same clock.")
        workers = 1
    run_server(host=host, port=port or 5000, workers=workers, threads=threads, scheduler=not no_scheduler)



# ----------------------------------------------------------------------------- training sandbox (app/training)
@main.group()
def training() -> None:
    """The training sandbox's scenario library."""


@training.command("check")
@click.option("--dir", "directory", type=click.Path(file_okay=False, exists=True), default=None,
              help="Scenario folder (default: $MASH_SCENARIOS_DIR or training/scenarios).")
def training_check(directory: str | None) -> None:
    """Check every scenario against the current diagram, its forms and the users; exit 1 if any is broken."""
    import os
    from pathlib import Path

    from app.core.clock import now
    from app.core.db import get_db
    from app.training.scenarios import SCENARIOS_DIR, load_library

    _init()
    folder = Path(directory or os.environ.get("MASH_SCENARIOS_DIR") or SCENARIOS_DIR)
    with get_db().unit_of_work(write=False) as session:
        library = load_library(session, folder, now())
    if not library:
        click.echo(f"No scenario files (*.toml) in {folder}.", err=True)
        sys.exit(1)
    for entry in library:
        if entry.broken:
            click.echo(f"BROKEN  {entry.file}", err=True)
            for problem in entry.problems:
                click.echo(f"  {problem}", err=True)
        elif entry.scenario is not None:
            count = len(entry.scenario.steps)
            click.echo(f"ok      {entry.file}: {entry.title} ({count} step{'s' if count != 1 else ''})")
    if any(entry.broken for entry in library):
        sys.exit(1)


# ----------------------------------------------------------------------------- data protection (app/retention)
def _start_of_day_in_london(day):
    from datetime import datetime, time

    from app.core.calendar import LONDON
    return datetime.combine(day, time(0), LONDON)


@main.command()
@click.option("--dry-run", is_flag=True, help="List the contacts that would be anonymised; change nothing.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Apply the policy as on this date (YYYY-MM-DD, start of the day in London). "
                   "A future date needs --dry-run.")
def retention(dry_run: bool, as_of) -> None:
    """Anonymise contacts closed with no further action (missing episodes closed without a strategy discussion
    too) more than MASH_RETENTION_NFA_MONTHS ago.

    Each contact is anonymised in its own transaction and audited; already-anonymised ones are skipped.
    Prints references, dates and outcome codes only, never names."""
    from app.core.actor import SYSTEM
    from app.core.calendar import LONDON
    from app.core.clock import now
    from app.core.db import get_db
    from app.retention.operations import apply_retention
    from app.retention.policy import HELD_REASON_LABELS, months_before, review_retention

    settings = _init()
    months = settings.retention_nfa_months
    at = _start_of_day_in_london(as_of.date()) if as_of is not None else now()
    if at > now() and not dry_run:
        click.echo("--as-of a future date only previews: add --dry-run.", err=True)
        sys.exit(2)
    cutoff = months_before(at, months).astimezone(LONDON)
    click.echo(f"Retention policy: contacts closed with no further action before {cutoff:%Y-%m-%d %H:%M} "
               f"({months} months before {at.astimezone(LONDON):%Y-%m-%d %H:%M}, London time).")
    click.echo(f"Adult safeguarding concerns that needed no section 42 enquiry: closed "
               f"{settings.retention_adult_months} months before.")
    if dry_run:
        with get_db().unit_of_work(write=False) as session:
            review = review_retention(session, at, months)
        click.echo(f"Would anonymise {len(review.due)} contact(s):")
        for c in review.due:
            click.echo(f"  {c.reference}  closed {c.closed_at.astimezone(LONDON):%Y-%m-%d}  {c.outcome}")
        held, failed = review.held, []
    else:
        run = apply_retention(get_db(), SYSTEM, as_of=at, months=months,
                              adult_months=settings.retention_adult_months)
        click.echo(f"Anonymised {len(run.anonymised)} contact(s):")
        for done in run.anonymised:
            removed = ", ".join(f"{kind.replace('_', ' ')} ({count})" for kind, count in done.removed.items() if count)
            click.echo(f"  {done.reference}  removed personal data from: {removed or 'nothing'}")
        for reference in run.skipped:
            click.echo(f"  {reference}  skipped: it changed after the review (anonymised or held meanwhile)")
        click.echo(f"Removed the e-mail address of {run.leavers_details_removed} leaver(s) who left before the cutoff.")
        click.echo(f"Erased the address and text of {run.messages_erased} sent message(s) past their keeping period.")
        click.echo(f"Removed {run.past_shifts_removed} duty rota shift(s) that ended before the cutoff.")
        click.echo(f"Erased the person's details from {len(run.allegations_erased)} LADO allegation(s) past their "
                   f"retention{': ' + ', '.join(run.allegations_erased) if run.allegations_erased else ''}.")
        for reference in run.allegations_held:
            click.echo(f"  {reference}  held for the LADO: kept 10 years, the date of birth (pension age) is not known")
        held, failed = run.held, run.failed
    if held:
        click.echo(f"Held back {len(held)} contact(s):")
        for c in held:
            click.echo(f"  {c.reference}  closed {c.closed_at.astimezone(LONDON):%Y-%m-%d}  {c.outcome}  "
                       f"{HELD_REASON_LABELS.get(c.held or '', c.held)}")
    if failed:
        click.echo(f"Failed on {len(failed)} contact(s); nothing changed on them, run again:", err=True)
        for reference, error in failed:
            click.echo(f"  {reference}  {error}", err=True)
        sys.exit(1)


@main.command("retention-hold")
@click.argument("reference")
@click.option("--reason", default=None, help="Why the contact must be kept, as a code: litigation, inquiry, "
              "practice-review, police-investigation, information-request or complaint (never a note).")
@click.option("--release", is_flag=True, help="Lift the contact's hold instead.")
def retention_hold(reference: str, reason: str | None, release: bool) -> None:
    """Keep contact REFERENCE from anonymisation (or --release it). Audited."""
    from app.core.db import get_db
    from app.core.errors import OperationError
    from app.retention.operations import place_hold, release_hold

    _init()
    if release == (reason is not None):
        click.echo("Give either --reason to place a hold or --release to lift it.", err=True)
        sys.exit(2)
    try:
        with get_db().unit_of_work() as session:
            if release:
                case = release_hold(session, reference, _cli_actor(session, None))
            else:
                case = place_hold(session, reference, reason or "", _cli_actor(session, None))
    except OperationError as refusal:
        for message in [e.message for e in getattr(refusal, "errors", [])] or [refusal.message]:
            click.echo(message, err=True)
        sys.exit(1)
    click.echo(f"{case.reference}: " + ("hold lifted." if release else f"held ({reason})."))


def _cli_actor(session, username: str | None, role: str = "admin"):
    """Who ran a command, for the audit trail: a named user holding ``role`` (or admin), else the OS account."""
    import getpass

    from app.auth.operations import user_by_username
    from app.core.actor import Actor

    if username is None:
        return Actor(user_id=None, username=f"cli:{getpass.getuser()}"[:80], roles=frozenset())
    user = user_by_username(session, username)
    if user is None or not user.as_actor().has_any(role, "admin"):
        click.echo(f"{username} is not an admin user." if role == "admin" else
                   f"{username} is not a {role} or admin user.", err=True)
        sys.exit(1)
    return user.as_actor()


# ----------------------------------------------------------------------------- users and leavers
@main.group()
def user() -> None:
    """Staff accounts: add, list, set roles, deactivate a leaver, reactivate, set a one-time password."""


_AS_ADMIN = click.option("--as", "as_user", default=None,
                         help="The admin user doing this, for the audit trail (default: your OS account).")
_PASSWORD_STDIN = click.option("--password-stdin", is_flag=True,
                               help="Read the one-time password from standard input instead of generating one.")


def _user_command(action, as_user: str | None, *args, **kwargs):
    """Run a users operation in its own transaction; a refusal is printed (never a password) and exits 1."""
    from app.core.db import get_db
    from app.core.errors import OperationError

    _init()
    try:
        with get_db().unit_of_work() as session:
            return action(session, _cli_actor(session, as_user), *args, **kwargs)
    except OperationError as refusal:
        for message in [e.message for e in getattr(refusal, "errors", [])] or [refusal.message]:
            click.echo(message, err=True)
        sys.exit(1)


def _stdin_password(wanted: bool) -> str | None:
    if not wanted:
        return None
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        click.echo("No password on standard input.", err=True)
        sys.exit(1)
    return password


def _one_time(username: str, password: str | None) -> None:
    """The generated one-time password, printed once to the terminal and nowhere else."""
    if password is not None:
        click.echo(f"One-time password for {username} (shown once; they choose their own at first sign-in):")
        click.echo(password)
    else:
        click.echo(f"{username} must replace the password you gave at first sign-in.")


@user.command("add")
@click.argument("username")
@click.option("--name", required=True, help="Full name.")
@click.option("--email", required=True, help="Work e-mail address.")
@click.option("--agency", required=True, help="Agency or team, e.g. Police.")
@click.option("--role", "roles", multiple=True, required=True, help="A role to hold (repeatable).")
@_PASSWORD_STDIN
@_AS_ADMIN
def user_add(username: str, name: str, email: str, agency: str, roles: tuple[str, ...], password_stdin: bool,
             as_user: str | None) -> None:
    """Add a user with a one-time password."""
    from app.users.operations import add_user, read_new_user

    given = _stdin_password(password_stdin)
    details = {"username": username, "name": name, "email": email, "agency": agency, "roles": list(roles)}
    added, generated = _user_command(
        lambda session, actor: add_user(session, actor, read_new_user(details), password=given), as_user)
    click.echo(f"Added {added.username} ({', '.join(sorted(roles))}).")
    _one_time(added.username, generated)


@user.command("list")
def user_list() -> None:
    """Every user: username, agency, roles, last sign-in, active (no e-mail addresses: terminals are logged)."""
    from app.core.calendar import london
    from app.core.db import get_db
    from app.users.operations import list_users

    _init()
    with get_db().unit_of_work(write=False) as session:
        for row in list_users(session):
            last = london(row.last_signed_in_at, "%d %b %Y %H:%M") if row.last_signed_in_at else "never"
            click.echo(f"{row.username}\t{row.agency}\t{','.join(sorted(row.role_names))}\t"
                       f"last sign-in {last}\t{'active' if row.is_active_user else 'deactivated'}")


@user.command("set-roles")
@click.argument("username")
@click.argument("roles", nargs=-1, required=True)
@_AS_ADMIN
def user_set_roles(username: str, roles: tuple[str, ...], as_user: str | None) -> None:
    """Make USERNAME's roles exactly ROLES."""
    from app.users.operations import set_roles

    changed = _user_command(lambda session, actor: set_roles(session, actor, username, list(roles)), as_user)
    click.echo(f"{changed.username} now holds {', '.join(sorted(changed.role_names))}.")


@user.command("deactivate")
@click.argument("username")
@_AS_ADMIN
def user_deactivate(username: str, as_user: str | None) -> None:
    """A leaver: their sessions end and their API tokens are revoked, at once."""
    from app.core.clock import now
    from app.users.operations import deactivate

    _user_command(lambda session, actor: deactivate(session, actor, username, now()), as_user)
    click.echo(f"{username} is deactivated: signed out everywhere; their API tokens are revoked.")


@user.command("reactivate")
@click.argument("username")
@_AS_ADMIN
def user_reactivate(username: str, as_user: str | None) -> None:
    """Let a deactivated user sign in again (their old tokens stay revoked)."""
    from app.users.operations import reactivate

    _user_command(lambda session, actor: reactivate(session, actor, username), as_user)
    click.echo(f"{username} is active again.")


@user.command("reset-password")
@click.argument("username")
@_PASSWORD_STDIN
@_AS_ADMIN
def user_reset_password(username: str, password_stdin: bool, as_user: str | None) -> None:
    """Set a one-time password (their sessions end; they choose their own at the next sign-in)."""
    from app.core.clock import now
    from app.users.operations import reset_password

    given = _stdin_password(password_stdin)
    _changed, generated = _user_command(
        lambda session, actor: reset_password(session, actor, username, now(), password=given), as_user)
    _one_time(username, generated)


@main.command("subject-access")
@click.option("--given-name", required=True)
@click.option("--family-name", required=True)
@click.option("--date-of-birth", default=None, help="YYYY-MM-DD; without it, everyone with these names matches.")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Write the JSON here (created readable by you only; never overwritten). Default: standard output.")
@click.option("--as", "as_user", default=None,
              help="The admin user making the export (audited); default: your OS account.")
def subject_access(given_name: str, family_name: str, date_of_birth: str | None, out: str | None,
                   as_user: str | None) -> None:
    """Export everything held about one person as JSON, for the information governance officer. Audited."""
    import json
    import os

    from app.core.db import get_db
    from app.core.errors import ValidationFailed
    from app.retention.subject_access import export_subject_access, person_from_request

    _init()
    try:
        person = person_from_request({"given_name": given_name, "family_name": family_name,
                                      "date_of_birth": date_of_birth})
    except ValidationFailed as refusal:
        for error in refusal.errors:
            click.echo(f"--{(error.field or '').replace('_', '-')}: {error.message}", err=True)
        sys.exit(2)
    handle = None
    if out is not None:
        try:  # before the export is audited: a file that cannot be written means no export happened
            handle = os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8")
        except FileExistsError:
            click.echo(f"{out} exists: choose a new file (exports are never overwritten).", err=True)
            sys.exit(2)
    try:
        with get_db().unit_of_work() as session:
            export = export_subject_access(session, person, _cli_actor(session, as_user))
    except BaseException:
        if handle is not None and out is not None:
            handle.close()
            os.unlink(out)
        raise
    text = json.dumps(export, indent=2, ensure_ascii=False)
    if handle is None:
        click.echo(text)
        return
    with handle:
        handle.write(text + "\n")
    click.echo(f"Wrote {export['subject_access_export']['case_count']} case(s) and "
               f"{len(export['redactions'])} redaction(s) for review to {out}.", err=True)


# ----------------------------------------------------------------------------- recovery (app/ops/backup.py)
@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Back up the database to a new file PATH (readable by you only; never overwritten). Safe while the
    hub is working: SQLite's online backup, or pg_dump --format=custom for PostgreSQL. Audited."""
    from app.core.db import get_db
    from app.ops.backup import BackupError, label, make_backup, record_backup

    settings = _init()
    try:
        made = make_backup(settings.database_url, path)
    except BackupError as refusal:
        click.echo(refusal.message, err=True)
        sys.exit(2)
    with get_db().unit_of_work() as session:
        record_backup(session, _cli_actor(session, None), made)
    click.echo(f"Backed up the {label(made.kind)} database to {made.path} ({made.size:,} bytes, mode 0600): "
               f"{made.contents.describe()}.")


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm: the current database is replaced and its data lost.")
def restore(path: Path, yes: bool) -> None:
    """Replace the database with the backup at PATH (from `mash backup`), migrate it to this version,
    check its audit chain and audit the restore. Exit 1 if the restored audit chain is broken."""
    from app.core.db import get_db
    from app.ops.backup import BackupError, after_restore, check_backup, contents_of, label, restore_backup

    settings = _init(initialising=True)  # a database too damaged to read may still be replaced
    try:
        check_backup(settings.database_url, path)
    except BackupError as refusal:
        click.echo(refusal.message, err=True)
        sys.exit(2)
    if not yes:
        click.echo("Restoring replaces the current database: everything since the backup is lost. "
                   "Run again with --yes to go ahead.", err=True)
        sys.exit(2)
    db = get_db()
    try:
        with db.engine.connect() as connection:
            replaced = contents_of(connection)
    except Exception:  # noqa: BLE001  (a database damaged or empty enough to need restoring)
        replaced = None
    db.dispose()  # no pooled connection may keep a view of the database being replaced
    try:
        kind = restore_backup(settings.database_url, path)
    except BackupError as refusal:
        click.echo(f"Restore failed: {refusal.message}", err=True)
        sys.exit(1)
    db.dispose()
    migrate(settings)
    with db.unit_of_work() as session:
        result = after_restore(session, _cli_actor(session, None), kind, replaced)
    click.echo(f"Restored the {label(kind)} database from {path}: {result.contents.describe()}.")
    if replaced is not None:
        click.echo(f"The replaced database's audit chain ran to {replaced.audit_head_seq}:{replaced.audit_head_hash}.")
    click.echo("Run `mash retention` now: contacts anonymised since the backup was made hold personal data again.")
    if not result.audit_intact:
        click.echo(f"Audit trail broken at {result.audit_problem}.", err=True)
        sys.exit(1)
    click.echo("Audit trail intact.")


# ----------------------------------------------------------------------------- deadline scheduler alone (app/deadlines)
@main.command()
def scheduler() -> None:
    """Run only the deadline scheduler, without the web server (pair with `mash serve --no-scheduler`), until
    stopped. Several may run: the lease lets one fire at a time. SIGTERM or Ctrl-C hands the lease back at once;
    a killed process's lease lapses after the lease TTL, and then another scheduler takes over."""
    import signal
    import threading

    from app.casework.scheduler import LEASE_TTL, DeadlineScheduler
    from app.core.heap import settle_after_start

    _init()
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    running = DeadlineScheduler()
    running.start()
    settle_after_start()
    click.echo(f"Deadline scheduler running (lease TTL {LEASE_TTL.total_seconds():.0f} s). "
               "Stop with SIGTERM or Ctrl-C.")
    try:
        while not stopping.wait(1):
            pass
    finally:
        running.shutdown()
    click.echo("Deadline scheduler stopped; its lease is handed back.")
