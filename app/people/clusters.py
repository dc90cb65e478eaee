"""Which person records are one person: a record and everything merged into it, at any depth.

The one place that follows ``merged_into_id``. Merges are rare next to people, so the bulk form reads
every merged record once and resolves in memory (what reports over a year of contacts need).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, overload

from sqlalchemy import Select, bindparam, event, select
from sqlalchemy.orm import Session, object_session

from app.core.db import read_rows
from app.core.memo import forget, memo
from app.people.models import Person


@overload
def root_of(session: Session, person_id: int) -> int: ...
@overload
def root_of(session: Session, person_id: None) -> None: ...
@overload
def root_of(session: Session, person_id: int | None) -> int | None: ...


def root_of(session: Session, person_id: int | None) -> int | None:
    """The person record this one is (now) part of: itself when it was never merged (None for no record: a
    subject whose details were removed under the retention policy)."""
    seen = {person_id}
    while (parent := session.scalar(select(Person.merged_into_id).where(Person.id == person_id))) is not None:
        if parent in seen:  # a cycle would be a bug elsewhere; stop rather than spin
            break
        seen.add(parent)
        person_id = parent
    return person_id



def cluster_of(session: Session, person_id: int) -> set[int]:
    """The root of ``person_id`` and every record merged into it, directly or through another."""
    members = {root_of(session, person_id)}
    frontier = set(members)
    while frontier:
        frontier = set(session.scalars(select(Person.id).where(Person.merged_into_id.in_(frontier)))) - members
        members |= frontier
    return members


#: app.core.memo: {record: root} for every record of the whole clusters already read in the transaction. A
#: request's answer, its flags and its repeat concerns ask for the same subjects' clusters: read once. Forgotten
#: when a transaction (or savepoint) ends and whenever a record's merge changes in the session.
_KNOWN = "person_clusters"


def clusters(session: Session, person_ids: Iterable[int]) -> dict[int, int]:
    """Every record of the clusters of these records, each with its root: one read, whatever the number of
    records and the depth of merges. Clusters already read in this transaction are not read again."""
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return {}
    known: dict[int, int] = memo(session, _KNOWN)
    unknown = [record for record in ids if record not in known]
    if unknown:
        known.update(_read_clusters(session, unknown))
    roots = {known[record] for record in ids}
    return {record: root for record, root in known.items() if root in roots}


def cluster_around(session: Session, person_id: int) -> tuple[int, set[int]]:
    """``person_id``'s root and every record of its cluster (root_of and cluster_of in one read, or none when the
    transaction has read the cluster): for the person page, which asks three times."""
    record_root = clusters(session, [person_id])
    root = record_root[person_id]
    return root, {record for record, found in record_root.items() if found == root}


def _clusters_statement() -> Select:
    """Up the merges from the records bound to ``ids`` to their roots, then down to every record merged into
    them. Built once: aliasing the person table copies every column, which cost more than the read itself on each
    page that asks (the case page, the person page, a completion's answer)."""
    person = Person.__table__
    up = (select(person.c.id, person.c.merged_into_id).where(person.c.id.in_(bindparam("ids", expanding=True)))
          .cte("up", recursive=True))
    parent = person.alias("parent")
    up = up.union(select(parent.c.id, parent.c.merged_into_id).join(up, parent.c.id == up.c.merged_into_id))
    down = (select(up.c.id.label("id"), up.c.id.label("root")).where(up.c.merged_into_id.is_(None))
            .cte("down", recursive=True))
    child = person.alias("child")
    down = down.union(select(child.c.id, down.c.root).join(down, child.c.merged_into_id == down.c.id))
    return select(down.c.id, down.c.root)


_CLUSTERS = _clusters_statement()


def _read_clusters(session: Session, ids: list[int]) -> dict[int, int]:
    """One recursive read of the clusters of ``ids``. A record not stored (its details removed under the
    retention policy) or on a cycle of merges (a bug elsewhere) stands for itself."""
    members: dict[int, int] = {row.id: row.root for row in read_rows(session, _CLUSTERS, {"ids": ids})}
    return {**{record: record for record in ids if record not in members}, **members}


def merged_parents(session: Session) -> dict[int, int]:
    """Every merged record and the record it was merged into."""
    rows = session.execute(select(Person.id, Person.merged_into_id).where(Person.merged_into_id.is_not(None)))
    return {child: parent for child, parent in rows if parent is not None}  # all, by the query


def roots_for(session: Session, person_ids: Iterable[int], parents: dict[int, int] | None = None) -> dict[int, int]:
    """Each id's root, for many ids at once."""
    parents = merged_parents(session) if parents is None else parents
    roots: dict[int, int] = {}
    for person_id in person_ids:
        current, hops = person_id, 0
        while current in parents and hops < 100:
            current, hops = parents[current], hops + 1
        roots[person_id] = current
    return roots


def parents_above(session: Session, person_ids: Iterable[int]) -> dict[int, int]:
    """The merge parents of these records and of every record above them: one indexed read per level,
    for resolving a handful of ids (a match query's hits) without reading every merge."""
    parents: dict[int, int] = {}
    frontier = set(person_ids)
    seen = set(frontier)
    while frontier:
        rows = session.execute(select(Person.id, Person.merged_into_id)
                               .where(Person.id.in_(frontier), Person.merged_into_id.is_not(None)))
        found = {child: parent for child, parent in rows if parent is not None}  # all, by the query
        parents.update(found)
        frontier = set(found.values()) - seen
        seen |= frontier
    return parents


@event.listens_for(Person.merged_into_id, "set")
def _merge_changed(person: Person, _value: Any, _old: Any, _initiator: Any) -> None:
    forget(object_session(person), _KNOWN)


@event.listens_for(Session, "transient_to_pending")
def _merged_record_added(session: Session, instance: object) -> None:
    if isinstance(instance, Person) and instance.merged_into_id is not None:
        forget(session, _KNOWN)


@event.listens_for(Session, "before_flush")
def _records_deleted(session: Session, _context: Any, _instances: Any) -> None:
    if any(isinstance(instance, Person) for instance in session.deleted):
        forget(session, _KNOWN)
