"""Which school ids the hub knows (``processes/schools.toml``, kept for Operation Encompass): a child's school on a
notification must be one of them once the file exists; before it does, any id is taken as given."""
from __future__ import annotations

from app.core.rule_files import processes_folder
from app.core.schools import SCHOOLS_FILE, SchoolsError, hub_schools


def known_school_ids() -> frozenset[str] | None:
    """The ids of the hub's schools, or None when the hub keeps no list (every id is then accepted)."""
    if not (processes_folder() / SCHOOLS_FILE).exists():
        return None
    try:
        return frozenset(hub_schools())
    except SchoolsError:
        return frozenset()  # a broken list accepts no school: the officer leaves it blank and says so in words
