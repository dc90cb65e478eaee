"""A throwaway PostgreSQL server (initdb + pg_ctl in a temp dir on a free loopback port), shared by the
test suite and the benchmarks. Run as root it runs the server as the postgres user (initdb refuses root)."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text

HOST = "127.0.0.1"


def postgres_bin() -> Path | None:
    """The newest installed server's bin directory, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return found[-1].parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class ThrowawayPostgres:
    """``durable=False`` (tests) turns fsync off for speed; benchmarks keep durable commits to be honest.

    ``directory`` (benchmarks) keeps the server's files there instead of a temp dir: stop() leaves them, and a
    later run given the same directory starts that server again (``reused`` is True) instead of running initdb,
    so a database that took half an hour to fill can be measured many times."""

    def __init__(self, bin_dir: Path, *, durable: bool = False, max_connections: int = 200,
                 directory: Path | None = None) -> None:
        self.bin = bin_dir
        self.keep = directory is not None
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            self.dir = directory.resolve()
        else:
            self.dir = Path(tempfile.mkdtemp(prefix="mash-pg-"))
        self.reused = (self.dir / "data" / "PG_VERSION").exists()
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self.started = False
        options = f"-c listen_addresses={HOST} -p {self.port} -k {self.dir} -c max_connections={max_connections}"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        try:
            if not self.reused:
                self._run("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                          "--locale=C.UTF-8")
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"), "-w", "-t", "60",
                      "-o", options, "start")
        except BaseException:
            if not self.keep:
                shutil.rmtree(self.dir, ignore_errors=True)
            raise
        self.started = True
        self.admin_url = self.url("postgres")
        found = re.search(r"\d+(\.\d+)+", self._run("postgres", "--version"))
        self.version = found.group(0) if found else "?"

    def _run(self, tool: str, *args: str) -> str:
        command = [str(self.bin / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, cwd=self.dir).stdout

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(sql))
        finally:
            engine.dispose()

    def create_database(self, name: str, template: str | None = None) -> str:
        self.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return self.url(name)

    def stop(self) -> None:
        try:
            if self.started:
                self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
        finally:
            if not self.keep:
                shutil.rmtree(self.dir, ignore_errors=True)
