"""Which of a case's occasional records it holds, asked in one statement for the case page (issue 20).

Most cases have no strategy discussion, referrer feedback, incident, professional disagreement, allegation, adult
safeguarding record, domestic abuse notification or missing episode. The case page read each of those tables to
find nothing: eight round trips of its 27. One read of eight EXISTS (each an index probe on ``case_id``) says
which hold rows, and only those are read. What a reader may see is decided as before, by their sight.
"""
from __future__ import annotations

from sqlalchemy import Integer, Select, bindparam, exists, select
from sqlalchemy.orm import Session

from app.adults.models import AdultSafeguarding
from app.cases.models import ReferrerFeedback, StrategyDiscussion
from app.disagreements.models import ProfessionalDisagreement
from app.domestic_abuse.models import DomesticAbuseNotification
from app.incidents.models import Incident
from app.lado.models import LadoAllegation
from app.missing.models import MissingEpisode

#: The records keyed by ``case_id`` that a case page shows only when there are some.
OCCASIONAL: tuple[type, ...] = (StrategyDiscussion, ReferrerFeedback, Incident, ProfessionalDisagreement,
                                LadoAllegation, AdultSafeguarding, DomesticAbuseNotification, MissingEpisode)


def records_held(session: Session, case_id: int) -> frozenset[type]:
    """The kinds of OCCASIONAL record the case has at least one of."""
    row = session.execute(_PROBE, {"case_id": case_id}).one()
    return frozenset(model for model, held in zip(OCCASIONAL, row, strict=True) if held)


def _probe() -> Select[*tuple[bool, ...]]:
    case_id = bindparam("case_id", type_=Integer)
    return select(*(exists().where(model.case_id == case_id).label(model.__tablename__)  # type: ignore[attr-defined]
                    for model in OCCASIONAL))


#: Built once, as the hot path's statements are (its eight subqueries cost more to build than to run).
_PROBE = _probe()
