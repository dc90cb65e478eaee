"""Backing up and restoring the hub's database: SQLite through its online backup API, PostgreSQL through
pg_dump/pg_restore (custom format). A backup holds every child's record, so it is created readable by its
owner only and never written over an existing file; what is printed and audited about it is counts,
sizes and the audit chain head, never anything from the records themselves."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.audit.chain import verify
from app.audit.models import AuditChainHead
from app.audit.operations import record
from app.core.actor import Actor
from app.core.db import create_private_sqlite_file

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
#: Tables every MASH database has: a file without them is some other application's backup.
MASH_TABLES = ("alembic_version", "audit_chain_head", "audit_event")


class BackupError(Exception):
    """A backup or restore refused or failed; ``message`` is safe to print (no data from the records)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Contents:
    """What a database holds, in numbers."""

    tables: int
    rows: int
    audit_head_seq: int
    audit_head_hash: str

    def describe(self) -> str:
        return (f"{self.tables} tables, {self.rows} rows; audit chain head "
                f"{self.audit_head_seq}:{self.audit_head_hash}")


@dataclass(frozen=True)
class Backup:
    path: Path
    kind: str  # "sqlite" or "postgresql"
    size: int
    contents: Contents


def backend(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"Cannot back up a {name} database: only SQLite and PostgreSQL are supported.")
    return name


def contents_of(connection: Connection) -> Contents:
    """Tables, rows and the audit chain head, read in the connection's current transaction."""
    names = sorted(inspect(connection).get_table_names())
    # The names come from the database's own catalogue, never from a request.
    rows = sum(connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names)  # noqa: S608
    head = connection.execute(select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == 1)).first()
    return Contents(len(names), rows, *(head or (0, "0" * 64)))


def _create_private(path: Path) -> int:
    """Claim the file name (0600, never an existing file) before any data is written to it."""
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{path} exists: choose a new file (backups are never overwritten).") from None
    except OSError as error:
        raise BackupError(f"Cannot create {path}: {error.strerror}.") from None


def make_backup(url: str, path: Path) -> Backup:
    """Back up the database at ``url`` to a new file at ``path``, consistent even while the hub works."""
    kind = backend(url)
    descriptor = _create_private(path)
    try:
        if kind == "sqlite":
            os.close(descriptor)
            contents = _backup_sqlite(_sqlite_file(url), path)
        else:
            with os.fdopen(descriptor, "wb") as out:
                contents = _backup_postgresql(url, out)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Backup(path, kind, path.stat().st_size, contents)


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("The database is in memory: there is no file to back up or restore.")
    return Path(database)


def _sqlite_contents(path: Path) -> Contents:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return contents_of(connection)
    finally:
        engine.dispose()


def _integrity(connection: sqlite3.Connection) -> str:
    return connection.execute("PRAGMA integrity_check").fetchone()[0]


def _backup_sqlite(live: Path, path: Path) -> Contents:
    """One backup step copies every page under a read lock: a consistent snapshot, and in WAL mode the
    hub's writers carry on meanwhile. The copy is then switched out of WAL so it is one self-contained file."""
    if not live.exists():
        raise BackupError(f"There is no database at {live}.")
    source = sqlite3.connect(live, timeout=30)
    target = sqlite3.connect(path)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
        if (result := _integrity(target)) != "ok":
            raise BackupError(f"The backup failed its integrity check ({result[:200]}); nothing is kept.")
    finally:
        target.close()
        source.close()
    return _sqlite_contents(path)


def pg_tool(name: str) -> Path:
    """pg_dump/pg_restore from the newest installed PostgreSQL (a client older than the server refuses to
    dump it), else from PATH."""
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                      key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    found = versions[-1] if versions else shutil.which(name)
    if found is None:
        raise BackupError(f"{name} was not found (install the PostgreSQL client tools, e.g. postgresql-client).")
    return Path(found)


def libpq_connection(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and an environment carrying it: a password
    never appears on a command line (visible to every user in ps) or in output."""
    def quoted(value) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    parts = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    parts.update({key: value for key, value in url.query.items() if isinstance(value, str) and key != "password"})
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return " ".join(f"{key}={quoted(value)}" for key, value in parts.items() if value is not None), env


def _run(command: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    """Run a PostgreSQL tool. On failure only its own error lines are shown: the rest of what it prints
    (DETAIL, CONTEXT, the failing statement) can quote rows of personal data."""
    # The server's own PostgreSQL tools with arguments built here, never a shell.
    done = subprocess.run(command, env=env, stderr=subprocess.PIPE, text=True, **kwargs)  # noqa: S603
    if done.returncode != 0:
        tool = Path(command[0]).name
        errors = [line for line in done.stderr.splitlines() if line.startswith(f"{tool}: error:")]
        reason = errors[0].split(" DETAIL:")[0][:300] if errors else f"{tool} exited with status {done.returncode}"
        raise BackupError(f"{reason} (run {tool} by hand for the full message)")
    return done


def _backup_postgresql(url: str, out) -> Contents:
    """pg_dump reads the snapshot this transaction exported, so the counts printed are exactly what the
    backup holds."""
    parsed = make_url(url)
    conninfo, env = libpq_connection(parsed)
    engine = create_engine(parsed, poolclass=NullPool)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection, \
                connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            contents = contents_of(connection)
            _run([str(pg_tool("pg_dump")), "--format=custom", f"--snapshot={snapshot}", "--dbname", conninfo],
                 env, stdout=out)
    finally:
        engine.dispose()
    return contents


# ----------------------------------------------------------------------------- restore
def check_backup(url: str, path: Path) -> str:
    """Refuse a file that is not a MASH backup for this kind of database; return its kind."""
    kind = backend(url)
    if not path.is_file():
        raise BackupError(f"There is no file at {path}.")
    with path.open("rb") as handle:
        start = handle.read(len(SQLITE_MAGIC))
    found = "sqlite" if start == SQLITE_MAGIC else "postgresql" if start.startswith(PG_CUSTOM_MAGIC) else None
    if found is None:
        raise BackupError(f"{path} is not a backup made by `mash backup` (neither a SQLite database nor a "
                          "pg_dump custom-format file).")
    if found != kind:
        raise BackupError(f"{path} is a {label(found)} backup but this hub's database is {label(kind)}: "
                          "restore it into a database of the same kind.")
    tables = _sqlite_tables(path) if kind == "sqlite" else _dump_tables(path)
    if missing := [name for name in MASH_TABLES if name not in tables]:
        raise BackupError(f"{path} is not a MASH database backup (no {', '.join(missing)} table).")
    return kind


def label(kind: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[kind]


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _sqlite_tables(path: Path) -> set[str]:
    source = _read_only(path)
    try:
        if (result := _integrity(source)) != "ok":
            raise BackupError(f"{path} is damaged (integrity check: {result[:200]}); nothing was restored.")
        return {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} cannot be read as a SQLite database ({error}); nothing was restored.") from None
    finally:
        source.close()


def _dump_tables(path: Path) -> set[str]:
    """Table names from the dump's table of contents (lines like "215; 1259 16390 TABLE public name owner")."""
    listing = _run([str(pg_tool("pg_restore")), "--list", str(path)], dict(os.environ), stdout=subprocess.PIPE).stdout
    return {fields[fields.index("TABLE") + 2] for fields in (line.split() for line in listing.splitlines()
            if not line.startswith(";")) if "TABLE" in fields and len(fields) > fields.index("TABLE") + 2}


def restore_backup(url: str, path: Path) -> str:
    """Replace the database at ``url`` with the backup at ``path`` (checked by ``check_backup`` first).
    The caller then migrates it (the backup may be older than the code) and checks the audit chain."""
    kind = check_backup(url, path)
    if kind == "sqlite":
        _restore_sqlite(path, _sqlite_file(url))
    else:
        conninfo, env = libpq_connection(make_url(url))
        # One transaction: a restore that fails part way leaves the database as it was.
        _run([str(pg_tool("pg_restore")), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--exit-on-error", "--dbname", conninfo, str(path)], env, stdout=subprocess.DEVNULL)
    return kind


def _restore_sqlite(path: Path, live: Path) -> None:
    """Copy the backup's pages into the live file through the backup API: it takes the write lock, so the
    hub's own connections wait and then see the restored database instead of a half-copied file."""
    source = _read_only(path)
    create_private_sqlite_file(f"sqlite:///{live}")  # restoring onto a new machine: created 0600, not umask's
    target = sqlite3.connect(live, timeout=30)
    try:
        source.backup(target)
        if (result := _integrity(target)) != "ok":
            raise BackupError(f"The restored database failed its integrity check ({result[:200]}).")
    finally:
        target.close()
        source.close()


@dataclass(frozen=True)
class Restored:
    contents: Contents
    audit_intact: bool
    audit_problem: str | None


def after_restore(session: Session, actor: Actor, kind: str, replaced: Contents | None) -> Restored:
    """Check the restored audit chain, then audit the restore itself onto it (numbers only)."""
    result = verify(session)
    contents = contents_of(session.connection())
    record(session, actor, "backup.restored", summary="Database restored from a backup", details={
        "format": kind, "tables": contents.tables, "rows": contents.rows,
        "restored_audit_head_seq": contents.audit_head_seq, "audit_chain_intact": result.ok,
        "replaced_audit_head_seq": replaced.audit_head_seq if replaced else None,
        "replaced_audit_head_hash": replaced.audit_head_hash if replaced else None})
    return Restored(contents, result.ok, None if result.ok else str(result.first_break))


def record_backup(session: Session, actor: Actor, backup: Backup) -> None:
    record(session, actor, "backup.made", summary="Database backed up", details={
        "format": backup.kind, "bytes": backup.size, "tables": backup.contents.tables, "rows": backup.contents.rows,
        "audit_head_seq": backup.contents.audit_head_seq, "audit_head_hash": backup.contents.audit_head_hash})
