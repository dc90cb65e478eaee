"""Contacts walked through the hub to the point where information is shared."""
from __future__ import annotations

from sqlalchemy import select

from app.sharing.models import SharingDecision
from tests import factories as f
from tests.api.test_referral_walks import complete, report, task_id

WITHOUT_CONSENT = {"consent_reason": "Father is the alleged abuser; asking would alert him.",
                   "lawful_basis": "uk-gdpr-6-1-e", "special_category_condition": "dpa-sch1-para18"}

POLICE_FINDINGS = "Neighbour Mary Jones called us on 2 March. Covert intelligence about drugs at the address."
HEALTH_FINDINGS = "Brought to the GP on 3 March by mary jones; bruising to the arm noted. Tom O’Neill was there."


def screened_without_consent(api, **contact) -> int:
    case_id = report(api, **contact)
    complete(api, case_id, "screening", "mash-manager",
             f.screening("amber", ["police", "health"], consent="not-sought", **WITHOUT_CONSENT))
    return case_id


def checked_with_a_restriction(api, **contact) -> int:
    """Police return hub-only intelligence naming a neighbour to protect; health's return names her too."""
    case_id = screened_without_consent(api, **contact)
    complete(api, case_id, "police_check", "police",
             f.agency_return(findings=POLICE_FINDINGS, handling_restriction="hub-only",
                             third_parties_to_protect="Mary Jones (neighbour)"))
    complete(api, case_id, "health_check", "health",
             f.agency_return(findings=HEALTH_FINDINGS, third_parties_to_protect="Tom O'Neill"))
    return case_id


def reviewed(api, **contact) -> int:
    """Checked and reviewed: the decision (with its sharing decision) is next."""
    case_id = checked_with_a_restriction(api, **contact)
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    return case_id


def decision_task(api, case_id: int) -> str:
    return task_id(api, case_id, "decision", "mash-manager")


def decided(api, outcome: str = "s17-assessment", recipients: list[str] | None = None, *,
            sharing: dict | None = None, **contact) -> int:
    """Checked and decided; the decision maker's sharing decision sends the product to ``recipients``."""
    case_id = checked_with_a_restriction(api, **contact)
    complete(api, case_id, "mash_review", "mash-manager", f.review())
    complete(api, case_id, "decision", "mash-manager", f.decision(outcome, recipients, **(sharing or {})))
    return case_id


def disseminated(api, recipients: list[str], **sharing) -> int:
    """Decided by the MASH manager with this sharing decision, then sent by business support."""
    case_id = decided(api, recipients=recipients, sharing=sharing)
    sent = "secure-email" if recipients != ["none"] else None
    complete(api, case_id, "feedback_to_referrer", "business-support", f.feedback(sent_method=sent))
    return case_id


def feedback_task(api, case_id: int) -> str:
    return task_id(api, case_id, "feedback_to_referrer", "business-support")


def decisions(db, case_id: int) -> list[SharingDecision]:
    with db.unit_of_work(write=False) as session:
        return list(session.scalars(select(SharingDecision).where(SharingDecision.case_id == case_id)
                                    .order_by(SharingDecision.id)))
