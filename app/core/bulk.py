"""New rows of one table written in one INSERT, kept as the session's own rows.

The ORM writes new rows with a database-made id one INSERT each on SQLite (it cannot tell which RETURNING row
belongs to which parameter set), and a flush for their ids writes every other pending change with them (the
case's UPDATE, a version bump each time). A step's new rows of one kind are few and told apart by a key of their
own (a deadline's process and name, a sharing decision's recipient): one INSERT ... VALUES (...), (...) RETURNING
the id with that key gives each its id, and the objects join the session as if loaded, with nothing else flushed.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Column, Insert, Table, insert, inspect
from sqlalchemy.orm import Session, make_transient_to_detached


def insert_together(session: Session, rows: Sequence[Any], key: Sequence[str]) -> None:
    """Write ``rows`` (new objects of one mapped class, ``key``: column names no two of them share) in one
    statement and add them to ``session`` with their ids. Rows whose key repeats (never in practice), or of a
    table with database-side defaults, are added for the next flush as usual."""
    if not rows:
        return
    keys = [tuple(getattr(row, name) for name in key) for row in rows]
    mapper = inspect(type(rows[0]))
    table = mapper.local_table
    [primary] = mapper.primary_key
    columns = [(attribute.key, attribute.columns[0]) for attribute in mapper.column_attrs
               if attribute.columns[0] is not primary]
    computed = [name for name, column in columns if column.default is not None and not column.default.is_scalar]
    if (len(set(keys)) != len(keys) or any(column.server_default is not None for _, column in columns)
            or any(getattr(row, name) is None for row in rows for name in computed)):
        session.add_all(rows)  # the ORM's way (a NULL here would override a database or computed default)
        return
    values = []
    for row in rows:
        for name, column in columns:
            if getattr(row, name) is None and column.default is not None and column.default.is_scalar:
                setattr(row, name, column.default.arg)  # what the ORM's INSERT would have written
            setattr(row, name, getattr(row, name))  # every column loaded: nothing is read again
        values.append({column.key: getattr(row, name) for name, column in columns})
    returned: list[Any] = []
    with session.no_autoflush:  # the rows need nothing pending (their parents are stored before them)
        for statement, parameters in _statements(table, values, (primary, *(table.c[name] for name in key))):
            returned += session.execute(statement, parameters).all()
    ids = {tuple(found): row_id for row_id, *found in returned}
    for row, row_key in zip(rows, keys, strict=True):
        setattr(row, mapper.get_property_by_column(primary).key, ids[row_key])
        make_transient_to_detached(row)
        session.add(row)


def _statements(table: Table, values: list[dict[str, Any]], returning: tuple[Column[Any], ...]
                ) -> list[tuple[Insert, list[dict[str, Any]]]]:
    """One executemany INSERT (a statement compiled once, sent as one multi-row INSERT) per set of rows that
    leave the same JSON columns empty. A None in a JSON column is SQL NULL, as in the ORM's INSERT (bound as a
    parameter it would store the JSON text 'null'): such a column is left out of the INSERT, whose default is
    NULL. A column no row fills is left out too."""
    empty = {name for name in values[0] if all(row[name] is None for row in values)}
    json = [name for name in values[0] if name not in empty and isinstance(table.c[name].type, JSON)]
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row in values:
        left_out = frozenset(empty | {name for name in json if row[name] is None})
        groups.setdefault(left_out, []).append({name: value for name, value in row.items() if name not in left_out})
    return [(_insert(table, returning), rows) for rows in groups.values()]


@lru_cache(maxsize=64)
def _insert(table: Table, returning: tuple[Column[Any], ...]) -> Insert:
    """Built once per table (building it took longer than running it): the columns it writes are the ones each
    executemany's rows give."""
    return insert(table).returning(*returning)
