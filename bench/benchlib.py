"""What every bench script needs first: the project's own interpreter and imports, and a percentile."""
from __future__ import annotations

import math
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def use_project_venv() -> None:
    """Re-run under .venv's Python if started with another one, and make `app` and `tests` importable."""
    venv_python = ROOT / ".venv" / "bin" / "python"
    if (venv_python.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve()
            and not os.environ.get("MASH_BENCH_REEXEC")):
        os.environ["MASH_BENCH_REEXEC"] = "1"
        os.execv(str(venv_python), [str(venv_python), *sys.argv])  # noqa: S606  (the same script, in the project venv)
    sys.path.insert(0, str(ROOT))


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def on_sqlite_and_postgres(prefix: str, run, *, postgres_url: str | None, no_postgres: bool) -> None:
    """Call ``run(label, url, workdir)`` on a fresh SQLite file, then on PostgreSQL: the URL given, or a throwaway
    server (skipped, with a line on stderr, when its binaries are not installed)."""
    import shutil
    import tempfile

    from tests.postgres_server import ThrowawayPostgres, postgres_bin

    workdir = Path(tempfile.mkdtemp(prefix=f"mash-bench-{prefix}-"))
    try:
        run("SQLite", f"sqlite:///{workdir / f'{prefix}.db'}", workdir)
        if postgres_url:
            run("PostgreSQL", postgres_url, workdir)
        elif not no_postgres:
            bin_dir = postgres_bin()
            if bin_dir is None:
                print("PostgreSQL: server binaries not installed; skipped", file=sys.stderr)
                return
            server = ThrowawayPostgres(bin_dir, durable=True)
            try:
                run(f"PostgreSQL {server.version}", server.create_database(f"mash_{prefix}_bench"), workdir)
            finally:
                server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
