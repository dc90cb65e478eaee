"""MI for missing children: episodes that started in the period by the police risk grading, the children they
were about (a child is a person-index cluster), repeat missing children, and the return home interview: offered
within 72 hours of the return, accepted, held. Counts and codes only, from app/missing's records."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.missing.episodes import RISK_GRADINGS
from app.missing.models import MissingEpisode
from app.missing.queries import offered_in_time
from app.people.clusters import clusters
from app.reports.figures import Column, Table
from app.reports.filters import ReportFilters


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _line(label: str, episodes: list[MissingEpisode], root: dict[int, int]) -> tuple:
    children = {root.get(e.person_id, e.person_id) for e in episodes if e.person_id is not None}
    repeat_children = {root.get(e.person_id, e.person_id) for e in episodes if e.repeat and e.person_id is not None}
    returned = [e for e in episodes if e.returned_at is not None]
    offered = [e for e in returned if e.interview_offered]
    in_time = [e for e in offered if offered_in_time(e)]
    return (label, len(episodes), len(children), len(repeat_children), len(returned), len(offered), len(in_time),
            _rate(len(in_time), len(returned)), sum(1 for e in offered if e.interview_accepted),
            sum(1 for e in offered if e.interview_held))


def missing_table(session: Session, filters: ReportFilters) -> Table:
    """One row per police risk grading and a total: episodes started in the period and their interviews."""
    start, end = filters.instants()
    episodes = list(session.scalars(select(MissingEpisode).where(MissingEpisode.started_at >= start,
                                                                 MissingEpisode.started_at < end)
                                    .order_by(MissingEpisode.id)))
    root = clusters(session, [e.person_id for e in episodes if e.person_id is not None])
    lines = [_line(label, [e for e in episodes if e.risk_grading == code], root)
             for code, label in RISK_GRADINGS.items()]
    return Table("missing-episodes", "Missing episodes and return home interviews", (
        Column("risk_grading", "Police risk grading", numeric=False), Column("episodes", "Episodes"),
        Column("children", "Children"), Column("repeat_children", "Repeat missing children"),
        Column("returned", "Returned"), Column("interviews_offered", "Interviews offered"),
        Column("offered_within_72_hours", "Offered within 72 hours of the return"),
        Column("offered_within_72_hours_pct", "% of those returned"), Column("interviews_accepted", "Accepted"),
        Column("interviews_held", "Held")), lines, _line("All episodes", episodes, root) if episodes else None)


def missing_tables(session: Session, filters: ReportFilters) -> tuple[Table, ...]:
    return (missing_table(session, filters),)
