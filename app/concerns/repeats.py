"""Repeat concerns: does this contact's subject fit a pattern the hub's rules name (app/concerns/rules.py)?

Each subject is checked over their whole cluster (every record confirmed as the same person), counting
contacts received up to and including this one. Records only PROPOSED as a match at intake are checked
separately and shown as "possible – if the match is confirmed": they are not the same person until a
screener says so, and a rejected proposal never counts.

Decisions the rules file leaves to the code, so they read the same everywhere:
- a contact's agency is the agency of its CIN referral source (app.core.codes.source_agency); contacts
  from individuals, anonymous and unknown sources are "the public" (one agency, or none, per rule);
- windows are whole days back from this contact's receipt, inclusive;
- a re-referral is an earlier contact, received within the window before this one, whose decision
  counts as a CIN referral (app.core.codes.is_referral); the census's "re-referral within 12 months";
- anonymised contacts (app/retention) never count: the retention policy has detached them.
"""
from __future__ import annotations

import calendar
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, object_session

from app.cases.models import Case, Subject
from app.concerns.chronology import agency_label, clusters_of
from app.concerns.rules import RepeatRule, RepeatRulesError, hub_rules
from app.core.codes import OUTCOMES, is_referral, source_agency
from app.core.db import read_rows
from app.intake.models import Contact
from app.people.queries import ProposedMatch, proposed_matches

logger = logging.getLogger(__name__)

#: Referral sources that are people rather than agencies.
PUBLIC_SOURCES = frozenset({"individual", "anonymous", "unknown"})
PUBLIC = "public"
PUBLIC_LABEL = "Members of the public"


@dataclass(frozen=True)
class PriorContact:
    """One contact in a subject's history, as the screening panel and the API show it."""

    case_id: int
    reference: str
    received_at: datetime
    source: str | None
    rag: str | None
    outcome: str | None
    current: bool = False

    @property
    def agency(self) -> str:
        return source_agency(self.source)

    @property
    def agency_label(self) -> str:
        return agency_label(self.agency)

    @property
    def outcome_label(self) -> str | None:
        codes = OUTCOMES.get(self.outcome or "")
        return codes.label if codes else self.outcome

    def as_json(self) -> dict:
        return {"case_id": self.case_id, "reference": self.reference, "received_at": self.received_at.isoformat(),
                "agency": self.agency}


@dataclass(frozen=True)
class RepeatFlag:
    rule_id: str
    label: str
    person_id: int | None
    subject_position: int
    contacts: tuple[PriorContact, ...]
    explanation: str
    #: True when the pattern shows only if a proposed match (``proposed_person_id``) is confirmed.
    possible: bool = False
    proposed_person_id: int | None = None

    def as_json(self) -> dict:
        return {"rule": self.rule_id, "label": self.label, "person_id": self.person_id,
                "subject_position": self.subject_position, "explanation": self.explanation,
                "possible": self.possible, "proposed_person_id": self.proposed_person_id,
                "contacts": [c.as_json() for c in self.contacts]}


@dataclass
class SubjectHistory:
    """A subject of this contact and the contacts the hub has had about them."""

    subject: Subject
    person_id: int | None
    #: Up to and including this contact, oldest first.
    contacts: list[PriorContact] = field(default_factory=list)
    #: Proposed match (person root) -> that person's contacts not already in ``contacts``.
    proposed: dict[int, list[PriorContact]] = field(default_factory=dict)
    #: Where "recent" starts (prior_contacts sets it).
    since: datetime | None = None

    @property
    def recent(self) -> list[PriorContact]:
        """Earlier contacts received since ``since``."""
        return [c for c in self.contacts if not c.current and self._in_view(c)]

    @property
    def recent_proposed(self) -> dict[int, list[PriorContact]]:
        """The same for each proposed match, leaving out matches with none."""
        return {person: found for person, contacts in self.proposed.items()
                if (found := [c for c in contacts if self._in_view(c)])}

    def _in_view(self, contact: PriorContact) -> bool:
        return self.since is None or _aware(contact.received_at) >= self.since


@dataclass
class ScreeningView:
    """What the screening panel shows: the flags, and each subject's contacts in the last 12 months."""

    flags: list[RepeatFlag]
    subjects: list[SubjectHistory]
    rules_error: str | None = None

    @property
    def confirmed_flags(self) -> list[RepeatFlag]:
        return [f for f in self.flags if not f.possible]

    @property
    def possible_flags(self) -> list[RepeatFlag]:
        return [f for f in self.flags if f.possible]


#: Built once: the contacts of these person records up to a time (every answer with the analysis reads it).
_CONTACTS_OF = (select(Subject.person_id, Case.id, Case.reference, Case.received_at, Case.rag, Case.outcome,
                       Contact.source)
                .join(Case, Case.id == Subject.case_id).outerjoin(Contact, Contact.case_id == Case.id)
                .where(Subject.person_id.in_(bindparam("records", expanding=True)),
                       Case.received_at <= bindparam("until"),
                       Case.anonymised_at.is_(None)))


def subject_histories(session: Session, case: Case,
                      matches: Mapping[int, list[ProposedMatch]] | None = None) -> list[SubjectHistory]:
    """Each subject's contacts (up to and including this one, oldest first) and those of proposed matches
    (``matches``: each subject's proposed matches, app.people.queries.proposed_matches, when the caller read
    them). Two queries, plus a few per subject and proposed match for their clusters, whatever the number of
    contacts."""
    subjects = list(case.subjects)
    proposals: dict[int, list[int]] = defaultdict(list)
    for subject_id, found in (proposed_matches(session, case) if matches is None else matches).items():
        proposals[subject_id].extend(match.person_id for match in found)
    record_root = clusters_of(session, [*(s.person_id for s in subjects if s.person_id is not None),
                                        *(p for ps in proposals.values() for p in ps)])
    by_root: dict[int, dict[int, PriorContact]] = defaultdict(dict)
    if record_root:
        rows = read_rows(session, _CONTACTS_OF, {"records": list(record_root), "until": case.received_at})
        for record, case_id, reference, received_at, rag, outcome, source in rows:
            if record is None:  # never: the query asks for these records
                continue
            by_root[record_root[record]][case_id] = PriorContact(case_id, reference or "", received_at, source, rag,
                                                                 outcome, current=case_id == case.id)
    histories = []
    for subject in subjects:
        root = record_root.get(subject.person_id) if subject.person_id is not None else None
        mine = by_root.get(root, {}) if root is not None else {}
        history = SubjectHistory(subject=subject, person_id=root, contacts=_oldest_first(mine.values()))
        for record in proposals.get(subject.id, []):
            other = record_root[record]
            if other == root or other in history.proposed:
                continue
            history.proposed[other] = _oldest_first(c for i, c in by_root.get(other, {}).items() if i not in mine)
        histories.append(history)
    return histories


def evaluate(rules: tuple[RepeatRule, ...], case: Case, histories: list[SubjectHistory]) -> list[RepeatFlag]:
    """Every rule against every subject's history; then, for each proposed match, what confirming it would add."""
    flags: list[RepeatFlag] = []
    for history in histories:
        if history.person_id is None:
            continue
        for rule in rules:
            if not rule.applies_to(history.subject.role):
                continue
            flag = _check(rule, case, history.contacts)
            if flag is not None:
                flags.append(_flag(rule, history, *flag))
                continue
            for proposed, extra in history.proposed.items():
                flag = _check(rule, case, _oldest_first([*history.contacts, *extra]))
                if flag is not None:
                    contacts, explanation = flag
                    flags.append(_flag(rule, history, contacts, f"If the proposed match is confirmed: {explanation}",
                                       proposed=proposed))
    return flags


def repeat_flags(session: Session, case: Case, rules: tuple[RepeatRule, ...] | None = None,
                 matches: Mapping[int, list[ProposedMatch]] | None = None) -> list[RepeatFlag]:
    """The repeat concerns this contact raises (possible ones marked), by the hub's rules."""
    rules = hub_rules() if rules is None else rules
    return evaluate(rules, case, subject_histories(session, case, matches))


def prior_contacts(session: Session, case: Case, months: int = 12,
                   matches: Mapping[int, list[ProposedMatch]] | None = None) -> list[SubjectHistory]:
    """Each subject with their history; ``recent`` holds their contacts in the ``months`` before this one
    (``matches``: as for subject_histories)."""
    since = months_before(_aware(case.received_at), months)
    histories = subject_histories(session, case, matches)
    for history in histories:
        history.since = since
    return histories


def screening_view(session: Session, case: Case, months: int = 12,
                   matches: Mapping[int, list[ProposedMatch]] | None = None) -> ScreeningView:
    """The screening panel: flags by the hub's rules and every subject's contacts in the last ``months``.
    Rules that were refused are said so, rather than showing no flags (``matches``: as for subject_histories)."""
    histories = prior_contacts(session, case, months, matches)
    try:
        rules = hub_rules()
    except RepeatRulesError as error:
        return ScreeningView(flags=[], subjects=histories,
                             rules_error=f"The repeat-concern rules were refused, so no pattern was checked: {error}")
    return ScreeningView(flags=evaluate(rules, case, histories), subjects=histories)


def repeat_concerns_json(case: Case, matches: Mapping[int, list[ProposedMatch]] | None = None) -> list[dict]:
    """The API's ``repeat_concerns`` for a case read in a session (``matches``: its subjects' proposed matches,
    when the caller read them). Refused rules (with no good rules to fall back on) give none, and say so in the
    log; the screening panel shows the refusal."""
    if case.anonymised_at is not None:
        return []
    try:
        session = object_session(case)
        if session is None:
            raise RuntimeError("repeat concerns need the case read in a session")
        return [flag.as_json() for flag in repeat_flags(session, case, matches=matches)]
    except RepeatRulesError as error:
        logger.error("repeat concerns not checked for case %s: %s", case.id, error)
        return []


def months_before(at: datetime, months: int) -> datetime:
    """The same time ``months`` calendar months earlier (the month's last day where it is shorter)."""
    year, month = divmod(at.year * 12 + at.month - 1 - months, 12)
    return at.replace(year=year, month=month + 1, day=min(at.day, calendar.monthrange(year, month + 1)[1]))


def _check(rule: RepeatRule, case: Case, contacts: list[PriorContact]) -> tuple[list[PriorContact], str] | None:
    end = _aware(case.received_at)
    start = end - timedelta(days=rule.window_days)
    if rule.kind == "contacts":
        found = [c for c in contacts if start <= _aware(c.received_at) <= end]
        agencies = dict.fromkeys(a for c in found if (a := _counted_agency(c, rule)) is not None)
        if len(found) < rule.min_contacts or len(agencies) < rule.min_agencies:
            return None
        names = ", ".join(PUBLIC_LABEL.lower() if a == PUBLIC else agency_label(a).lower() for a in agencies)
        return found, (f"{len(found)} contacts in the {rule.window_days} days to {_day(end)}, this one included, "
                       f"from {len(agencies)} {'agency' if len(agencies) == 1 else 'agencies'} ({names}).")
    found = [c for c in contacts if not c.current and is_referral(c.outcome) and start <= _aware(c.received_at) < end]
    if not found:
        return None
    latest = found[-1]
    days = (end - _aware(latest.received_at)).days
    more = f" ({len(found)} referrals in that time)" if len(found) > 1 else ""
    return found, (f"Contact {latest.reference}, received {_day(latest.received_at)} ({days} days before this one), "
                   f"became a referral: {latest.outcome_label}.{more}")


def _flag(rule: RepeatRule, history: SubjectHistory, contacts: list[PriorContact], explanation: str, *,
          proposed: int | None = None) -> RepeatFlag:
    return RepeatFlag(rule_id=rule.id, label=rule.label, person_id=history.person_id,
                      subject_position=history.subject.position, contacts=tuple(contacts), explanation=explanation,
                      possible=proposed is not None, proposed_person_id=proposed)


def _counted_agency(contact: PriorContact, rule: RepeatRule) -> str | None:
    agency = contact.agency
    if agency not in PUBLIC_SOURCES:
        return agency
    return PUBLIC if rule.public == "one-agency" else None


def _oldest_first(contacts) -> list[PriorContact]:
    return sorted(contacts, key=lambda c: (_aware(c.received_at), c.case_id))


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _day(at: datetime) -> str:
    return at.strftime("%-d %b %Y")
