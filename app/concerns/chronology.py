"""Chronologies: what the hub has seen about a person, a household or a case's subjects, oldest first.

A person as practitioners see them is a cluster of records (app/people/clusters.py): every contact on
which any record of the cluster is a subject belongs to their chronology, with that contact's events
(receipt, RAG ratings, agency returns, decision, strategy discussions, feedback, closure). Entries carry
short coded facts and first lines, never a concern or a finding in full: the case page holds those.

Anonymised contacts (app/retention) keep only a neutral "Contact (anonymised)" line with its date and
reference: the coded facts stay in the management information, but a chronology is about a named
person, and the retention policy has decided this contact should no longer say anything about them.

Reads are bulk: a fixed number of queries per chronology whatever its length.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.cases.models import AgencyReturn, Case, RagChange, ReferrerFeedback, StrategyDiscussion, Subject
from app.core.actor import Actor
from app.core.calendar import london
from app.core.codes import AGENCY_LABELS, CHANNELS, SOURCE_LABELS, source_agency
from app.core.errors import NeedToKnow
from app.core.vocabulary import outcome_label, rag_label
from app.intake.models import Contact
from app.missing.models import MissingEpisode
from app.need_to_know.sight import CaseSight, readable_returns, releases_of, sight_of
from app.people.clusters import cluster_of, clusters, merged_parents, root_of, roots_for
from app.people.models import PersonRelationship

KINDS: dict[str, str] = {
    "contact": "Contact received", "rag": "RAG rating", "agency-return": "Agency return", "decision": "Decision",
    "strategy-discussion": "Strategy discussion", "feedback": "Feedback to the referrer", "closed": "Closed",
    "missing-episode": "Missing episode",
}
#: Relationships that put people in one household for the household chronology.
HOUSEHOLD_RELATIONSHIPS = ("household-member", "parent", "carer", "sibling")
HUB_ONLY = "hub-only"
_FIRST_LINE = 120


@dataclass(frozen=True)
class ChronologyEntry:
    at: datetime
    kind: str            # one of KINDS
    case_id: int
    reference: str
    summary: str         # plain words for a practitioner
    agency: str | None   # who the information came from (source agency of a contact, the returning agency)
    person_id: int | None  # the cluster root this entry is about, when known
    restricted: bool = False  # a hub-only agency return: shown inside the hub, marked
    #: The agency return an "agency-return" entry shows (need to know decides who reads it).
    return_id: int | None = None
    #: The summary without the free text a reader may not be shown (the concern, a rating's rationale).
    plain: str | None = None

    def as_json(self) -> dict:
        return {"at": self.at.isoformat(), "kind": self.kind, "case_id": self.case_id, "reference": self.reference,
                "summary": self.summary, "agency": self.agency, "person_id": self.person_id,
                "restricted": self.restricted}


def person_chronology(session: Session, person_id: int, *, since: datetime | None = None) -> list[ChronologyEntry]:
    """Every contact about this person (any record of their cluster), with its events."""
    root = root_of(session, person_id)
    cluster = cluster_of(session, root)
    rows = session.scalars(select(Subject.case_id).where(Subject.person_id.in_(cluster)))
    return _entries(session, dict.fromkeys(rows, root), since=since)


def household_chronology(session: Session, person_id: int, *, since: datetime | None = None) -> list[ChronologyEntry]:
    """The person's chronology with that of everyone in their household: people related to them as a
    household member, parent, carer or sibling, and the other subjects of their contacts. Each entry
    names (``person_id``) the household member it is about, preferring the person asked about.

    A household can name many records, so their clusters come from one read of every merge."""
    parents = merged_parents(session)
    root = roots_for(session, [person_id], parents)[person_id]
    cluster = {root} | {record for record, r in roots_for(session, parents, parents).items() if r == root}
    case_ids = set(session.scalars(select(Subject.case_id).where(Subject.person_id.in_(cluster))))
    related = {person for person in session.scalars(select(Subject.person_id).where(Subject.case_id.in_(case_ids),
                                                                                    Subject.person_id.is_not(None)))
               if person is not None}  # all, by the query
    for a, b in session.execute(select(PersonRelationship.person_id, PersonRelationship.related_person_id).where(
            PersonRelationship.relationship.in_(HOUSEHOLD_RELATIONSHIPS),
            or_(PersonRelationship.person_id.in_(cluster), PersonRelationship.related_person_id.in_(cluster)))):
        related |= {a, b}
    household = set(roots_for(session, related, parents).values()) | {root}
    record_root = {r: r for r in household} | {record: r for record, r in roots_for(session, parents, parents).items()
                                                if r in household}
    subjects = session.execute(select(Subject.case_id, Subject.person_id)
                               .where(Subject.person_id.in_(record_root)).order_by(Subject.position))
    about: dict[int, int] = {}
    for case_id, record in subjects:
        if record is None:  # never: the query asks for these records
            continue
        person = record_root[record]
        if case_id not in about or (person == root and about[case_id] != root):
            about[case_id] = person
    return _entries(session, about, since=since)


def case_chronology(session: Session, case_id: int) -> list[ChronologyEntry]:
    """The chronology of every subject of a case, up to and including this case (the information product's).
    Each entry names the first subject (by position) it is about."""
    case = session.get(Case, case_id)
    if case is None:
        return []
    record_root = clusters_of(session, [s.person_id for s in case.subjects if s.person_id is not None])
    ordered_roots = list(dict.fromkeys(record_root[s.person_id] for s in case.subjects if s.person_id is not None))
    about: dict[int, int | None] = {case_id: ordered_roots[0] if ordered_roots else None}
    if record_root:
        rank = {r: i for i, r in enumerate(ordered_roots)}
        rows = session.execute(select(Subject.case_id, Subject.person_id).join(Case, Case.id == Subject.case_id)
                               .where(Subject.person_id.in_(record_root), Case.received_at <= case.received_at))
        for other_case, record in rows:
            if record is None:  # never: the query asks for these records
                continue
            person = record_root[record]
            held = about.get(other_case)
            if other_case not in about or (held is not None and rank[person] < rank[held]):
                about[other_case] = person
    return _entries(session, about, since=None)


def clusters_of(session: Session, person_ids: Iterable[int]) -> dict[int, int]:
    """Every record of the clusters of these few records (a contact's subjects), each with its root."""
    return clusters(session, person_ids)


def _entries(session: Session, about: Mapping[int, int | None], *, since: datetime | None) -> list[ChronologyEntry]:
    """The events of these cases, each tagged with the person it is about, oldest first."""
    if not about:
        return []
    ids = list(about)
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))}
    contacts = {c.case_id: c for c in session.scalars(select(Contact).where(Contact.case_id.in_(ids)))}
    live = [i for i in ids if i in cases and cases[i].anonymised_at is None]
    entries: list[ChronologyEntry] = []

    def add(at: datetime | None, kind: str, case_id: int, summary: str, agency: str | None = None,
            restricted: bool = False, return_id: int | None = None, plain: str | None = None) -> None:
        if at is not None:
            entries.append(ChronologyEntry(at=at, kind=kind, case_id=case_id, reference=cases[case_id].reference or "",
                                           summary=summary, agency=agency, person_id=about[case_id],
                                           restricted=restricted, return_id=return_id, plain=plain))

    for case_id in ids:
        case = cases.get(case_id)
        if case is None:
            continue
        if case.anonymised_at is not None:
            add(case.received_at, "contact", case_id, "Contact (anonymised)")
            continue
        contact = contacts.get(case_id)
        summary, agency = _contact_summary(contact)
        add(case.received_at, "contact", case_id, summary, agency, plain=_contact_summary(contact, concern=False)[0])
        if case.outcome and case.decided_at:
            add(case.decided_at, "decision", case_id, f"Decision: {outcome_label(case.outcome)}")
        if case.closed_at:
            add(case.closed_at, "closed", case_id, _closure_summary(case.closure))
    for change in _rows(session, RagChange, live):
        add(change.changed_at, "rag", change.case_id, _rag_summary(change), plain=_rag_summary(change, reason=False))
    for ret in _rows(session, AgencyReturn, live):
        add(ret.returned_at, "agency-return", ret.case_id, _return_summary(ret), ret.agency,
            restricted=ret.handling_restriction == HUB_ONLY, return_id=ret.id)
    for meeting in _rows(session, StrategyDiscussion, live):
        add(meeting.recorded_at, "strategy-discussion", meeting.case_id,
            f"Strategy discussion held {meeting.held_on.strftime('%-d %b %Y')}: "
            f"{outcome_label(meeting.strategy_outcome)}")
    for feedback in _rows(session, ReferrerFeedback, live):
        add(feedback.sent_at, "feedback", feedback.case_id, f"Feedback to the referrer by {_words(feedback.method)}")
    for episode in _rows(session, MissingEpisode, live):
        add(episode.started_at, "missing-episode", episode.case_id, _episode_summary(episode), "police",
            plain=_episode_summary(episode, found=False))
    if since is not None:
        entries = [e for e in entries if _aware(e.at) >= _aware(since)]
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(entries, key=lambda e: (_aware(e.at), e.case_id, order.get(e.kind, 99)))


def _rows(session: Session, model, case_ids: Iterable[int]) -> list:
    case_ids = list(case_ids)
    return list(session.scalars(select(model).where(model.case_id.in_(case_ids)))) if case_ids else []


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def first_line(text: str | None, limit: int = _FIRST_LINE) -> str:
    """The first line of free text, cut at a word near ``limit`` characters."""
    line = (text or "").strip().splitlines()[0].strip() if (text or "").strip() else ""
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def agency_label(agency: str | None) -> str:
    """A source agency (app.core.codes) or a returning role, in words."""
    if not agency:
        return ""
    return AGENCY_LABELS.get(agency) or _words(agency).capitalize()


def _contact_summary(contact: Contact | None, *, concern: bool = True) -> tuple[str, str | None]:
    if contact is None:
        return "Contact received", None
    summary = (f"Contact by {CHANNELS.get(contact.channel, _words(contact.channel)).lower()} from "
               f"{SOURCE_LABELS.get(contact.source, 'an unknown source')}")
    if contact.referrer_organisation:
        summary += f" ({contact.referrer_organisation})"
    if not concern:
        return summary, source_agency(contact.source)
    told = first_line(contact.concern)
    return (f"{summary}: {told}" if told else summary), source_agency(contact.source)


def _rag_summary(change: RagChange, *, reason: bool = True) -> str:
    to = rag_label(change.to_rag)
    text = f"Rated {to}" if not change.from_rag else f"RAG changed from {rag_label(change.from_rag)} to {to}"
    if change.step:
        text += f" at {change.step.lower()}"
    if not reason:
        return text
    why = first_line(change.rationale, 80)
    return f"{text}: {why}" if why else text


def _return_summary(ret: AgencyReturn) -> str:
    who = agency_label(ret.agency)
    if ret.nothing_known:
        return f"{who}: nothing known"
    findings = first_line(ret.findings, 80)
    return f"{who}: information shared" + (f" – {findings}" if findings else "")


def _episode_summary(episode: MissingEpisode, *, found: bool = True) -> str:
    """Start, return (where found, for readers of the notification), the police risk grading and the return home
    interview, in one line: the child's chronology shows every episode."""
    text = f"Missing from {london(episode.started_at)}"
    if episode.returned_at is None:
        text += ", still missing"
    else:
        text += f", returned {london(episode.returned_at)}"
        if found and episode.found_where:
            text += f", found: {first_line(episode.found_where, 60)}"
    text += f"; police risk grading: {_words(episode.risk_grading)}"
    if episode.repeat:
        text += f"; repeat missing ({episode.repeat_count} episodes in the rule's window)"
    if episode.returned_at is not None:
        text += "; return home interview " + _interview_words(episode)
    return text


def _interview_words(episode: MissingEpisode) -> str:
    if episode.interview_offered is None:
        return "not yet offered"
    if not episode.interview_offered:
        return "not offered"
    due, offered = episode.interview_due_at, episode.interview_offered_at
    words = "offered" + (" within 72 hours" if due and offered and _aware(offered) <= _aware(due) else
                         " after 72 hours" if due and offered else "")
    words += ", accepted" if episode.interview_accepted else ", declined"
    if episode.interview_held:
        words += ", held" + (f" {episode.interview_held_on:%-d %b %Y}" if episode.interview_held_on else "")
    elif episode.interview_held is False:
        words += ", not held"
    return words


def _closure_summary(closure: str | None) -> str:
    if not closure:
        return "Contact closed"
    words = _words(closure.removeprefix("end_"))
    return "Contact closed" if words == "closed" else f"Closed: {words}"


def _words(code: str | None) -> str:
    return (code or "").replace("_", " ").replace("-", " ").strip()



#: The part of a case (CASE_RULES) each kind of entry shows; a reader without it sees the entry's plain summary
#: (a contact without its concern, a rating without its rationale) or, with none, not the entry.
ITEM_OF_KIND = {"contact": "concern", "rag": "analysis", "decision": "decision", "strategy-discussion": "strategy",
                "feedback": "feedback", "closed": "progress", "missing-episode": "concern"}


def for_reader(session: Session, actor: Actor, entries: list[ChronologyEntry], at: datetime) -> list[ChronologyEntry]:
    """The entries this reader may see, one by one under need to know: nothing of a case they may not see, and
    an agency's return only where they read it on the case page (decision makers every return; others their
    agency's own and those released to it)."""
    sights: dict[int, CaseSight | None] = {}
    returns = {ret.id: ret for ret in session.scalars(select(AgencyReturn).where(
        AgencyReturn.id.in_([e.return_id for e in entries if e.return_id is not None])))}
    shown = []
    for entry in entries:
        if entry.case_id not in sights:
            try:
                sights[entry.case_id] = sight_of(session, actor, entry.case_id, at)
            except NeedToKnow:
                sights[entry.case_id] = None
        sight = sights[entry.case_id]
        if sight is None:
            continue
        if entry.return_id is not None and not sight.all_returns:
            ret = returns.get(entry.return_id)
            if ret is None or not readable_returns(session, sight, [ret], releases_of(session, entry.case_id), at):
                continue
        item = ITEM_OF_KIND.get(entry.kind)
        if item is not None and not sight.shows(item):
            if entry.plain is None:
                continue
            entry = replace(entry, summary=entry.plain)
        shown.append(entry)
    return shown
