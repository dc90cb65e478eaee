"""What a practitioner's request costs the database, counted (not timed): completing a task commits once and
writes its audit trail in one statement; opening a task reads without SQLite's write lock and takes it only to
commit its audit events; a read whose snapshot another request has overtaken still commits what it wrote.
Figures for speed are in bench/task_throughput.py (README, "Speed")."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import event, select

from app.audit.chain import verify
from app.audit.models import AuditEvent
from app.audit.operations import record
from app.auth.models import User
from app.cases.models import Case
from app.core.actor import SYSTEM
from app.core.db import RequestUnit, get_db
from app.people.models import SubjectMatch
from tests import factories as f
from tests.api.test_referral_walks import report, task_id

#: Statements per completion of these steps today (README "Where a completion's time goes"; 45 for both before
#: issue 20's second round, 40 and 30 before its third); a change that adds a query per step event, per subject or
#: per open task shows here first. The third round: the case written once per step (it was three times at a
#: screening), each role's people read once per transaction with their digest choice, a step's deadlines and
#: sharing decisions in one INSERT each, the person clusters read once per transaction in one recursive read
#: (the answer, its repeat concerns and the exploitation-links flags asked for them three times, two reads each),
#: the answer taking the open tasks and deadlines its step synchronised, the task read with its incident (29 and
#: 27 before its fourth round: the audit chain's head moved in one UPDATE when this process left it where it is,
#: a step's changed deadlines in one executemany, the SLA wall's row written only when its values change; 28 and 25
#: before its fifth: no SAVEPOINT and RELEASE for an action begun before anything was written, the case read with
#: its contact, which the answer shows, in one statement, the case's inbox rows read with the task; the police
#: check 21 before its sixth: a case's returns read with their releases).
CEILING = {"screening": 24, "police_check": 20}
#: Statements to open a screening task today (its case's answer, who asked, the view's audit event); 23 before
#: issue 20's third round (the person clusters now read once, in one statement), 18 before its fourth (the chain
#: head moved without reading it first), 17 before its fifth (the case read with its contact, the task with its
#: case's other open tasks).
OPENING = 15


class Counted:
    """Every statement and commit the app's engine sends while counting."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.commits = 0
        engine = get_db().engine
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, _conn, _cursor, statement, _params, _context, _executemany) -> None:
        self.statements.append(" ".join(statement.split()[:3]))

    def _commit(self, _conn) -> None:
        self.commits += 1

    def clear(self) -> None:
        self.statements.clear()
        self.commits = 0

    def kinds(self) -> Counter:
        return Counter(s.split()[0] if not s.startswith("BEGIN IMMEDIATE") else "BEGIN IMMEDIATE"
                       for s in self.statements)


def test_a_completion_commits_once_and_writes_its_trail_in_one_statement(api):
    case_id = report(api)
    counted = Counted()
    for element, user, answers in (("screening", "mash-manager", f.screening("amber", ["police"])),
                                   ("police_check", "police", f.agency_return())):
        task = task_id(api, case_id, element, user)
        counted.clear()
        response = api(user).post(f"/api/v1/tasks/{task}/complete", json=answers)
        assert response.status_code == 200
        assert counted.commits == 1, element
        assert counted.statements.count("INSERT INTO audit_event") == 1, element  # steps, token use, the task
        # the case written once (each write is a version bump): reads in the step do not flush it early
        assert counted.statements.count("UPDATE mash_case SET") == 1, (element, counted.statements)
        # a step's changed deadlines in one UPDATE (an executemany), whichever columns each changed
        assert counted.statements.count("UPDATE deadline SET") <= 1, (element, counted.statements)
        # no SAVEPOINT: nothing was written before the action, so the step runs in the transaction itself and
        # undoing it is a rollback that makes who asked again (issue 20's fifth round; one SAVEPOINT before)
        assert not any(s.startswith(("SAVEPOINT", "RELEASE")) for s in counted.statements), element
        # the case's inbox rows read once, with the task and its incident, and synchronised from that read
        assert counted.statements.count("SELECT open_task.task_id, open_task.case_id,") == 1, element
        assert len(counted.statements) <= CEILING[element], (element, counted.kinds())
    with get_db().unit_of_work(write=False) as session:
        steps = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case_id,
                                                                AuditEvent.action.like("step.%"))).all()
        assert len(steps) > 5  # every step event is still its own entry of the chain
        assert verify(session).ok


def test_opening_a_task_reads_without_the_write_lock_and_takes_it_only_to_commit_its_audit(api):
    case_id = report(api)
    task = task_id(api, case_id, "screening", "mash-manager")
    counted = Counted()
    assert api("mash-manager").get(f"/api/v1/tasks/{task}").status_code == 200
    statements = counted.statements
    assert len(statements) <= OPENING, counted.kinds()
    assert statements.count("SELECT open_task.task_id, open_task.case_id,") == 1  # the task with its case's others
    assert statements[0] == "BEGIN"  # deferred: other writers go on while this request reads
    writer = statements.index("BEGIN IMMEDIATE")
    assert all(not s.startswith(("INSERT", "UPDATE", "DELETE")) for s in statements[:writer])
    # the chain head moved in one UPDATE (it was where this process last left it), then the view's events
    assert statements[writer + 1:] == ["UPDATE audit_chain_head SET", "INSERT INTO audit_event"]
    assert counted.commits == 1


def test_a_read_overtaken_by_another_commit_still_commits_its_audit_and_what_it_changed(db):
    """SQLite refuses to turn a read whose snapshot is out of date into a write ("database is locked" at once):
    the read's audit events and changes are carried into a write transaction of their own."""
    with db.unit_of_work(write=False) as session:
        someone = session.scalars(select(User.id).order_by(User.id)).first()
    unit = RequestUnit(db.read_scoped(), write=False)
    reader = unit.session
    reader.scalars(select(Case.id)).all()  # the read's snapshot begins
    with db.unit_of_work() as other:  # another request commits meanwhile
        record(other, SYSTEM, "test.other-request")
    record(reader, SYSTEM, "test.page-viewed")
    reader.get_one(User, someone).display_name = "Carried over"  # as a page marks a released return read
    unit.finish(keep=True)
    db.remove()
    with db.unit_of_work(write=False) as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("test.%"))
                                  .order_by(AuditEvent.seq)).all()
        assert actions == ["test.other-request", "test.page-viewed"]
        assert session.get_one(User, someone).display_name == "Carried over"
        assert verify(session).ok


def test_a_read_that_begins_its_action_after_another_commit_neither_writes_nor_fails(db):
    """Who asked (a token's last use) is changed before the action begins; a savepoint there would flush it into
    the read, which SQLite refuses once another request has committed (seen with the scheduler firing)."""
    with db.unit_of_work(write=False) as session:
        someone = session.scalars(select(User.id).order_by(User.id)).first()
    unit = RequestUnit(db.read_scoped(), write=False)
    reader = unit.session
    reader.get_one(User, someone).display_name = "Who asked"  # as a token's last_used_at
    record(reader, SYSTEM, "test.token-used")
    with db.unit_of_work() as other:
        record(other, SYSTEM, "test.scheduler-fired")
    unit.start_action()
    reader.scalars(select(Case.id)).all()
    record(reader, SYSTEM, "test.viewed")
    unit.finish(keep=True)
    db.remove()
    with db.unit_of_work(write=False) as session:
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("test.%"))
                               .order_by(AuditEvent.seq)).all() == ["test.scheduler-fired", "test.token-used",
                                                                     "test.viewed"]
        assert session.get_one(User, someone).display_name == "Who asked"


def test_a_refused_read_keeps_who_asked_and_its_security_events_only(db):
    unit = RequestUnit(db.read_scoped(), write=False)
    reader = unit.session
    record(reader, SYSTEM, "test.token-used")
    unit.start_action()
    record(reader, SYSTEM, "test.viewed")
    record(reader, SYSTEM, "test.access-refused", security=True)
    unit.refuse()
    unit.finish(keep=True)
    db.remove()
    with db.unit_of_work(write=False) as session:
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("test.%"))
                               .order_by(AuditEvent.seq)).all() == ["test.token-used", "test.access-refused"]


def test_a_new_contact_reads_no_subject_match_it_has_not_made(api):
    """A new subject has no decided matches to read before its proposals are made, and the threshold's repeat
    concern at receipt counts confirmed flags only, which the proposed matches cannot raise (issue 20's fourth
    round: the subject-match table was read twice per contact)."""
    report(api, given="Maisie", family="Matcher")
    counted = Counted()
    response = api("referrer").post("/api/v1/contacts", json=f.contact(given="Maisie", family="Matcher"))
    assert response.status_code == 201
    sent = list(counted.statements)
    with get_db().unit_of_work(write=False) as session:
        assert session.scalars(select(SubjectMatch)).all()  # the second contact's subject was proposed a match
    assert [s for s in sent if s.startswith("SELECT subject_match")] == [], sent
    # nor whether the record made for it in this transaction was merged (fifth round: one read per subject)
    assert "SELECT person.merged_into_id FROM" not in sent, sent


def test_a_new_contact_reads_no_deadline_or_inbox_row_of_the_case_it_is_storing(api):
    """A case stored in this transaction has no deadline or inbox rows: its store's steps do not read them
    (issue 20's fifth round); its start, a transaction after the store's commit, reads them as any step does."""
    report(api)  # the referrer's token is made
    sent: list[str] = []
    engine = get_db().engine

    def statement(_conn, _cursor, text, *_):
        sent.append(" ".join(text.split()[:3]))

    def commit(_conn):
        sent.append("COMMIT")

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        response = api("referrer").post("/api/v1/contacts", json=f.contact(given="Stored", family="Once"))
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    assert response.status_code == 201
    store = sent[:sent.index("COMMIT")]
    start = sent[sent.index("COMMIT") + 1:]
    reads = ("SELECT deadline.id, deadline.case_id,", "SELECT open_task.task_id, open_task.case_id,")
    assert [s for s in store if s in reads] == [], store
    assert all(s in start for s in reads), start
    assert sent.count("COMMIT") == 2


#: Statements of the case page (GET /cases/{id}, the MASH manager, a contact waiting for screening) today; 28 with
#: one child and 32 with three before issue 20's sixth round (a repeat missing child counted in reads per child;
#: eight occasional records read to find none); 21 before the seventh (the history and who has seen the case read
#: apart; the subjects' proposed records read by the repeat concerns panel and again by the missing flags).
CASE_PAGE = 19
#: Statements of a person page (GET /people/{id}) today; 25 before the sixth round (the person and their cluster
#: read four times over, every merged record of the index read to name the related people).
PERSON_PAGE = 13


def _children(family: str, count: int) -> dict:
    body = f.contact(given="Ava", family=family)
    body["subjects"] = [{"role": "child", "given_name": given, "family_name": family, "address": "1 High Street",
                         "date_of_birth": f"2015-06-0{number}"}
                        for number, given in enumerate(("Ava", "Ben", "Cal")[:count], 1)]
    body["subjects"].append({"role": "parent", "given_name": "Dana", "family_name": family,
                             "address": "1 High Street"})
    return body


def _page_statements(web, user: str, path: str) -> list[str]:
    client = web(user)
    assert client.get(path).status_code == 200  # warm: the compiled process, the clusters' statement
    counted = Counted()
    assert client.get(path).status_code == 200
    return list(counted.statements)


def test_the_case_page_reads_the_same_whatever_the_number_of_children(api, web):
    """A repeat missing child is looked for in one read of the children's proposed matches and one of their
    episodes, not three reads per child (issue 20's sixth round); its occasional records are asked for in one
    read, not eight."""
    cases = {}
    for family, count in (("Onechild", 1), ("Threechildren", 3)):
        response = api("referrer").post("/api/v1/contacts", json=_children(family, count))
        assert response.status_code == 201
        cases[count] = response.get_json()["case_id"]
    with get_db().unit_of_work(write=False) as session:
        children = [s for s in session.get_one(Case, cases[3]).subjects if s.role == "child"]
        assert len(children) == 3 and all(s.person_id is not None for s in children)  # each is looked for
    sent = {count: _page_statements(web, "mash-manager", f"/cases/{case_id}") for count, case_id in cases.items()}
    assert len(sent[3]) == len(sent[1]), (sent[1], sent[3])
    for statements in sent.values():
        assert len(statements) <= CASE_PAGE, statements
        assert sum(s.startswith("SELECT missing_episode") for s in statements) == 1, statements  # the children's
        assert sum(s.startswith("SELECT subject_match") for s in statements) == 1, statements  # panel and flags
        assert sum(s.startswith("SELECT audit_event") for s in statements) == 1, statements  # history and viewers
        for table in ("strategy_discussion", "referrer_feedback", "incident", "professional_disagreement",
                      "lado_allegation", "adult_safeguarding", "da_notification"):
            assert not any(s.startswith(f"SELECT {table}.") for s in statements), (table, statements)


def test_a_person_page_reads_the_persons_cluster_once(api, web):
    case_id = report(api, given="Petra", family="Paged")
    with get_db().unit_of_work(write=False) as session:
        person_id = session.get_one(Case, case_id).subjects[0].person_id
    statements = _page_statements(web, "mash-manager", f"/people/{person_id}")
    assert len(statements) <= PERSON_PAGE, statements
    assert sum(s.startswith("WITH RECURSIVE") for s in statements) == 1, statements  # profile and network share it
    assert not any(s.startswith("SELECT person.merged_into_id") for s in statements), statements  # root_of's
    assert "SELECT person.id, person.merged_into_id" not in statements, statements  # every merged record
