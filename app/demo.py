"""Demo data: a user per role and a handful of cases at different steps, made through the real operations."""
from __future__ import annotations

import os

from sqlalchemy import select

from app.auth.models import User
from app.auth.operations import create_user, user_by_username
from app.cases.models import Case
from app.cases.operations import complete_task
from app.core.db import get_db, run_in_transaction
from app.core.roles import LANE_NAMES, OTHER_ROLES, role_for_lane, role_label
from app.inbox.models import OpenTask
from app.intake.operations import receive_contact

DEMO_PASSWORD_ENV = "MASH_DEMO_PASSWORD"
DEFAULT_DEMO_PASSWORD = "demo-only-password"

AGENCY_OF = {"mash-manager": "Children's social care", "social-worker": "Children's social care",
             "business-support": "Children's social care", "referrer": "Oakfield Primary School"}


def demo_users() -> list[tuple[str, str, list[str]]]:
    """(username, display name, roles): a user per lane named by its slug, plus the other roles."""
    users = [(role_for_lane(lane), f"{lane} (demo)", [role_for_lane(lane)]) for lane in LANE_NAMES]
    users += [(role, f"{role_label(role)} (demo)", [role]) for role in OTHER_ROLES]
    return users


def seed_users(password: str | None = None) -> int:
    password = password or os.environ.get(DEMO_PASSWORD_ENV, DEFAULT_DEMO_PASSWORD)
    created = 0
    with get_db().unit_of_work() as session:
        for username, display_name, roles in demo_users():
            if user_by_username(session, username) is None:
                create_user(session, username, display_name=display_name,
                            agency=AGENCY_OF.get(username, role_label(roles[0])), roles=roles, password=password)
                created += 1
    return created


def _contact(given: str, family: str, dob: str, concern: str, *, source: str = "2A", immediate: bool = False) -> dict:
    return {
        "source": source,
        "referrer": {"name": "Sam Patel", "organisation": "Oakfield Primary School", "role": "Designated safeguarding lead",
                     "email": "dsl@oakfield.example.org", "phone": "01632 960001"},
        "subjects": [{"role": "child", "given_name": given, "family_name": family, "date_of_birth": dob,
                      "address": "12 Example Road, Exampletown"}],
        "concern": concern,
        "immediate_risk": immediate,
        "consent": {"status": "given"},
    }


def _actor(username: str):
    with get_db().unit_of_work(write=False) as session:
        return session.scalar(select(User).where(User.username == username)).as_actor()


def _do(case_id: int, bpmn_id: str, username: str, data: dict) -> None:
    with get_db().unit_of_work(write=False) as session:
        task_id = session.scalar(select(OpenTask.task_id).where(OpenTask.case_id == case_id, OpenTask.bpmn_id == bpmn_id))
    run_in_transaction(complete_task, task_id, data, _actor(username))


SCREEN_AMBER = {"rag": "amber", "rag_rationale": "Repeated bruising noticed by school; no explanation given.",
                "consent": "given", "agencies": ["police", "health", "education"],
                "questions_for_agencies": "Any domestic abuse call-outs at the address? Missed health appointments?"}


def seed_cases() -> int:
    """Five demo cases, once: awaiting screening, mid agency checks, awaiting decision, in strategy discussion, closed."""
    with get_db().unit_of_work(write=False) as session:
        if session.scalar(select(Case.id).limit(1)) is not None:
            return 0
    referrer = _actor("referrer")
    cases = [
        run_in_transaction(receive_contact, _contact("Amelia", "Brown", "2016-03-14",
                           "Amelia arrived at school hungry three days running and said she was scared to go home."),
                           referrer, channel="web")[0],
        run_in_transaction(receive_contact, _contact("Leo", "Carter", "2019-07-02",
                           "Nursery saw a bruise on Leo's cheek; mother said he fell, Leo said daddy was cross."),
                           referrer, channel="web")[0],
        run_in_transaction(receive_contact, _contact("Maya", "Davies", "2011-11-23",
                           "Maya disclosed that an adult she met online has asked to meet her.", source="3C"),
                           referrer, channel="api")[0],
        run_in_transaction(receive_contact, _contact("Noah", "Evans", "2014-01-30",
                           "Police attended a domestic incident; Noah was present and has a cut to his head.",
                           source="6", immediate=True), referrer, channel="api")[0],
        run_in_transaction(receive_contact, _contact("Olivia", "Foster", "2017-05-09",
                           "Parent asked the school for advice about managing Olivia's behaviour at home."),
                           referrer, channel="web")[0],
    ]
    # Leo: screened, police have returned, health and education still checking.
    _do(cases[1].id, "screening", "mash-manager", SCREEN_AMBER)
    _do(cases[1].id, "police_check", "police", {"nothing_known": False, "handling_restriction": "hub-only",
        "findings": "Two domestic abuse call-outs to the address in the last 6 months (DASH: medium)."})
    # Maya: all checks back, awaiting the MASH review.
    _do(cases[2].id, "screening", "mash-manager", {**SCREEN_AMBER, "rag": "red", "agencies": ["police", "health"],
        "rag_rationale": "Online grooming risk; possible child sexual exploitation."})
    _do(cases[2].id, "police_check", "police", {"nothing_known": True, "handling_restriction": "none"})
    _do(cases[2].id, "health_check", "health", {"nothing_known": False, "handling_restriction": "none",
        "findings": "Seen by school nurse twice this term for low mood."})
    # Noah: immediate risk went straight to a strategy discussion, being convened.
    # Olivia: advice only, closed after feedback.
    _do(cases[4].id, "screening", "mash-manager", {"rag": "blue", "rag_rationale": "Parenting advice request only.",
        "consent": "given", "agencies": []})
    _do(cases[4].id, "feedback_to_referrer", "business-support", {"feedback_method": "email",
        "feedback_summary": "Advice given and parenting support signposted.", "information_product_recipients": ["none"],
        "sharing_consent": "given"})
    return len(cases)
