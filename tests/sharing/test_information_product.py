"""The information product as a pure function: what leaves the hub for one recipient."""
from __future__ import annotations

from datetime import UTC, date, datetime

from app.core.protected_identities import REDACTED, protected_names, redact
from app.sharing.product import HELD_IN_HUB, CaseFacts, InformationProduct, ReturnFacts, SubjectFacts, build_product

AT = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)


def a_return(id: int, agency: str, findings: str | None, *, restriction: str = "none", protect: str | None = None,
             nothing_known: bool = False) -> ReturnFacts:
    return ReturnFacts(id=id, agency=agency, nothing_known=nothing_known, findings=findings,
                       handling_restriction=restriction, third_parties_to_protect=protect,
                       returned_at=datetime(2027, 1, 4, 9, id, tzinfo=UTC))


def facts(*returns: ReturnFacts, concern: str = "Ava has a bruise and says she was hit at home.",
          rationale: str = "Needs are unmet; assessment agreed.") -> CaseFacts:
    return CaseFacts(reference="MASH-2027-000001", received_at=AT, source="2A", concern=concern, immediate_risk=False,
                     subjects=[SubjectFacts("child", "Ava", "Smith", date(2015, 6, 1), "1 High Street")],
                     rag="amber", outcome="s17-assessment", outcome_rationale=rationale, strategy_outcome=None,
                     returns=list(returns))


def test_a_hub_only_return_is_left_out_entirely_with_a_neutral_line_that_names_no_agency():
    police = a_return(1, "police", "Covert intelligence about drugs at the address.", restriction="hub-only")
    health = a_return(2, "health", "Seen by the GP on 3 March; bruising noted.")

    product = build_product(facts(police, health), "early-help", AT)

    texts = [f.text for f in product.findings]
    assert texts == ["Seen by the GP on 3 March; bruising noted."]
    assert [f.agency for f in product.findings] == ["health"]
    assert product.held_in_hub_line == HELD_IN_HUB
    assert "police" not in HELD_IN_HUB.lower()
    assert product.what_shared == ("contact-summary", "subjects", "rag", "decision", "agency-return:2")
    assert [(w.item, w.agency, w.reason) for w in product.withheld] == [("agency-return:1", "police", "hub-only")]
    assert product.item_labels() == ["Summary of the contact", "Who it is about", "RAG rating",
                                     "Decision and rationale", "Health return"]
    assert "Covert" not in str(product.as_json())


def test_without_restricted_returns_there_is_no_held_in_hub_line():
    product = build_product(facts(a_return(1, "education", None, nothing_known=True)), "early-help", AT)

    assert product.held_in_hub_line is None
    assert product.findings[0].nothing_known and product.findings[0].text is None
    assert product.withheld == ()


def test_protected_identities_are_hidden_from_every_text_whichever_return_named_them():
    police = a_return(1, "police", "Neighbour Mary Jones called us.", restriction="hub-only",
                      protect="Mary Jones (neighbour)")
    health = a_return(2, "health", "Brought to the GP by MARY  JONES; Tom O'Neill was there. Mary Jonesy is not her.",
                      protect="Tom O’Neill, \n")
    product = build_product(facts(police, health, concern="mary jones saw the bruise.",
                                  rationale="Mary Jones is a protective neighbour."), "assessment-team", AT)

    everything = str(product.as_json())
    assert "jones" not in everything.lower().replace("jonesy", "")
    assert "neill" not in everything.lower()
    assert "Mary Jonesy is not her" in product.findings[0].text  # whole names only
    assert product.findings[0].text.startswith(f"Brought to the GP by {REDACTED}; {REDACTED} was there.")
    assert product.concern == f"{REDACTED} saw the bruise."
    assert product.rationale == f"{REDACTED} is a protective neighbour."
    assert product.identities_protected == 2
    assert product.redactions == 4


def test_names_to_protect_are_read_one_per_line_or_comma_separated_without_notes():
    assert protected_names(["Jane Doe (neighbour), Sam Lee\nAlex Brown – cousin;  ", None, "jane doe", "A"]) == \
        ["Jane Doe", "Sam Lee", "Alex Brown"]


def test_redaction_matches_whole_names_case_insensitively():
    assert redact("Sam Lee, sam lee and SAM LEE's car; Samuel Leeds stays.", ["Sam Lee"]) == \
        f"{REDACTED}, {REDACTED} and {REDACTED}'s car; Samuel Leeds stays."
    assert redact("Nothing to hide", []) == "Nothing to hide"
    assert redact(None, ["Sam Lee"]) is None


def test_subject_names_are_redacted_too_when_a_partner_asked():
    product = build_product(facts(a_return(1, "police", "x", protect="Ava Smith")), "police", AT)

    assert product.subjects[0].name == REDACTED
    assert product.subjects[0].date_of_birth == "2015-06-01"


def test_the_stored_product_reads_back_the_same():
    product = build_product(facts(a_return(1, "police", "x", restriction="hub-only"), a_return(2, "health", "y")),
                            "early-help", AT)

    assert InformationProduct.from_json(product.as_json()) == product
