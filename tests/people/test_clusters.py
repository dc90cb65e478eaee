"""Person clusters: one recursive read, read once per transaction, and never stale after a merge in it."""
from __future__ import annotations

from sqlalchemy import event

from app.people.clusters import clusters
from tests.people.records import person


def _counting(db) -> list[str]:
    sent: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda _c, _cu, statement, *_: sent.append(statement))
    return sent


def test_a_cluster_is_every_record_merged_into_its_root_at_any_depth_in_one_read(db):
    with db.unit_of_work() as session:
        root = person(session, "Ada", "Root")
        middle = person(session, "Ada", "Middle", merged_into=root.id)
        deep = person(session, "Ada", "Deep", merged_into=middle.id)
        other = person(session, "Bea", "Other")
        sent = _counting(db)
        assert clusters(session, [deep.id]) == {root.id: root.id, middle.id: root.id, deep.id: root.id}
        assert len(sent) == 1
        assert clusters(session, [other.id, 999_999]) == {other.id: other.id, 999_999: 999_999}  # not stored: itself


def test_clusters_already_read_in_the_transaction_are_not_read_again(db):
    with db.unit_of_work() as session:
        root = person(session, "Cara", "Root")
        merged = person(session, "Cara", "Merged", merged_into=root.id)
        clusters(session, [root.id])
        sent = _counting(db)
        assert clusters(session, [merged.id]) == {root.id: root.id, merged.id: root.id}
        assert sent == []


def test_a_merge_in_the_transaction_is_seen_by_the_next_cluster_read(db):
    with db.unit_of_work() as session:
        keep = person(session, "Dee", "Kept")
        other = person(session, "Dee", "Other")
        assert clusters(session, [other.id]) == {other.id: other.id}
        other.merged_into_id = keep.id  # as app.people.operations merges
        assert clusters(session, [other.id]) == {keep.id: keep.id, other.id: keep.id}
        other.merged_into_id = None  # and unmerges
        assert clusters(session, [other.id]) == {other.id: other.id}


def test_a_new_transaction_reads_the_clusters_afresh(db):
    with db.unit_of_work() as session:
        keep = person(session, "Eve", "Kept")
        other = person(session, "Eve", "Other")
        ids = keep.id, other.id
    with db.unit_of_work() as session:
        assert clusters(session, [ids[1]]) == {ids[1]: ids[1]}
    with db.unit_of_work() as session:  # another request merges them
        session.get_one(type(keep), ids[1]).merged_into_id = ids[0]
    with db.unit_of_work() as session:
        assert clusters(session, [ids[1]]) == {ids[0]: ids[0], ids[1]: ids[0]}
