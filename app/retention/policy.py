"""Which contacts the retention policy anonymises now, and which it holds back and why.

The policy: a contact whose front-door decision was no further action is anonymised once it has been
closed for the configured period (``Settings.retention_nfa_months``). Only Case.outcome "nfa" counts,
because that is what the policy was agreed for:

- "advice" and blue-rated contacts closed at screening (no decision) are not covered: they are a
  different class in most councils' retention schedules; add "advice" to NFA_OUTCOMES after the
  information governance lead signs it off.
- a strategy discussion that ended in no further action is not covered: there was reasonable cause to
  suspect significant harm, so the record follows the much longer child protection schedule.
- a contact passed to an allocated worker belongs to that open social care case (outcome is empty).

A missing episode (app/missing) has no front-door decision: its case closes once the return home interview is
offered (and held, or declined). Closed without a strategy discussion, it is a contact the hub took no further action
on, so it follows the same clock (MISSING_EPISODE_NFA); its ``missing_episode`` row is anonymised with the case
(app/retention/records.py). One that went to a strategy discussion follows the child protection schedule, as above.

A due contact is still held back while
- it carries a retention hold (litigation, an inquiry's preservation notice, a practice review, a police
  investigation, a pending information request, a complaint), or
- another contact about the same person is open or was received within the period: retention runs
  from the last contact about a child, so a pattern of repeated low-level concerns stays visible.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.adults.models import AdultSafeguarding
from app.cases.models import Case, Subject
from app.missing.models import MissingEpisode
from app.retention.people import PeopleIndex, Person

NFA_OUTCOMES = frozenset({"nfa"})
#: What a missing episode closed with no strategy discussion is listed as (it has no decision's outcome).
MISSING_EPISODE_NFA = "missing-episode"
#: The repeat prompt's answer that sends an episode to a strategy discussion (forms/missing_strategy_prompt.json).
MISSING_STRATEGY_DISCUSSION = "strategy-discussion"

#: Coded reasons a contact may be held from anonymisation (never free text: the hold is not a case note).
HOLD_REASONS = {
    "litigation": "Legal proceedings, actual or expected",
    "inquiry": "A statutory inquiry's preservation notice",
    "practice-review": "A child safeguarding practice review",
    "police-investigation": "A police investigation",
    "information-request": "A subject access or other information request being answered",
    "complaint": "A complaint being investigated",
}

LATER_CONTACT = "later-contact"
HELD_REASON_LABELS = {LATER_CONTACT: "Another contact about the same person is open or recent",
                      **{f"hold:{code}": f"Retention hold: {label}" for code, label in HOLD_REASONS.items()}}


def months_before(at: datetime, months: int) -> datetime:
    """The same day-of-month ``months`` earlier (the 31st becomes the month's last day)."""
    index = at.year * 12 + at.month - 1 - months
    year, month = divmod(index, 12)
    return at.replace(year=year, month=month + 1, day=min(at.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class RetentionCandidate:
    """A contact the policy covers. ``held`` is None when it is due now, else a HELD_REASON_LABELS key."""

    case_id: int
    reference: str
    closed_at: datetime
    outcome: str
    held: str | None = None


@dataclass(frozen=True)
class RetentionReview:
    as_of: datetime
    months: int
    cutoff: datetime
    due: list[RetentionCandidate]
    held: list[RetentionCandidate]


def _missing_without_strategy_discussion():
    """The cases opened by a missing-person notification whose episode was not sent to a strategy discussion."""
    return select(MissingEpisode.case_id).where(or_(MissingEpisode.strategy_decision.is_(None),
                                                    MissingEpisode.strategy_decision != MISSING_STRATEGY_DISCUSSION))


def nfa_outcome(session: Session, case: Case) -> str | None:
    """What no further action the contact closed with: its decision's outcome (NFA_OUTCOMES), MISSING_EPISODE_NFA
    for a missing episode closed without a strategy discussion, or None when the NFA policy does not cover it."""
    if case.strategy_outcome is not None:
        return None
    if case.outcome in NFA_OUTCOMES:
        return case.outcome
    if case.outcome is None and session.scalar(_missing_without_strategy_discussion().where(
            MissingEpisode.case_id == case.id)) is not None:
        return MISSING_EPISODE_NFA
    return None


def covered(session: Session, case: Case, cutoff: datetime) -> bool:
    """Whether the policy applies to this contact at all (before holds)."""
    return (case.status == "closed" and case.closed_at is not None and case.closed_at < cutoff
            and case.anonymised_at is None and nfa_outcome(session, case) is not None)


def review_retention(session: Session, as_of: datetime, months: int) -> RetentionReview:
    """The contacts due for anonymisation at ``as_of``, and those held back, oldest closure first."""
    cutoff = months_before(as_of, months)
    no_further_action = or_(Case.outcome.in_(NFA_OUTCOMES),
                            Case.outcome.is_(None) & Case.id.in_(_missing_without_strategy_discussion()))
    cases = [case for case in session.scalars(
        select(Case).where(Case.status == "closed", no_further_action, Case.strategy_outcome.is_(None),
                           Case.closed_at < cutoff, Case.anonymised_at.is_(None))
        .order_by(Case.closed_at, Case.id)) if covered(session, case, cutoff)]
    recent = _recent_people(session, cutoff)
    due: list[RetentionCandidate] = []
    held: list[RetentionCandidate] = []
    for case in cases:
        outcome = nfa_outcome(session, case)
        if case.closed_at is None or outcome is None:  # never: covered() asked for closed NFA contacts
            continue
        reason = hold_reason(case, recent)
        candidate = RetentionCandidate(case.id, case.reference or str(case.id), case.closed_at, outcome, reason)
        (held if reason else due).append(candidate)
    return RetentionReview(as_of=as_of, months=months, cutoff=cutoff, due=due, held=held)


def hold_reason(case: Case, recent: PeopleIndex) -> str | None:
    if case.retention_hold:
        return f"hold:{case.retention_hold}"
    for subject in case.subjects:
        if recent.cases_about(Person.of(subject)) - {case.id}:
            return LATER_CONTACT
    return None


def _recent_people(session: Session, cutoff: datetime) -> PeopleIndex:
    """The subjects of contacts still open or received since the cutoff."""
    index = PeopleIndex()
    rows = session.execute(
        select(Subject.case_id, Subject.given_name, Subject.family_name, Subject.date_of_birth)
        .join(Case, Case.id == Subject.case_id)
        .where(Case.anonymised_at.is_(None), or_(Case.status != "closed", Case.received_at >= cutoff)))
    for case_id, given, family, dob in rows:
        index.add(Person(given, family, dob), case_id)
    return index


# ----------------------------------------------------------------------------- adults at risk (issue 22)
#: Adult safeguarding concerns the adult policy covers: those that needed no section 42 enquiry. A concern that went
#: to an enquiry follows the council's longer adult safeguarding schedule and is never anonymised here.
ADULT_NO_ENQUIRY = frozenset({"no-enquiry", "other-action"})
ADULT_OUTCOME_PREFIX = "adult:"


def adult_covered(session: Session, case: Case, cutoff: datetime) -> bool:
    """Whether the adult policy applies: a closed, not anonymised case whose every adult safeguarding record was
    decided with no section 42 enquiry, closed before ``cutoff`` (Settings.retention_adult_months)."""
    if case.status != "closed" or case.closed_at is None or case.closed_at >= cutoff or case.anonymised_at is not None:
        return False
    decisions = set(session.scalars(select(AdultSafeguarding.s42_decision)
                                    .where(AdultSafeguarding.case_id == case.id)))
    return bool(decisions) and decisions <= ADULT_NO_ENQUIRY and case.outcome is None


def review_adult_retention(session: Session, as_of: datetime, months: int) -> RetentionReview:
    """The adult safeguarding contacts due for anonymisation at ``as_of`` and those held back (the same holds)."""
    cutoff = months_before(as_of, months)
    cases = [case for case in session.scalars(
        select(Case).where(Case.status == "closed", Case.closed_at < cutoff, Case.anonymised_at.is_(None),
                           Case.id.in_(select(AdultSafeguarding.case_id)))
        .order_by(Case.closed_at, Case.id)) if adult_covered(session, case, cutoff)]
    recent = _recent_people(session, cutoff)
    due: list[RetentionCandidate] = []
    held: list[RetentionCandidate] = []
    for case in cases:
        if case.closed_at is None:
            continue
        decision = session.scalar(select(AdultSafeguarding.s42_decision).where(AdultSafeguarding.case_id == case.id)
                                  .order_by(AdultSafeguarding.id.desc()).limit(1))
        reason = hold_reason(case, recent)
        candidate = RetentionCandidate(case.id, case.reference or str(case.id), case.closed_at,
                                       f"{ADULT_OUTCOME_PREFIX}{decision}", reason)
        (held if reason else due).append(candidate)
    return RetentionReview(as_of=as_of, months=months, cutoff=cutoff, due=due, held=held)
