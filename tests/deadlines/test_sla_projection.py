"""The SLA wall's projection (one row per open case, kept by app.deadlines.tracking as each step writes its
deadline rows) always says what a full recount of the deadlines says: through screening, agency checks, timers
firing and breaching, a closure and a closed contact opened again by a dispute."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy import case as when

from app.cases.models import Case
from app.casework.scheduler import fire_due
from app.core.clock import clock, now
from app.deadlines.models import Deadline, SlaCase
from app.deadlines.queries import sla_wall
from app.deadlines.tracking import rebuild_sla_projection
from app.inbox.models import OpenTask
from tests import factories as f
from tests.api.test_referral_walks import complete, report
from tests.disagreements.test_professional_disagreements import MONDAY_10AM, decided, dispute

BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def recount(session, at, rag=None) -> dict[str, int]:
    """The wall's counts the slow way: every open case's unmet deadlines grouped by case."""
    unmet = and_(Deadline.met_at.is_(None), Deadline.cancelled_at.is_(None), Case.status == "open",
                 *([Case.rag == rag] if rag else []))
    late = or_(Deadline.breached_at.is_not(None), Deadline.due_at <= at)
    per_case = (select(func.max(when((late, 1), else_=0)).label("late"),
                       func.max(when((Deadline.at_risk_at <= at, 1), else_=0)).label("risk"))
                .join(Case, Case.id == Deadline.case_id).where(unmet).group_by(Deadline.case_id).subquery())
    rows = session.execute(select(per_case.c.late, per_case.c.risk)).all()
    breached = sum(1 for late_, _ in rows if late_)
    at_risk = sum(1 for late_, risk in rows if not late_ and risk)
    return {"breached": breached, "at-risk": at_risk, "on-track": len(rows) - breached - at_risk}


def projection(session) -> list[tuple]:
    return [tuple(row) for row in session.execute(
        select(SlaCase.case_id, SlaCase.rag, SlaCase.received_at, SlaCase.next_due, SlaCase.risk_from,
               SlaCase.breached).order_by(SlaCase.case_id))]


def assert_in_step(db) -> dict[str, int]:
    """The kept rows equal rows rebuilt from scratch, the counts equal a recount, and the wall lists every open case."""
    with db.unit_of_work() as session:
        at = now()
        kept = projection(session)
        counts = sla_wall(session, at).counts
        assert counts == recount(session, at)
        for rag in ("red", "amber", "green"):
            assert sla_wall(session, at, rag=rag).counts == recount(session, at, rag)
        rebuild_sla_projection(session)
        assert projection(session) == kept
        open_cases = session.scalars(select(Case.id).where(Case.status == "open").order_by(Case.id)).all()
        assert [row[0] for row in kept] == list(open_cases)
        session.rollback()
    return counts


@BOTH
def test_the_projection_is_a_recount_through_breaches_a_closure_and_a_reopened_contact(api, db):
    clock.freeze(MONDAY_10AM)
    red = report(api, given="Rosa", family="Reed")
    complete(api, red, "screening", "mash-manager", f.screening("red", ["police", "health"]))
    amber = report(api, given="Amir", family="Ambrose")
    complete(api, amber, "screening", "mash-manager", f.screening("amber", ["housing"]))
    nfa = decided(api)
    report(api, given="Wren", family="Waiting")  # not screened yet
    assert assert_in_step(db) == {"breached": 0, "at-risk": 0, "on-track": 4}

    clock.advance(timedelta(days=1, hours=4))
    assert fire_due() >= 2  # the red check and decision timers fire: breached
    counts = assert_in_step(db)
    assert counts["breached"] >= 1

    complete(api, nfa, "feedback_to_referrer", "business-support", f.feedback())  # the nfa contact closes
    with db.unit_of_work(write=False) as session:
        assert session.get(SlaCase, nfa) is None
    assert_in_step(db)

    assert dispute(api, nfa, "referrer", "outcome", "I still believe the child is at risk.").status_code == 201
    with db.unit_of_work(write=False) as session:
        assert session.get(SlaCase, nfa) is not None  # open again: back on the wall
    assert_in_step(db)
    clock.advance(timedelta(days=3))
    fire_due()
    assert_in_step(db)


def test_a_step_that_moves_nothing_on_the_wall_does_not_write_its_row_and_the_row_stays_in_step(api, db):
    """The wall's row is written when its values change (a deadline armed, met or moved, a re-rating, the case
    closing), not at every step: the row as stored is worked out from what the step loaded. Every step of the
    referral leaves the row equal to one rebuilt from scratch."""
    from sqlalchemy import event

    from tests.server_processes import REFERRAL_WALK

    writes: list[str] = []
    event.listen(db.engine, "before_cursor_execute",
                 lambda _c, _cu, statement, *_: writes.append(statement) if "sla_case" in statement else None)
    case_id = report(api)
    assert_in_step(db)
    per_step = {}
    for element, user, answers in REFERRAL_WALK:
        writes.clear()
        complete(api, case_id, element, user, answers)
        per_step[element] = sum(s.lstrip().upper().startswith(("INSERT", "DELETE")) for s in writes)
        assert_in_step(db)
    assert per_step["feedback_to_referrer"] == 1  # the case closes: it leaves the wall
    assert per_step["screening"] == 1  # its deadlines are armed
    assert 0 in per_step.values(), per_step  # some step moves nothing on the wall


def by_the_rule(rows: list[tuple], at) -> dict[str, int]:
    """The wall's rule row by row: breached when a timer fired or the next deadline has passed (at this very
    instant too), else at risk when the at-risk time has passed, else on track; no deadline running: uncounted."""
    counts = {"breached": 0, "at-risk": 0, "on-track": 0}
    for next_due, risk_from, breached in rows:
        if next_due is None:
            continue
        state = ("breached" if breached or next_due <= at
                 else "at-risk" if risk_from is not None and risk_from <= at else "on-track")
        counts[state] += 1
    return counts


@BOTH
def test_the_counts_read_from_index_ranges_agree_with_the_rule_for_every_kind_of_row(api, db):
    """The counts are added up from ranges (fired timers; passed deadlines not yet fired; passed at-risk times),
    so every kind of row, and the instants on the boundaries, is checked against the rule applied row by row,
    unfiltered, by RAG and by role."""
    clock.freeze(MONDAY_10AM)
    at, hour = now(), timedelta(hours=1)
    kinds = [  # rag, next_due, risk_from, breached
        ("red", at - hour, at - 2 * hour, True),  # a timer fired and the deadline has passed
        ("red", at + hour, at - hour, True),  # a timer fired; a later deadline is next
        ("amber", at - hour, at - 2 * hour, False),  # passed, its timer not fired yet
        ("amber", at, at - hour, False),  # due this instant
        ("green", at + hour, at - hour, False),  # at risk
        ("green", at + hour, at, False),  # at risk from this instant
        ("red", at + 2 * hour, at + hour, False),  # on track
        ("amber", at + hour, None, False),  # on track, no at-risk time
        ("green", None, None, False),  # no deadline running
    ]
    ids = [report(api, given=f"Kind{n}", family="Counted") for n in range(len(kinds))]
    with db.unit_of_work() as session:
        for case_id, (rag, next_due, risk_from, breached) in zip(ids, kinds, strict=True):
            session.execute(update(SlaCase).where(SlaCase.case_id == case_id)
                            .values(rag=rag, next_due=next_due, risk_from=risk_from, breached=breached))
        session.flush()
        waiting = set(session.scalars(select(OpenTask.case_id).where(OpenTask.role == "mash-manager")))
        rows = {row.case_id: row for row in session.scalars(select(SlaCase))}
        for rag, role in ((None, None), ("red", None), ("amber", None), ("green", None), (None, "mash-manager")):
            shown = [r for r in rows.values()
                     if (rag is None or r.rag == rag) and (role is None or r.case_id in waiting)]
            wall = sla_wall(session, at, rag=rag, role=role)
            assert wall.counts == by_the_rule([(r.next_due, r.risk_from, r.breached) for r in shown], at), (rag, role)
            assert wall.total == len(shown)
        assert sla_wall(session, at).counts == {"breached": 4, "at-risk": 2, "on-track": 2}
        session.rollback()
