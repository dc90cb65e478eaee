"""What every bench script needs first: the project's own interpreter and imports, a percentile, and a cProfile
grouped by layer."""
from __future__ import annotations

import math
import os
import pstats
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
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


def percentile(values: Sequence[float], q: float) -> float:
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


#: (layer, path fragment) in the order they are tried: the first fragment found in a function's file names it.
Layers = tuple[tuple[str, str], ...]


def find_layer(filename: str, layers: Layers, *, builtins: str = "builtins (C calls)",
             app_packages: bool = False) -> str:
    """The layer a profiled function's file belongs to: the first of ``layers`` whose fragment is in it; then, with
    ``app_packages``, its package under app/ (``app.inbox``); then ``builtins`` for C calls, else other libraries."""
    for layer, fragment in layers:
        if fragment in filename:
            return layer
    if app_packages and (found := re.search(r"/app/(\w+)", filename)):
        return f"app.{found.group(1)}"
    if filename.startswith("~") or "{" in filename:
        return builtins
    return "other libraries"


def time_by_layer(stats: pstats.Stats, layer_of: Callable[[str], str]) -> tuple[float, dict[str, float]]:
    """The profile's total time and each layer's share of it, in seconds: the own time (tottime) of its functions,
    so that no time counts twice."""
    rows = stats.stats.items()  # type: ignore[attr-defined]
    by_layer: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), row in rows:
        by_layer[layer_of(filename)] += row[2]
    return sum(row[2] for _key, row in rows), by_layer


def print_layers(by_layer: dict[str, float], total: float, count: int, unit: str, *, width: int = 48,
                 decimals: int = 2) -> None:
    """The layers, most time first: milliseconds per ``unit`` (``count`` of them profiled) and share of the total."""
    print(f"   {'layer (own time of its functions)':<{width}}{'ms/' + unit:>{len(unit) + 4}}{'share':>8}")
    for layer, seconds in sorted(by_layer.items(), key=lambda item: -item[1]):
        print(f"   {layer:<{width}}{1000 * seconds / count:{len(unit) + 4}.{decimals}f}{100 * seconds / total:7.1f}%")


def print_top(stats: pstats.Stats, top: int, sort: str = "cumulative") -> None:
    """The ``top`` functions by ``sort`` (cumulative: with what they call; tottime: their own time)."""
    print(f"\n== Top {top} functions by {'cumulative' if sort == 'cumulative' else 'own'} time")
    stats.sort_stats(sort).print_stats(top)
