"""Run the retention policy, one contact per transaction, and place or lift retention holds."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.operations import record
from app.cases.models import Case
from app.core.actor import Actor
from app.core.clock import now
from app.core.config import mail_settings
from app.core.db import Database
from app.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.lado.retention import due_allegations, erase_due
from app.retention.anonymise import anonymise_case
from app.retention.messages import forget_sent_messages
from app.retention.policy import (
    ADULT_NO_ENQUIRY,
    HOLD_REASONS,
    MISSING_EPISODE_NFA,
    NFA_OUTCOMES,
    RetentionCandidate,
    adult_covered,
    covered,
    review_adult_retention,
    review_retention,
)
from app.retention.staff import forget_leavers_details
from app.rota.operations import forget_past_shifts


@dataclass(frozen=True)
class AnonymisedCase:
    reference: str
    removed: dict[str, int]


@dataclass
class RetentionRun:
    anonymised: list[AnonymisedCase] = field(default_factory=list)
    held: list[RetentionCandidate] = field(default_factory=list)
    #: Contacts that changed between the review and their own transaction (anonymised or held meanwhile).
    skipped: list[str] = field(default_factory=list)
    #: (reference, error class). Only the class: database errors can quote the row's personal data.
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: Leavers whose e-mail address was removed (app.retention.staff).
    leavers_details_removed: int = 0
    #: Sent messages whose address and text were erased (app.retention.messages).
    messages_erased: int = 0
    #: Duty rota shifts that ended before the cutoff (staff data: app.rota).
    past_shifts_removed: int = 0
    #: LADO allegations whose person's details were erased, and those due but held for the LADO (app.lado.retention).
    allegations_erased: list[str] = field(default_factory=list)
    allegations_held: list[str] = field(default_factory=list)


def apply_retention(db: Database, actor: Actor, *, as_of: datetime | None = None, months: int,
                    adult_months: int | None = None) -> RetentionRun:
    """Anonymise every contact due at ``as_of`` (default now), each in its own transaction, so one failure
    neither undoes nor blocks the rest. Already-anonymised contacts are never selected: running twice is safe."""
    as_of = as_of or now()
    with db.unit_of_work(write=False) as session:
        review = review_retention(session, as_of, months)
    run = RetentionRun(held=review.held)
    policy = {"outcomes": sorted(NFA_OUTCOMES), MISSING_EPISODE_NFA: "closed without a strategy discussion",
              "period_months": months, "cutoff": review.cutoff.isoformat()}
    _anonymise_due(db, actor, review.due, lambda session, case: covered(session, case, review.cutoff), policy, run)
    if adult_months is not None:
        _apply_adult_retention(db, actor, as_of, adult_months, run)
    with db.unit_of_work() as session:
        run.leavers_details_removed = forget_leavers_details(session, review.cutoff, actor)
    with db.unit_of_work() as session:
        run.messages_erased = forget_sent_messages(
            session, as_of - timedelta(days=mail_settings().keep_sent_days), actor, at=now())
    with db.unit_of_work() as session:
        run.past_shifts_removed = forget_past_shifts(session, review.cutoff, actor)
    with db.unit_of_work() as session:  # the LADO's records keep their own retention, apart from the child's
        day = as_of.date()
        run.allegations_held = [due.reference for due in due_allegations(session, day) if due.held]
        run.allegations_erased = erase_due(session, day, now(), actor)
    return run


def _apply_adult_retention(db: Database, actor: Actor, as_of: datetime, months: int, run: RetentionRun) -> None:
    """Adult safeguarding concerns that needed no section 42 enquiry, after their own period (the same holds)."""
    with db.unit_of_work(write=False) as session:
        review = review_adult_retention(session, as_of, months)
    run.held.extend(review.held)
    policy = {"adult_decisions": sorted(ADULT_NO_ENQUIRY), "period_months": months,
              "cutoff": review.cutoff.isoformat()}
    _anonymise_due(db, actor, review.due, lambda session, case: adult_covered(session, case, review.cutoff), policy,
                   run)


def _anonymise_due(db: Database, actor: Actor, due: list[RetentionCandidate],
                   still_covered: Callable[[Session, Case], bool], policy: dict, run: RetentionRun) -> None:
    """Each due contact in its own transaction, checked again inside it (a hold or a reopening since the review
    leaves it be); one failure is reported and the run goes on."""
    for candidate in due:
        try:
            with db.unit_of_work() as session:
                case = session.get(Case, candidate.case_id)
                if case is None or not still_covered(session, case) or case.retention_hold:
                    run.skipped.append(candidate.reference)
                    continue
                removed = anonymise_case(session, case, actor, at=now(), policy=policy)
            run.anonymised.append(AnonymisedCase(candidate.reference, removed))
        except Exception as error:  # noqa: BLE001  (reported per contact; the run goes on)
            run.failed.append((candidate.reference, type(error).__name__))


def case_by_reference(session: Session, reference: str) -> Case:
    case = session.scalar(select(Case).where(Case.reference == reference.strip()))
    if case is None:
        raise NotFound(f"There is no contact {reference}.")
    return case


def place_hold(session: Session, reference: str, reason: str, actor: Actor) -> Case:
    """Keep a contact from anonymisation until the hold is lifted (reason is a HOLD_REASONS code)."""
    if reason not in HOLD_REASONS:
        raise ValidationFailed([FieldError("reason", f"Choose one of: {', '.join(HOLD_REASONS)}")])
    case = case_by_reference(session, reference)
    if case.anonymised_at is not None:
        raise Conflict(f"{case.reference} was anonymised on {case.anonymised_at:%Y-%m-%d}: "
                       "there is nothing left to hold.")
    was, case.retention_hold = case.retention_hold, reason
    record(session, actor, "retention.hold-placed", case_id=case.id, summary=f"Retention hold: {HOLD_REASONS[reason]}",
           details={"reason": reason, "replaced": was})
    return case


def release_hold(session: Session, reference: str, actor: Actor) -> Case:
    case = case_by_reference(session, reference)
    if case.retention_hold is None:
        raise Conflict(f"{case.reference} has no retention hold.")
    was, case.retention_hold = case.retention_hold, None
    record(session, actor, "retention.hold-released", case_id=case.id, summary="Retention hold lifted",
           details={"reason": was})
    return case
