"""The MASH information product: what leaves the hub for one recipient (DOMAIN.md 2.4 and 6.1).

A pure function of the case's facts, so what leaves the hub can be tested without a database and is
the same however it is shown. Two rules keep the hub sealed:

* a return an agency marked hub-only ("not to be disclosed outside the hub without our consent") is
  left out entirely; one neutral line says partner information is held in the hub, without naming
  the agency (that an agency holds something is itself information);
* every identity a partner asked the hub to protect (2024 golden rule 5) is hidden from all text the
  product carries, whichever return named it.

The referrer's identity and the partners' handling notes never go out: recipients ask the hub.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from app.core.protected_identities import Redactor, protected_names
from app.core.roles import role_label

HELD_IN_HUB = ("Some partner information is held in the MASH and is not included in this product. "
               "Ask the MASH if you need it.")
ITEM_LABELS = {"contact-summary": "Summary of the contact", "subjects": "Who it is about", "rag": "RAG rating",
               "decision": "Decision and rationale", "questions": "Questions for agencies"}
HUB_ONLY = "hub-only"



@dataclass(frozen=True)
class SubjectFacts:
    role: str
    given_name: str
    family_name: str
    date_of_birth: date | None = None
    address: str | None = None


@dataclass(frozen=True)
class ReturnFacts:
    """What the product needs of one agency return."""

    id: int
    agency: str
    nothing_known: bool
    findings: str | None
    handling_restriction: str
    third_parties_to_protect: str | None
    returned_at: datetime


@dataclass(frozen=True)
class CaseFacts:
    reference: str
    received_at: datetime
    source: str
    concern: str
    immediate_risk: bool
    subjects: Sequence[SubjectFacts]
    rag: str | None
    outcome: str | None
    outcome_rationale: str | None
    strategy_outcome: str | None
    returns: Sequence[ReturnFacts]


@dataclass(frozen=True)
class ProductSubject:
    role: str
    name: str
    date_of_birth: str | None
    address: str | None


@dataclass(frozen=True)
class Finding:
    item: str
    agency: str
    returned_on: str
    nothing_known: bool
    text: str | None


@dataclass(frozen=True)
class Withheld:
    item: str
    agency: str
    reason: str


@dataclass(frozen=True)
class InformationProduct:
    """The product as it left the hub; stored whole with each dissemination record."""

    reference: str
    recipient: str
    prepared_at: str
    received_at: str
    source: str
    concern: str
    immediate_risk: bool
    subjects: tuple[ProductSubject, ...]
    rag: str | None
    outcome: str | None
    strategy_outcome: str | None
    rationale: str | None
    findings: tuple[Finding, ...]
    partner_information_held: bool
    what_shared: tuple[str, ...]
    withheld: tuple[Withheld, ...] = field(default=())
    identities_protected: int = 0
    redactions: int = 0

    def item_labels(self) -> list[str]:
        """What was shared, in words: "Health return" rather than "agency-return:12"."""
        returns = {f.item: f.agency for f in self.findings}
        return [ITEM_LABELS.get(item) or f"{role_label(returns.get(item, 'agency'))} return"
                for item in self.what_shared]

    @property
    def held_in_hub_line(self) -> str | None:
        return HELD_IN_HUB if self.partner_information_held else None

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> InformationProduct:
        return cls(**{
            **data,
            "subjects": tuple(ProductSubject(**s) for s in data["subjects"]),
            "findings": tuple(Finding(**f) for f in data["findings"]),
            "what_shared": tuple(data["what_shared"]),
            "withheld": tuple(Withheld(**w) for w in data.get("withheld", ())),
        })


def build_product(facts: CaseFacts, recipient: str, prepared_at: datetime) -> InformationProduct:
    """The product for one recipient: hub-only returns left out, protected identities hidden everywhere."""
    names = protected_names(r.third_parties_to_protect for r in facts.returns)
    redactor = Redactor(names)
    shared = ["contact-summary", "subjects", "rag"]
    if facts.outcome:
        shared.append("decision")
    findings: list[Finding] = []
    withheld: list[Withheld] = []
    for ret in sorted(facts.returns, key=lambda r: (r.returned_at, r.id)):
        item = f"agency-return:{ret.id}"
        if ret.handling_restriction == HUB_ONLY:
            withheld.append(Withheld(item=item, agency=ret.agency, reason=HUB_ONLY))
            continue
        shared.append(item)
        findings.append(Finding(item=item, agency=ret.agency, returned_on=ret.returned_at.date().isoformat(),
                                nothing_known=ret.nothing_known,
                                text=None if ret.nothing_known else redactor(ret.findings)))
    subjects = tuple(
        ProductSubject(role=s.role, name=redactor(f"{s.given_name} {s.family_name}") or "",
                       date_of_birth=s.date_of_birth.isoformat() if s.date_of_birth else None,
                       address=redactor(s.address))
        for s in facts.subjects)
    return InformationProduct(
        reference=facts.reference, recipient=recipient, prepared_at=prepared_at.isoformat(),
        received_at=facts.received_at.isoformat(), source=facts.source, concern=redactor(facts.concern) or "",
        immediate_risk=facts.immediate_risk, subjects=subjects, rag=facts.rag, outcome=facts.outcome,
        strategy_outcome=facts.strategy_outcome, rationale=redactor(facts.outcome_rationale),
        findings=tuple(findings), partner_information_held=bool(withheld), what_shared=tuple(shared),
        withheld=tuple(withheld), identities_protected=len(names), redactions=redactor.count)
