"""How the person index reads names, dates, postcodes and NHS numbers before it compares two people.

Everything here is a pure function so matching, intake, search and the benchmark share one reading.
"""
from __future__ import annotations

import re
import unicodedata

import jellyfish

#: Given names that are the same name to the people who use them. A name may sit in several groups
#: ("jon" is short for John and for Jonathan); the first group a name appears in gives its blocking key.
NAME_VARIANTS: tuple[tuple[str, ...], ...] = (
    ("john", "jon", "johnny", "jonny", "jack", "johnnie"),
    ("jonathan", "jon", "jonny", "jonathon"),
    ("robert", "bob", "bobby", "rob", "robbie", "robby", "bert"),
    ("william", "will", "bill", "billy", "willie", "willy", "liam"),
    ("elizabeth", "liz", "lizzie", "lizzy", "beth", "betty", "eliza", "libby", "elisabeth", "bess"),
    ("mohammed", "muhammad", "mohamed", "mohammad", "muhammed", "mohamad", "mohammod", "mohd", "mo"),
    ("alexander", "alex", "alec", "sandy", "xander"),
    ("alexandra", "alex", "alexa", "lexi", "sandra"),
    ("andrew", "andy", "drew"),
    ("anthony", "tony", "antony"),
    ("benjamin", "ben", "benji", "benny"),
    ("catherine", "katherine", "kathryn", "katharine", "kate", "katie", "katy", "cathy", "kathy", "kat"),
    ("charles", "charlie", "chas"),
    ("christopher", "chris", "kit"),
    ("christine", "christina", "chris", "tina"),
    ("daniel", "dan", "danny"),
    ("david", "dave", "davey", "davy"),
    ("edward", "ed", "eddie", "ted", "ned"),
    ("emily", "em", "emmy"),
    ("frederick", "fred", "freddie", "freddy"),
    ("henry", "harry", "hal"),
    ("james", "jim", "jimmy", "jamie"),
    ("jennifer", "jen", "jenny"),
    ("joseph", "joe", "joey"),
    ("joshua", "josh"),
    ("margaret", "maggie", "meg", "peggy", "margo"),
    ("matthew", "matt", "matty"),
    ("michael", "mike", "mikey", "mick", "mickey"),
    ("nicholas", "nick", "nicky", "nico"),
    ("nathaniel", "nathan", "nate"),
    ("oliver", "ollie", "olly"),
    ("olivia", "liv", "livvy"),
    ("patrick", "pat", "paddy"),
    ("peter", "pete"),
    ("rebecca", "becky", "becca"),
    ("richard", "rich", "rick", "ricky", "dick"),
    ("samuel", "sam", "sammy"),
    ("samantha", "sam", "sammie"),
    ("stephen", "steven", "steve", "stevie"),
    ("susan", "sue", "susie", "suzanne"),
    ("thomas", "tom", "tommy"),
    ("tobias", "toby"),
    ("victoria", "vicky", "vikki", "tori"),
    ("zachary", "zach", "zack"),
    ("abigail", "abby", "abbie"),
    ("isabella", "isabel", "isobel", "izzy", "bella"),
    ("amelia", "millie", "milly"),
    ("sophia", "sophie"),
    ("yusuf", "yousef", "youssef", "yusef"),
    ("ibrahim", "ebrahim"),
    ("fatima", "fatimah", "fatma"),
    ("aisha", "ayesha", "aysha"),
)

_GROUPS: dict[str, set[int]] = {}
for _number, _group in enumerate(NAME_VARIANTS):
    for _name in _group:
        _GROUPS.setdefault(_name, set()).add(_number)

#: A UK postcode anywhere in a line of address: outward code, optional space, inward code.
_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\b")
_KEY_LENGTH = 16


def normalise_name(name: str | None) -> str:
    """'  Zoë  O'Brien-Smith' -> 'zoe o brien smith': case, accents, punctuation and spacing do not count."""
    letters = "".join(c for c in unicodedata.normalize("NFKD", name or "") if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", letters.casefold()).split())


def first_name(name: str | None) -> str:
    """The first word of a normalised name: 'Mary Jane' is looked up as 'mary'."""
    words = normalise_name(name).split()
    return words[0] if words else ""


def variant_groups(name: str) -> set[int]:
    """The nickname groups a normalised single name belongs to (empty when it has none)."""
    return _GROUPS.get(name, set())


def are_variants(a: str, b: str) -> bool:
    """'bob' and 'robert', 'mohamed' and 'muhammad': the same given name in another form."""
    return a != b and bool(variant_groups(a) & variant_groups(b))


def sound_key(name: str) -> str:
    """The Metaphone code of a normalised name with its spaces closed up ('o connor' -> 'OKNR')."""
    joined = name.replace(" ", "")
    return jellyfish.metaphone(joined)[:_KEY_LENGTH] if joined else ""


def given_key(given_name: str | None) -> str:
    """Blocking key of a given name: its first word, read as its usual full form, by sound."""
    first = first_name(given_name)
    groups = variant_groups(first)
    return sound_key(NAME_VARIANTS[min(groups)][0] if groups else first)


def family_key(family_name: str | None) -> str:
    """Blocking key of a family name: the whole name by sound (hyphens and spaces closed up)."""
    return sound_key(normalise_name(family_name))


def postcode_of(address: str | None) -> str | None:
    """The last UK postcode in an address, upper case without spaces: '1 High St, London e1 7aa' -> 'E17AA'."""
    found = _POSTCODE.findall((address or "").upper())
    return "".join(found[-1]) if found else None


def normalise_nhs_number(value: str | None) -> str | None:
    """'943 476 5919' -> '9434765919'; None when nothing was given."""
    digits = re.sub(r"[\s-]", "", value or "")
    return digits or None


def is_valid_nhs_number(value: str) -> bool:
    """Ten digits whose last is the modulus 11 check digit of the first nine (NHS Data Dictionary)."""
    if not re.fullmatch(r"[0-9]{10}", value):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(value[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(value[9])
