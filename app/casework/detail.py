"""The case as the person reading it may see it: the record with its deadlines, sharing decisions, the person
index's view of its subjects and the repeat concerns, for the case page, the task page and the API.

Built from the reader's sight (app.need_to_know.sight, the CASE_RULES table): what they may not see is not
read into the detail at all, so no template or answer can show it. Read-only, and above every feature it
reads (docs/architecture.md); no workflow deserialization.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, lazyload, load_only, make_transient_to_detached

from app.auth.models import User
from app.cases.models import AgencyReturn, Case, CompletedTask, RagChange, ReferrerFeedback, StrategyDiscussion
from app.cases.queries import feedback_given
from app.casework.loading import case_with_contact
from app.casework.presence import records_held
from app.concerns.repeats import repeat_concerns_json
from app.core.actor import Actor
from app.core.clock import now
from app.core.db import AnyRow, get_db, read_rows
from app.core.errors import NotFound
from app.core.vocabulary import (
    ADDITIONAL_REFERRALS_FIELD,
    AGENCIES_NOT_RETURNED_FIELD,
    DECISION_FORM,
    SCREENING_FORM,
)
from app.deadlines.queries import DeadlineView, case_deadlines
from app.inbox.models import OpenTask
from app.inbox.queries import case_open_tasks
from app.intake.models import Contact
from app.need_to_know.involvement import involved_agencies
from app.need_to_know.models import ReturnRelease
from app.need_to_know.sight import CaseSight, readable_returns, returns_with_releases, sight_of
from app.people.links import exploitation_links_json
from app.people.queries import proposed_matches, subjects_json
from app.process_models.models import ProcessVersion
from app.sharing.queries import DecisionGroup, case_sharing_decisions


@dataclass(frozen=True)
class SubjectView:
    """A subject's name and role; identifiers only for a sight that shows them."""

    role: str
    given_name: str
    family_name: str
    identified: bool
    date_of_birth: date | None = None
    address: str | None = None
    nhs_number: str | None = None
    gender: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip() or "Anonymised"


@dataclass(frozen=True)
class ReferrerView:
    name: str
    role: str | None
    organisation: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class DecisionView:
    outcome: str
    rationale: str | None
    decided_at: datetime | None
    decided_by: str | None
    rag_initial: str | None
    rag: str | None
    #: Other referrals the decision made besides its primary outcome (#18), in the order chosen.
    additional_referrals: tuple[str, ...] = ()
    #: Requested agencies whose checks had not come back when the outcome was decided (the hub went on).
    agencies_not_returned: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReleaseView:
    release: ReturnRelease
    released_by_name: str
    #: The reader's agency owns the return and the receiving agency has not read it yet.
    withdrawable: bool


@dataclass(frozen=True)
class ReturnView:
    """One agency return the reader may read, with its releases (shown to its owner and decision makers)."""

    ret: AgencyReturn
    releases: list[ReleaseView]
    #: The reader's agency made it, so the reader may release it to other agencies on the case.
    owned: bool


@dataclass
class CaseDetail:
    case: Case
    sight: CaseSight
    process: ProcessVersion
    open_tasks: list[OpenTask]
    deadlines: list[DeadlineView]
    subjects: list[SubjectView]
    returns: list[ReturnView]
    contact: Contact | None = None
    referrer: ReferrerView | None = None
    decision: DecisionView | None = None
    questions_for_agencies: str | None = None
    #: The re-ratings, as rows of rag_change's columns.
    rag_history: Sequence[AnyRow] = field(default_factory=list)
    completed_tasks: list[CompletedTask] = field(default_factory=list)
    strategy_discussions: list[StrategyDiscussion] = field(default_factory=list)
    feedback: list[ReferrerFeedback] = field(default_factory=list)
    sharing_decisions: list[DecisionGroup] = field(default_factory=list)
    linked_case: Case | None = None
    #: Agencies involved in the case that the reader's agency may release its return to.
    release_targets: list[str] = field(default_factory=list)
    #: The occasional records the case holds (app.casework.presence), read when a section first asks; None: unknown.
    held: frozenset[type] | None = None
    #: Reads ``held`` (the page's detail); None: every section reads its own table (the answers' detail).
    probe: Callable[[], frozenset[type]] | None = field(default=None, repr=False)

    @property
    def agency_returns(self) -> list[AgencyReturn]:
        return [view.ret for view in self.returns]

    def may_hold(self, model: type) -> bool:
        """Whether the case may have rows of ``model``: False only when the probe says it has none. The probe runs
        once, at the first question: a page none of whose sections asks (a task page) does not pay for it."""
        if self.held is None and self.probe is not None:
            self.held = self.probe()
        return self.held is None or model in self.held

    def completed(self, form_key: str) -> CompletedTask | None:
        matches = [t for t in self.completed_tasks if t.form_key == form_key]
        return matches[-1] if matches else None


def case_detail(session: Session, case_id: int, actor: Actor, *, for_answer: bool = False) -> CaseDetail | None:
    """The case as ``actor`` may see it; None when there is no such case, NeedToKnow when it is not theirs.

    ``for_answer``: only what the API's case (case_summary) shows, for the answers that carry it (a task, a
    completion): the history, sharing decisions, strategy discussions, feedback and release targets the page
    shows are not read."""
    case, contact = case_with_contact(session, case_id)  # one read, with its subjects and contact
    if case is None:
        return None
    at = now()
    sight = sight_of(session, actor, case_id, at)

    def by_case(model: Any) -> list[Any]:
        return list(session.scalars(_BY_CASE[model], {"case_id": case_id}))

    shows = sight.shows
    detail = CaseDetail(
        case=case, sight=sight,
        process=process_label(session, case.process_version_id),
        open_tasks=case_open_tasks(session, case_id), deadlines=case_deadlines(session, case_id, at),
        subjects=[_subject(s, shows("identifiers")) for s in case.subjects] if shows("subjects") else [],
        returns=_returns(session, sight, at),
        contact=contact if shows("concern") else None,
        referrer=ReferrerView(contact.referrer_name, contact.referrer_role, contact.referrer_organisation,
                              contact.referrer_email, contact.referrer_phone)
        if contact is not None and shows("referrer") else None,
    )
    completed: Sequence[Any] | None = None
    if shows("analysis") or shows("screening"):
        # an answer reads only the screening's and the decision's answers, as rows (the page lists every step)
        completed = read_rows(session, _ANSWERED, {"case_id": case_id}) if for_answer else by_case(CompletedTask)
    if case.outcome and shows("decision"):
        detail.decision = DecisionView(case.outcome, case.outcome_rationale, case.decided_at, case.decided_by,
                                       case.rag_initial, case.rag, *_decision_record(session, case_id, completed))
    if shows("screening"):
        screening = [t for t in completed or () if t.form_key == SCREENING_FORM]
        detail.questions_for_agencies = screening[-1].data.get("questions_for_agencies") if screening else None
    if shows("analysis"):
        detail.rag_history = read_rows(session, _RAG_HISTORY, {"case_id": case_id})
    if for_answer:
        return detail
    detail.probe = partial(records_held, session, case_id)  # one read for the page's occasional sections
    if shows("analysis"):
        detail.completed_tasks = list(completed or ())
        # the page names it and links to it: its subjects are not read with it
        detail.linked_case = session.get(Case, case.linked_case_id, options=[lazyload(Case.subjects)]) \
            if case.linked_case_id else None
    if shows("strategy") and detail.may_hold(StrategyDiscussion):
        detail.strategy_discussions = by_case(StrategyDiscussion)
    if shows("feedback") and detail.may_hold(ReferrerFeedback):
        detail.feedback = feedback_given(session, case_id)  # its statement built once
    if shows("sharing"):
        detail.sharing_decisions = case_sharing_decisions(session, case)
    if any(view.owned for view in detail.returns):
        detail.release_targets = sorted(involved_agencies(session, case_id) - sight.own_agencies)
    return detail


#: A case's rows of each kind the detail reads whole, in their order: built once (building a statement took longer
#: than SQLite took to run it).
_BY_CASE: dict[type, Any] = {
    model: select(model).where(model.case_id == bindparam("case_id")).order_by(order)
    for model, order in ((CompletedTask, CompletedTask.completed_at), (StrategyDiscussion, StrategyDiscussion.id))}
#: A case's re-ratings in order, as plain rows (app.core.db.read_rows): every answer and page shows them, none
#: changes them.
_RAG_HISTORY = (select(*RagChange.__table__.c).where(RagChange.case_id == bindparam("case_id"))
                .order_by(RagChange.id))
#: The completed steps whose answers a case's answer shows (the screening's questions for agencies, the decision's
#: other referrals and the agencies it went without), in order, as plain rows.
_ANSWERED = (select(CompletedTask.form_key, CompletedTask.data)
             .where(CompletedTask.case_id == bindparam("case_id"),
                    CompletedTask.form_key.in_((SCREENING_FORM, DECISION_FORM)))
             .order_by(CompletedTask.completed_at))
#: The latest decision's answers, for a reader who sees the decision but not the steps before it.
_LATEST_DECISION = (select(CompletedTask.data)
                    .where(CompletedTask.case_id == bindparam("case_id"), CompletedTask.form_key == DECISION_FORM)
                    .order_by(CompletedTask.completed_at.desc()).limit(1))


#: (database, version id) -> (process id, version, content hash): a process version never changes once stored.
_LABELS: dict[tuple[str, int], tuple[str, int, str]] = {}


def process_label(session: Session, version_id: int) -> ProcessVersion:
    """A case's process version with its label only (the stored bundle, the diagrams, hundreds of kilobytes, loads
    if something asks for it), read once per process: every case answer names it."""
    key = (get_db().url, version_id)
    known = _LABELS.get(key)
    if known is None:
        version = session.get_one(ProcessVersion, version_id, options=[load_only(
            ProcessVersion.process_id, ProcessVersion.version, ProcessVersion.content_hash)])
        _LABELS[key] = (version.process_id, version.version, version.content_hash)
        return version
    process_id, number, content_hash = known
    label = ProcessVersion(id=version_id, process_id=process_id, version=number, content_hash=content_hash)
    make_transient_to_detached(label)
    return session.merge(label, load=False)  # the session's own row if it holds one; the rest loads on demand


def _decision_record(session: Session, case_id: int,
                     completed: Sequence[Any] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """From the latest decision step's record: its additional referrals, and the agencies it was made without
    (kept with it by the form's ``x-records``). ``completed``: the case's completed steps in order (or those of
    the screening and decision forms), when read."""
    if completed is not None:
        decisions = [task.data for task in completed if task.form_key == DECISION_FORM]
        data = (decisions[-1] if decisions else None) or {}
    else:
        latest = read_rows(session, _LATEST_DECISION, {"case_id": case_id})
        data = (latest[0].data if latest else None) or {}
    return tuple(data.get(ADDITIONAL_REFERRALS_FIELD) or ()), tuple(data.get(AGENCIES_NOT_RETURNED_FIELD) or ())


def _subject(subject: Any, identified: bool) -> SubjectView:
    if not identified:
        return SubjectView(subject.role, subject.given_name, subject.family_name, identified=False)
    return SubjectView(subject.role, subject.given_name, subject.family_name, identified=True,
                       date_of_birth=subject.date_of_birth, address=subject.address, nhs_number=subject.nhs_number,
                       gender=subject.gender)


def _returns(session: Session, sight: CaseSight, at: datetime) -> list[ReturnView]:
    returns, releases = returns_with_releases(session, sight.case_id)  # one read
    shown = readable_returns(session, sight, returns, releases, at)
    releasers = {r.released_by for rows in releases.values() for r in rows}
    names: dict[str, str] = dict(session.execute(
        select(User.username, User.display_name).where(User.username.in_(releasers))).all()) if releasers else {}
    views = []
    for ret in shown:
        owned = ret.agency in sight.own_agencies
        listed = releases.get(ret.id, []) if owned or sight.all_returns else []
        views.append(ReturnView(ret, [ReleaseView(r, names.get(r.released_by, r.released_by),
                                                  withdrawable=owned and r.standing and r.read_at is None)
                                      for r in listed], owned=owned))
    return views


def case_summary(session: Session, detail: CaseDetail) -> dict[str, Any]:
    """The case as the JSON API shows it (GET /api/v1/cases/{id}, a task's case, the answer to completing a
    task): the same sight as the page, so a field the reader may not see is absent."""
    case, shows = detail.case, detail.sight.shows
    answer: dict[str, Any] = {
        "case_id": case.id,
        "reference": case.reference,
        "status": case.status,
        "closure": case.closure,
        "received_at": case.received_at.isoformat(),
        "typed_in_at": case.typed_in_at.isoformat(),
        "rag": case.rag,
        "immediate_risk": case.immediate_risk,
        "anonymised_at": case.anonymised_at.isoformat() if case.anonymised_at else None,
        "open_tasks": [{"task_id": t.task_id, "name": t.name, "role": t.role,
                        "due_at": t.due_at.isoformat() if t.due_at else None} for t in detail.open_tasks],
        "deadlines": [d.as_json() for d in detail.deadlines],
        "process": {"id": detail.process.process_id, "version": detail.process.version},
        "agency_returns": [_return_json(view) for view in detail.returns],
        "exceptional_access": detail.sight.exceptional,
    }
    # the subjects' proposed matches, read once for their person ids and the repeat concerns
    matches = proposed_matches(session, case) if shows("identifiers") or shows("analysis") else None
    if shows("subjects"):
        people = subjects_json(session, case, matches) if shows("identifiers") else [{}] * len(detail.subjects)
        answer["subjects"] = [_subject_json(s, extra) for s, extra in zip(detail.subjects, people, strict=True)]
    if shows("analysis"):
        answer.update({
            "rag_initial": case.rag_initial,
            "presenting_factors": list(case.presenting_factors or []),
            "rag_history": [{"from": r.from_rag, "to": r.to_rag, "rationale": r.rationale, "by": r.changed_by,
                             "at": r.changed_at.isoformat(), "step": r.step} for r in detail.rag_history],
            "linked_case_id": case.linked_case_id,
            "repeat_concerns": repeat_concerns_json(case, matches),
            "exploitation_links": exploitation_links_json(case),
        })
    if shows("decision"):
        answer.update({"outcome": case.outcome, "strategy_outcome": case.strategy_outcome,
                       "outcome_rationale": case.outcome_rationale, "decided_by": case.decided_by,
                       "additional_referrals": list(detail.decision.additional_referrals) if detail.decision else [],
                       "agencies_not_returned": list(detail.decision.agencies_not_returned)
                       if detail.decision else [],
                       "referral_date": case.referral_at.isoformat() if case.referral_at else None})
    if shows("concern") and detail.contact is not None:
        answer["concern"] = detail.contact.concern
        answer["received_at_reason"] = detail.contact.received_at_reason
    if detail.referrer is not None:
        answer["referrer"] = {"name": detail.referrer.name, "organisation": detail.referrer.organisation,
                              "role": detail.referrer.role, "email": detail.referrer.email,
                              "phone": detail.referrer.phone}
    if shows("screening"):
        answer["questions_for_agencies"] = detail.questions_for_agencies
    return answer


def _subject_json(subject: SubjectView, people: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {"role": subject.role, "given_name": subject.given_name,
                             "family_name": subject.family_name}
    if subject.identified:
        shown.update({"date_of_birth": subject.date_of_birth.isoformat() if subject.date_of_birth else None,
                      "address": subject.address, "nhs_number": subject.nhs_number, "gender": subject.gender,
                      **people})
    return shown


def _return_json(view: ReturnView) -> dict[str, Any]:
    ret = view.ret
    shown: dict[str, Any] = {"agency": ret.agency, "nothing_known": ret.nothing_known,
                             "findings": None if ret.nothing_known else ret.findings,
                             "handling_restriction": ret.handling_restriction,
                             "returned_at": ret.returned_at.isoformat()}
    if view.releases:
        shown["releases"] = [{"to": r.release.to_agency, "released_by": r.release.released_by,
                              "released_at": r.release.released_at.isoformat(),
                              "read_at": r.release.read_at.isoformat() if r.release.read_at else None,
                              "withdrawn_at": r.release.withdrawn_at.isoformat() if r.release.withdrawn_at else None}
                             for r in view.releases]
    return shown


def summary_of_case(session: Session, case_id: int, actor: Actor) -> dict[str, Any]:
    """The API's case, by id, for answers about a case that exists (after completing a task or re-rating it)."""
    detail = case_detail(session, case_id, actor, for_answer=True)
    if detail is None:
        raise NotFound("There is no case with this id.")
    return case_summary(session, detail)
