"""Demo data: a user per role and a handful of cases at different steps, made through the real operations."""
from __future__ import annotations

import os
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import User
from app.auth.operations import create_user, user_by_username
from app.cases.models import Case, Subject
from app.casework.completion import complete_task
from app.core.calendar import LONDON, london
from app.core.clock import clock, now
from app.core.db import get_db, run_in_transaction
from app.core.roles import LANE_NAMES, LANE_ROLES, OTHER_ROLES, role_label
from app.inbox.models import OpenTask
from app.intake.operations import receive_contact
from app.people.models import SubjectMatch
from app.people.operations import confirm_match
from app.people.places import decide_association, record_association

DEMO_PASSWORD_ENV = "MASH_DEMO_PASSWORD"  # noqa: S105  (the variable's name, not a password)
DEFAULT_DEMO_PASSWORD = "demo-only-password"  # noqa: S105  (the demo users' published password, README)

AGENCY_OF = {"mash-manager": "Children's social care", "social-worker": "Children's social care",
             "out-of-hours": "Children's social care (emergency duty team)",
             "business-support": "Children's social care", "referrer": "Oakfield Primary School",
             "marac-coordinator": "Community safety partnership (MARAC)"}


def demo_users() -> list[tuple[str, str, list[str]]]:
    """(username, display name, roles): a user per lane named by its slug, plus the other roles."""
    users = [(role, f"{lane} (demo)", [role]) for lane, role in zip(LANE_NAMES, LANE_ROLES, strict=True)]
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


#: Demo e-mail addresses: the agencies' at their own (made-up) domains, the hub's staff at the council's
#: (``make run`` sets MASH_COUNCIL_DOMAIN=council.example, so they count as secure), the referrer at the school's.
DEMO_MAIL_DOMAINS = {"police": "police.example", "health": "nhs-trust.example", "education": "schools.example",
                     "probation": "probation.example", "housing": "housing.example",
                     "youth-justice": "youth-justice.example", "adult-social-care": "adults.example",
                     "referrer": "oakfield.example.org"}


def give_demo_users_addresses() -> int:
    """Every demo user without an e-mail address gets one, so the demo's notifications reach the local mail
    sink (MASH_DEV_MAIL=1). Addresses an administrator set are kept."""
    given = 0
    with get_db().unit_of_work() as session:
        for username, _name, _roles in demo_users():
            user = user_by_username(session, username)
            if user is not None and not user.email:
                user.email = f"{username}@{DEMO_MAIL_DOMAINS.get(username, 'council.example')}"
                given += 1
    return given


def _contact(given: str, family: str, dob: str, concern: str, *, source: str = "2A", immediate: bool = False) -> dict:
    return {
        "source": source,
        "referrer": {"name": "Sam Patel", "organisation": "Oakfield Primary School",
                     "role": "Designated safeguarding lead", "email": "dsl@oakfield.example.org",
                     "phone": "01632 960001"},
        "subjects": [{"role": "child", "given_name": given, "family_name": family, "date_of_birth": dob,
                      "address": "12 Example Road, Exampletown"}],
        "concern": concern,
        "immediate_risk": immediate,
        "consent": {"status": "given"},
    }


def _actor(username: str):
    with get_db().unit_of_work(write=False) as session:
        return session.scalars(select(User).where(User.username == username)).one().as_actor()


def _do(case_id: int, bpmn_id: str, username: str, data: dict) -> None:
    with get_db().unit_of_work(write=False) as session:
        task_id = session.scalar(select(OpenTask.task_id)
                                 .where(OpenTask.case_id == case_id, OpenTask.bpmn_id == bpmn_id))
    run_in_transaction(complete_task, task_id, data, _actor(username))


#: The confirmed immediate risk every demo that needs one records, by whoever holds the step.
IMMEDIATE_RISK_CONFIRMED = {"immediate_risk_decision": "confirmed", "emergency_action": "none",
                            "immediate_risk_rationale": "Injury seen by officers; the adult responsible is at home."}


def confirm_immediate_risk(case_id: int) -> None:
    """The MASH manager confirms the flag, or, when the hub calendar says the hub is closed, the duty team."""
    with get_db().unit_of_work(write=False) as session:
        step = session.scalar(select(OpenTask.bpmn_id).where(
            OpenTask.case_id == case_id, OpenTask.bpmn_id.in_(("confirm_immediate_risk",
                                                               "confirm_immediate_risk_out_of_hours"))))
    user = "out-of-hours" if step == "confirm_immediate_risk_out_of_hours" else "mash-manager"
    _do(case_id, str(step), user, IMMEDIATE_RISK_CONFIRMED)


SCREEN_AMBER = {"rag": "amber", "rag_rationale": "Repeated bruising noticed by school; no explanation given.",
                "presenting_factors": ["18C", "3B"], "consent": "given", "agencies": ["police", "health", "education"],
                "questions_for_agencies": "Any domestic abuse call-outs at the address? Missed health appointments?",
                # The threshold suggests Red for physical abuse; the screener rated Amber and says why.
                "rag_override_reason": "Old bruising, no disclosure and the child is safe at school today: "
                                       "checks within a working day are proportionate."}


def seed_cases() -> int:
    """Five demo cases, once: awaiting screening, mid agency checks, awaiting decision, in strategy discussion,
    closed."""
    with get_db().unit_of_work(write=False) as session:
        if session.scalar(select(Case.id).limit(1)) is not None:
            return 0
    history = seed_history()
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
        "rag_rationale": "Online grooming risk; possible child sexual exploitation.", "presenting_factors": ["11A"]})
    _do(cases[2].id, "police_check", "police", {"nothing_known": True, "handling_restriction": "none"})
    _do(cases[2].id, "health_check", "health", {"nothing_known": False, "handling_restriction": "none",
        "findings": "Seen by school nurse twice this term for low mood."})
    # Noah: the police flagged immediate risk; it was confirmed at once and a strategy discussion is being convened.
    confirm_immediate_risk(cases[3].id)
    # Olivia: advice only, closed after feedback.
    _do(cases[4].id, "screening", "mash-manager", {"rag": "blue", "rag_rationale": "Parenting advice request only.",
        "presenting_factors": ["21"], "consent": "given", "agencies": [],
        "rag_override_reason": "Advice only: no agency needs to check its records."})
    _do(cases[4].id, "feedback_to_referrer", "business-support", {
        "feedback_method": "email", "feedback_summary": "Advice given and parenting support signposted.",
        "information_product_recipients": ["none"], "sharing_consent": "given"})
    _seed_links([cases[2].id, cases[0].id])
    return history + len(cases) + seed_adult_at_risk(referrer) + seed_missing_episode()


#: A concern about an adult at risk with a grandchild in the household (issue 22): its own case on the adult pathway,
#: consent and capacity recorded and the section 42 decision due, and the linked children's case waiting to screen.
ADULT_CONCERN = {
    "type": "adult-at-risk",
    "referrer": {"name": "Dr Jo Example", "organisation": "Exampletown Surgery", "role": "GP"},
    "adult": {"given_name": "Edith", "family_name": "Marsh", "date_of_birth": "1941-03-09",
              "address": "3 Mill Lane, Exampletown EX1 4QT"},
    "care_needs": "Vascular dementia; carers visit twice a day.", "abuse_kinds": ["financial", "psychological"],
    "concern": "Her nephew has taken her bank card and shouts at her when she asks for it.",
    "location_of_risk": "own-home", "source_of_risk": "known", "adult_aware": True, "adult_consents": "yes",
    "immediate_risk": False, "children": [{"given_name": "Tom", "family_name": "Marsh", "date_of_birth": "2016-04-02"}],
}


def seed_adult_at_risk(referrer) -> int:
    """The adult at risk demo: returns the number of contacts it made (the adult's and the child's)."""
    case = run_in_transaction(receive_contact, ADULT_CONCERN, referrer, channel="web")[0]
    _do(case.id, "record_adult_consent_capacity", "adult-social-care", {
        "adult_consent": "given", "adult_capacity": "has-capacity",
        "adult_mca_principles": ["presume-capacity", "practicable-steps", "unwise-decisions", "best-interests",
                                 "least-restrictive"],
        "adult_capacity_note": "Spoke with Edith at home; she understood and weighed up the choices.",
        "adult_advocate": False, "adult_outcomes_asked": "expressed",
        "adult_desired_outcomes": "To keep her money safe and still see her nephew."})
    return 2


def _seed_links(case_ids: list[int]) -> None:
    """Exploitation (app/people/places.py): Maya and Amelia both seen at a takeaway (confirmed); Maya also with
    an adult she met online (still possible), so the network and the place's page have something to show."""
    manager = _actor("mash-manager")
    takeaway = {"links_to": "place", "link": "frequents", "place_kind": "takeaway",
                "place_name": "Station Road Chicken", "place_postcode": "EX4 1AA", "agency": "police"}
    for case_id in case_ids:
        def link(session, case_id=case_id):
            child = session.get_one(Case, case_id).subjects[0].id
            row = record_association(session, case_id, {**takeaway, "child_subject_id": child,
                                                        "seen_on": (now().date() - timedelta(days=6)).isoformat()},
                                     manager)
            decide_association(session, row.id, "confirm", manager)
        run_in_transaction(link)

    def adult(session):
        child = session.get_one(Case, case_ids[0]).subjects[0].id
        record_association(session, case_ids[0], {"links_to": "adult", "link": "online", "child_subject_id": child,
                                                  "adult_given_name": "Carl", "adult_family_name": "Demo",
                                                  "seen_on": (now().date() - timedelta(days=3)).isoformat()}, manager)
    run_in_transaction(adult)


def seed_missing_episode() -> int:
    """Kayla: the police notified a missing episode last night; she is back this morning, and the missing children
    coordinator has the return home interview to offer within 72 hours of her return."""
    started, returned = now() - timedelta(hours=14), now() - timedelta(hours=2)
    run_in_transaction(receive_contact, {
        "type": "missing-person-notification", "looked_after": False, "police_reference": "MP/DEMO/0042",
        "officer_name": "PC Dana Fictional", "risk_grading": "medium",
        "child": {"given_name": "Kayla", "family_name": "Price", "date_of_birth": "2011-04-09",
                  "address": "12 Mill Lane, Exampletown"},
        "started_on": london(started, "%Y-%m-%d"), "started_time": london(started, "%H:%M"),
        "circumstances": "Did not come home from school; last seen at the bus station with older youths.",
        "returned": True, "returned_on": london(returned, "%Y-%m-%d"), "returned_time": london(returned, "%H:%M"),
        "found_where": "A flat on the Eastgate estate, found by police"}, _actor("police"), channel="api")
    return 1


#: A pattern no single contact shows: a school's worry, a police call-out and a missed health appointment
#: about the same child over three months, each closed; then a fourth contact waiting for screening, with
#: the child's name mistyped, so the screener sees the possible match and the repeat-concern flags.
HISTORY = (
    # (days ago, source, given name as reported, outcome, rag, agencies, concern)
    (84, "2A", "Ruby", "early-help", "green", ["education"],
     "Ruby has been late most days this half term and says she looks after her baby brother in the mornings."),
    (47, "6", "Ruby", "s17-assessment", "amber", ["police", "health"],
     "Police attended a verbal argument at Ruby's home at 23:00; Ruby answered the door."),
    (19, "3A", "Rubie", "nfa", "green", ["health"],
     "Ruby was not brought to two paediatric appointments; the surgery could not reach her mother."),
)
RUBY = {"family_name": "Green", "date_of_birth": "2014-02-11", "address": "7 Orchard Close, Exampletown EX4 2PL"}


def _walk_to_closure(case_id: int, outcome: str, rag: str, agencies: list[str]) -> None:
    _do(case_id, "screening", "mash-manager", {
        "rag": rag, "rag_rationale": "Needs unmet; no immediate risk on what the contact says.", "consent": "given",
        "agencies": agencies, "presenting_factors": ["7A"] if rag == "green" else ["3A"],
        # A repeat concern may make the threshold suggest Amber where the screener saw unmet needs only.
        **({"rag_override_reason": "Unmet needs only; the earlier contacts were closed."} if rag == "green" else {})})
    for agency in agencies:
        clock.advance(timedelta(hours=3))
        _do(case_id, f"{agency.replace('-', '_')}_check", agency,
            {"nothing_known": False, "handling_restriction": "none",
             "findings": "Known to us; details in our record of the last month."})
    clock.advance(timedelta(hours=2))
    _do(case_id, "mash_review", "mash-manager", {"rerate": "no", "analysis": "Low-level concerns; parents engage."})
    _do(case_id, "decision", "mash-manager", {"outcome": outcome, "outcome_rationale": "Proportionate on the checks.",
                                              "information_product_recipients": ["none"], "sharing_consent": "given"})
    clock.advance(timedelta(hours=1))
    _do(case_id, "feedback_to_referrer", "business-support", {
        "feedback_method": "email", "feedback_summary": "Thank you; we have decided what happens next."})
    if outcome == "early-help":  # the step-down records the family's consent and the team's acceptance
        _do(case_id, "refer_early_help", "mash-manager", {
            "family_consent": "given", "receiving_team": "Early help, north locality", "accepted": "accepted"})
    if outcome == "s17-assessment":
        _do(case_id, "record_assessment", "social-worker", {
            "concluded_on": (clock.now() + timedelta(days=10)).date().isoformat(),
            "assessment_outcome": "early-help", "assessment_summary": "Family support agreed; stepped down."})


def _confirm_proposals(case_id: int, manager) -> None:
    """What the screener does on the case's people page: the best proposal for each subject is the same child."""
    with get_db().unit_of_work(write=False) as session:
        best = {}
        for match in session.scalars(select(SubjectMatch).join(Subject, Subject.id == SubjectMatch.subject_id)
                                     .where(Subject.case_id == case_id, SubjectMatch.status == "proposed")
                                     .order_by(SubjectMatch.score)):
            best[match.subject_id] = match.id
    for match_id in best.values():
        run_in_transaction(confirm_match, match_id, manager)


def seed_history() -> int:
    """Ruby's earlier contacts, each confirmed as the same person, then today's contact about her."""
    referrer = _actor("referrer")
    manager = _actor("mash-manager")
    start = now()
    for days_ago, source, given, outcome, rag, agencies, concern in HISTORY:
        with clock.set_to(start - timedelta(days=days_ago)):
            payload = _contact(given, RUBY["family_name"], RUBY["date_of_birth"], concern, source=source)
            payload["subjects"][0]["address"] = RUBY["address"]
            case = run_in_transaction(receive_contact, payload, referrer, channel="web")[0]
            _confirm_proposals(case.id, manager)
            _walk_to_closure(case.id, outcome, rag, agencies)
    payload = _contact("Ruby", "Grene", RUBY["date_of_birth"],
                       "Ruby told her teacher there is no food at home and her mum has not been out of bed for days.")
    payload["subjects"][0]["address"] = RUBY["address"]
    run_in_transaction(receive_contact, payload, referrer, channel="web")
    return len(HISTORY) + 1


def seed_rota(days: int = 7) -> int:
    """A week of demo shifts from today, once: each lane's demo user on duty 08:00-18:00, and the emergency duty
    team overnight 18:00-08:00 (so an unclaimed urgent task always has someone to go to)."""
    from app.rota.models import DutyShift
    from app.rota.operations import DUTY_ROLES, add_shift

    with get_db().unit_of_work(write=False) as session:
        if session.scalar(select(DutyShift.id).limit(1)) is not None:
            return 0
    manager = _actor("mash-manager")
    today = now().astimezone(LONDON).date()
    added = 0
    for offset in range(days):
        day = today + timedelta(days=offset)
        when = {"date-day": str(day.day), "date-month": str(day.month), "date-year": str(day.year)}
        for role in DUTY_ROLES:
            times = ("18:00", "08:00") if role == "out-of-hours" else ("08:00", "18:00")
            form = {"role": role, "username": role, **when, "start_time": times[0], "end_time": times[1]}
            run_in_transaction(add_shift, form, manager)
            added += 1
    return added
