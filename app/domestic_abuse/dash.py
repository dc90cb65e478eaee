"""The 27 questions of the DASH risk identification checklist (ACPO DASH 2009, as police forces and SafeLives use
it), in order. Keys q1..q27 are what the notification stores; the form (forms/domestic_abuse_notification.json) asks
them in these words. ``escalation`` and ``pregnancy`` are read from the questions that ask them."""
from __future__ import annotations

from typing import Final

DASH_QUESTIONS: tuple[str, ...] = (
    "Has the current incident resulted in injury?",
    "Is the victim very frightened?",
    "Is the victim afraid of further injury or violence?",
    ("Does the victim feel isolated from family or friends (does the abuser try to stop them seeing friends, "
     "family, a doctor or others)?"),
    "Is the victim feeling depressed or having suicidal thoughts?",
    "Has the victim separated or tried to separate from the abuser within the past year?",
    "Is there conflict over child contact?",
    "Does the abuser constantly text, call, contact, follow, stalk or harass the victim?",
    "Is the victim pregnant or have they had a baby in the last 18 months?",
    "Are there any children or step-children in the household who are not the abuser's, or other dependants?",
    "Has the abuser ever hurt the children or dependants?",
    "Has the abuser ever threatened to hurt or kill the children or dependants?",
    "Is the abuse happening more often?",
    "Is the abuse getting worse?",
    "Does the abuser try to control everything the victim does, or are they excessively jealous?",
    "Has the abuser ever used weapons or objects to hurt the victim?",
    "Has the abuser ever threatened to kill the victim or someone else, and the victim believed them?",
    "Has the abuser ever attempted to strangle, choke, suffocate or drown the victim?",
    ("Does the abuser do or say things of a sexual nature that make the victim feel bad or that physically hurt "
     "them or someone else?"),
    "Is there any other person who has threatened the victim or whom the victim is afraid of?",
    "Does the victim know if the abuser has hurt anyone else?",
    "Has the abuser ever mistreated an animal or the family pet?",
    ("Are there any financial issues (is the victim dependent on the abuser for money, has the abuser recently lost "
     "their job)?"),
    ("Has the abuser had problems in the past year with drugs, alcohol or mental health leading to problems in "
     "leading a normal life?"),
    "Has the abuser ever threatened or attempted suicide?",
    ("Has the abuser ever broken bail, an injunction or a formal agreement about when they can see the victim or "
     "the children?"),
    "Does the victim know if the abuser has ever been in trouble with the police or has a criminal history?",
)
DASH_KEYS: tuple[str, ...] = tuple(f"q{number}" for number in range(1, len(DASH_QUESTIONS) + 1))
ANSWERS: tuple[str, ...] = ("yes", "no", "not-known")
RISK_LEVELS: tuple[str, ...] = ("standard", "medium", "high")
#: "Is the abuse happening more often?" and "Is the abuse getting worse?"
ESCALATION_KEYS: Final = ("q13", "q14")
PREGNANCY_KEY: Final = "q9"


def ticks(answers: dict[str, str]) -> int:
    """How many questions were answered yes (the DASH "ticks": 14 or more is visible high risk)."""
    return sum(1 for key in DASH_KEYS if answers.get(key) == "yes")


def escalation(answers: dict[str, str]) -> bool:
    return any(answers.get(key) == "yes" for key in ESCALATION_KEYS)


def pregnancy(answers: dict[str, str]) -> bool:
    return answers.get(PREGNANCY_KEY) == "yes"
