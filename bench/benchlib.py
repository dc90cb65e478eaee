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
        os.execv(str(venv_python), [str(venv_python), *sys.argv])
    sys.path.insert(0, str(ROOT))


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]
