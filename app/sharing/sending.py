"""What business support sends at the feedback step: the decision maker's sharing decision and, for each
recipient, the information product as it would leave the hub now (#18).

Read only through the reader's sight (app.need_to_know): the product is shown to a sight that shows the
case's sharing record (business support and the hub's decision makers), never to anyone else. The preview
is the product itself (hub-only returns left out, protected identities hidden), so showing it discloses
nothing the recipient will not get.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.cases.models import Case
from app.need_to_know.sight import CaseSight
from app.sharing.product import InformationProduct, build_product
from app.sharing.queries import DecisionGroup, case_facts, decided_not_sent, sharing_labels


@dataclass(frozen=True)
class ProductPreview:
    recipient: str
    label: str
    product: InformationProduct


@dataclass(frozen=True)
class Sending:
    """The sharing decision waiting to be sent (None: the case has none, so the feedback form asks)."""

    decision: DecisionGroup | None
    previews: tuple[ProductPreview, ...] = ()

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"sharing_decision": None, "products": []}
        if self.decision is None:
            return answer
        first = self.decision.first.record
        answer["sharing_decision"] = {
            "decided_by": first.decided_by, "decided_at": first.decided_at.isoformat(),
            "recipients": [v.record.recipient for v in self.decision.shares],
            "purpose": first.purpose if self.decision.shares else None, "consent": first.consent_status,
            "reason_without_consent": first.reason_without_consent, "lawful_basis": first.lawful_basis_art6,
            "special_category_condition": first.condition_art9, "law_enforcement_part3": first.law_enforcement_part3,
            "subject_informed": first.subject_informed, "subject_informed_reason": first.subject_informed_reason}
        answer["products"] = [p.product.as_json() for p in self.previews]
        return answer


def sending_view(session: Session, case: Case, sight: CaseSight, at: datetime) -> Sending | None:
    """The feedback step's view of sharing; None for a sight that does not show the case's sharing record."""
    if not sight.shows("sharing"):
        return None
    pending = decided_not_sent(session, case.id)
    if not pending:
        return Sending(None)
    labels = sharing_labels(session, case)
    group = DecisionGroup(tuple(labels.view(row) for row in pending))
    shares = [v for v in group.shares if v.record.recipient]
    facts = case_facts(session, case) if shares else None
    previews = tuple(ProductPreview(v.record.recipient or "", v.recipient or "",
                                    build_product(facts, v.record.recipient or "", at))
                     for v in shares if facts is not None)
    return Sending(group, previews)
