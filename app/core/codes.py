"""The DfE children in need census and Ofsted Annex A codes the hub reports with (DOMAIN.md 4, 5, 7).

One place for every code and every mapping from the hub's own values (decision outcomes, strategy
discussion outcomes, defined with their words in app.core.vocabulary) to the census, so reports, the MI
dataset and repeat-concern rules agree.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.core.vocabulary import EXISTING_OPEN_CASE, EXISTING_OPEN_CASE_CLOSURE, OUTCOME_LABELS

#: CIN ``ReferralSource`` (also Annex A "Contact Source") -> the partner agency it counts as.
#: Repeat-concern rules count agencies, so a school and the education service are one agency.
SOURCE_AGENCY: dict[str, str] = {
    "1A": "individual", "1B": "individual", "1C": "individual", "1D": "individual",
    "2A": "education", "2B": "education",
    "3A": "health", "3B": "health", "3C": "health", "3D": "health", "3E": "health", "3F": "health",
    "4": "housing",
    "5A": "la-services", "5B": "la-services", "5C": "la-services", "5D": "la-services",
    "6": "police", "7": "legal", "8": "other", "9": "anonymous", "10": "unknown",
}

#: CIN ``ReferralSource`` labels (DOMAIN.md 5.1), as forms/contact.json shows them to referrers.
SOURCE_LABELS: dict[str, str] = {
    "1A": "Individual – family member, relative or carer",
    "1B": "Individual – acquaintance (including neighbours and child minders)",
    "1C": "Individual – self", "1D": "Individual – other (including strangers)",
    "2A": "Schools", "2B": "Education services",
    "3A": "Health services – general practitioner (GP)", "3B": "Health services – health visitor",
    "3C": "Health services – school nurse", "3D": "Health services – other primary health services",
    "3E": "Health services – A&E (accident and emergency department)",
    "3F": "Health services – other (for example hospice)",
    "4": "Housing – local authority housing or housing association",
    "5A": "LA services – social care, for example adults social care services",
    "5B": "LA services – other internal, for example youth offending (excluding housing)",
    "5C": "LA services – external, for example another local authority's adults social care services",
    "5D": "LA services – early help", "6": "Police",
    "7": "Other legal agency – including courts, probation, immigration, CAFCASS or prison",
    "8": "Other – including children's centres, independent agency providers or voluntary organisations",
    "9": "Anonymous", "10": "Unknown",
}

AGENCY_LABELS: dict[str, str] = {
    "individual": "Individual", "education": "Education", "health": "Health", "housing": "Housing",
    "la-services": "Local authority services", "police": "Police", "legal": "Other legal agency",
    "other": "Other", "anonymous": "Anonymous", "unknown": "Unknown",
}

#: CIN ``FactorsIdentifiedAtAssessment`` (DOMAIN.md 5.2), shortened where the census text is long.
PRESENTING_FACTORS: dict[str, str] = {
    "1A": "Alcohol misuse – child", "1B": "Alcohol misuse – parent or carer",
    "1C": "Alcohol misuse – other person in the household",
    "2A": "Drug misuse – child", "2B": "Drug misuse – parent or carer",
    "2C": "Drug misuse – other person in the household",
    "3A": "Domestic violence – child the subject", "3B": "Domestic violence – parent or carer the subject",
    "3C": "Domestic violence – other person in the household the subject",
    "4A": "Mental health – child", "4B": "Mental health – parent or carer",
    "4C": "Mental health – other person in the family or household",
    "5A": "Learning disability – child", "5B": "Learning disability – parent or carer",
    "5C": "Learning disability – other person in the family or household",
    "6A": "Physical disability or illness – child", "6B": "Physical disability or illness – parent or carer",
    "6C": "Physical disability or illness – other person in the family or household",
    "7A": "Young carer",
    "8B": "Privately fostered – overseas child intending to return",
    "8C": "Privately fostered – overseas child intending to stay",
    "8D": "Privately fostered – UK child in an educational placement",
    "8E": "Privately fostered – UK child in alternative family arrangements",
    "8F": "Privately fostered – other",
    "9A": "Unaccompanied asylum-seeking child", "10A": "Going or being missing",
    "11A": "Child sexual exploitation", "12A": "Trafficking", "13A": "Gangs",
    "14A": "Socially unacceptable behaviour", "15A": "Self-harm",
    "16A": "Neglect", "17A": "Emotional abuse",
    "18B": "Physical abuse – child on child", "18C": "Physical abuse – adult on child",
    "19B": "Sexual abuse – child on child", "19C": "Sexual abuse – adult on child",
    "20": "Other", "21": "No factors identified", "22A": "Female genital mutilation",
    "23A": "Abuse linked to faith or belief", "24A": "Child criminal exploitation",
}

#: CIN ``GenderCurrent``.
GENDERS: dict[str, str] = {"1": "Male", "2": "Female", "0": "Not recorded or unborn", "9": "Indeterminate"}


@dataclass(frozen=True)
class OutcomeCodes:
    """How one front-door decision is counted: SSD contact outcome flag, whether it is a CIN referral,
    and the census ``ReferralNFA`` where a referral was opened."""

    label: str
    ssd_flag: str
    is_referral: bool
    referral_nfa: bool | None = None


#: How each outcome (app.core.vocabulary.OUTCOME_LABELS) is counted in the census (DOMAIN.md 4):
#: SSD contact outcome flag, CIN referral, and ``ReferralNFA`` where a referral was opened.
_CENSUS: dict[str, tuple[str, bool, bool | None]] = {
    "nfa": ("NFA_FLAG", False, None),
    "advice": ("ADVICE_FLAG", False, None),
    "early-help": ("OTHER_OUTCOMES_EXIST_FLAG", False, None),
    "s17-assessment": ("NEW_REFERRAL_FLAG", True, False),
    "strategy-discussion": ("CP_ENQUIRY_FLAG", True, False),
    "marac": ("OTHER_OUTCOMES_EXIST_FLAG", False, None),
    "lado": ("OTHER_OUTCOMES_EXIST_FLAG", False, None),
    "adult-safeguarding": ("OTHER_OUTCOMES_EXIST_FLAG", False, None),
    EXISTING_OPEN_CASE: ("EXISTING_REFERRAL_FLAG", False, None),
}
#: Every outcome with its label and census codes, in the vocabulary's order (a missing mapping fails at import).
OUTCOMES: dict[str, OutcomeCodes] = {
    code: OutcomeCodes(label, *_CENSUS[code]) for code, label in OUTCOME_LABELS.items()
}


def is_referral(outcome: str | None) -> bool:
    """A contact that became a CIN referral: the census's unit for re-referrals within 12 months."""
    codes = OUTCOMES.get(outcome or "")
    return bool(codes and codes.is_referral)


def source_agency(source: str | None) -> str:
    return SOURCE_AGENCY.get(source or "", "unknown")


#: Decision outcomes that are CIN referrals (the census unit for re-referrals and Annex A list 3).
REFERRAL_OUTCOMES = frozenset(code for code, codes in OUTCOMES.items() if codes.is_referral)

#: The outcomes a contact "converts" to, per source (DOMAIN.md 7: % NFA / early help / assessment / strategy).
CONVERSION_OUTCOMES: dict[str, str] = {
    "nfa": "No further action", "early-help": "Early help", "s17-assessment": "Assessment",
    "strategy-discussion": "Strategy discussion",
}

#: How a contact reached the hub (Contact.channel).
CHANNELS: dict[str, str] = {"web": "Online form", "api": "Partner system (API)"}

#: Subject roles that are children: the census counts referrals per child.
CHILD_ROLES = frozenset({"child", "unborn"})


def contact_outcome(outcome: str | None, closure: str | None) -> str | None:
    """The census outcome of a contact: the decision, or "existing-open-case" when it went to an open case."""
    if closure == EXISTING_OPEN_CASE_CLOSURE:
        return EXISTING_OPEN_CASE
    return outcome


# ----------------------------------------------------------------------------- Ofsted Annex A
#: Annex A's "Contact Source" / "Referral Source" categories, as its template writes them.
ANNEX_A_SOURCES: dict[str, str] = {
    "1A": "a) 1A: Individual", "1B": "b) 1B: Individual", "1C": "c) 1C: Individual", "1D": "d) 1D: Individual",
    "2A": "e) 2A: Schools", "2B": "f) 2B: Education services",
    "3A": "g) 3A: Health services", "3B": "h) 3B: Health services", "3C": "i) 3C: Health services",
    "3D": "j) 3D: Health services", "3E": "k) 3E: Health services", "3F": "l) 3F: Health services",
    "4": "m) 4: Housing", "5A": "n) 5A: LA services", "5B": "o) 5B: LA services", "5C": "p) 5C: LA services",
    "5D": "p1) 5D: LA services", "6": "q) 6: Police", "7": "r) 7: Other legal agency", "8": "s) 8: Other",
    "9": "t) 9: Anonymous", "10": "u) 10: Unknown",
}
#: Annex A gender categories from the CIN ``GenderCurrent`` code (indeterminate is "not stated" there).
ANNEX_A_GENDERS: dict[str, str] = {"1": "a) Male", "2": "b) Female", "0": "c) Not stated/recorded",
                                   "9": "c) Not stated/recorded"}
ANNEX_A_GENDER_UNKNOWN = "c) Not stated/recorded"
#: Annex A ethnicity categories from the CIN codes (DOMAIN.md 5.7).
ANNEX_A_ETHNICITIES: dict[str, str] = {
    code: f"{letter}) {code}" for letter, code in zip(
        "abcdefghijklmnopqrs", ("WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
                               "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU"), strict=True)
} | {"NOBT": "s) NOBT"}
ANNEX_A_ETHNICITY_UNKNOWN = "s) NOBT"
