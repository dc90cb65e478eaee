"""Which school ids the hub knows (``processes/schools.toml``, kept for Operation Encompass): a child's school on a
notification must be one of them once the file exists; before it does, any id is taken as given."""
from __future__ import annotations

import os
import tomllib
from pathlib import Path

from app.core.config import PROJECT_ROOT

SCHOOLS_FILE = "schools.toml"


def known_school_ids() -> frozenset[str] | None:
    """The ids of the hub's schools, or None when the hub keeps no list (every id is then accepted)."""
    folder = Path(os.environ.get("MASH_PROCESSES_DIR") or PROJECT_ROOT / "processes")
    try:
        data = tomllib.loads((folder / SCHOOLS_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, tomllib.TOMLDecodeError):
        return frozenset()  # a broken list accepts no school: the officer leaves it blank and says so in words
    found = data.get("school")
    schools: list = found if isinstance(found, list) else []
    return frozenset(str(entry["id"]) for entry in schools if isinstance(entry, dict) and entry.get("id"))
