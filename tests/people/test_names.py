"""How the index reads names, postcodes and NHS numbers before comparing people."""
from __future__ import annotations

import json

import pytest

from app.core.codes import GENDERS
from app.core.config import PROJECT_ROOT
from app.people.names import (
    are_variants,
    family_key,
    given_key,
    is_valid_nhs_number,
    normalise_name,
    normalise_nhs_number,
    postcode_of,
)


def test_names_lose_case_accents_punctuation_and_spacing():
    assert normalise_name("  Zoë  O'Brien-Smith ") == "zoe o brien smith"
    assert normalise_name("JOSÉ") == normalise_name("jose")


@pytest.mark.parametrize(("a", "b"), [("Bob", "Robert"), ("Liz", "Elizabeth"), ("Mohammed", "Muhammad"),
                                  ("Mohamed", "Mohammed"), ("Jon", "John"), ("Jon", "Jonathan")])
def test_nicknames_and_spellings_of_one_name_are_variants(a, b):
    assert are_variants(normalise_name(a), normalise_name(b))


def test_unrelated_names_are_not_variants():
    assert not are_variants("john", "robert") and not are_variants("ava", "ava")


def test_blocking_keys_bring_sound_alikes_and_nicknames_together():
    assert family_key("Smyth") == family_key("Smith")
    assert family_key("O'Connor") == family_key("OConnor")
    assert given_key("Bob") == given_key("Robert") == given_key("ROBBIE")
    assert given_key("Mohamed") == given_key("Muhammad")
    assert given_key("Ava") != given_key("Mia")


@pytest.mark.parametrize(("address", "postcode"), [
    ("1 High Street, London E1 7AA", "E17AA"), ("flat 2, sw1a 1aa", "SW1A1AA"), ("12 Park Rd\nLeeds LS6 2QT", "LS62QT"),
    ("1 High Street", None), (None, None)])
def test_postcodes_come_out_of_addresses(address, postcode):
    assert postcode_of(address) == postcode


@pytest.mark.parametrize(("number", "valid"), [("9434765919", True), ("9434765918", False), ("4010232137", True),
                                           ("401023213", False), ("94347659AB", False)])
def test_nhs_numbers_are_checked_with_modulus_11(number, valid):
    assert is_valid_nhs_number(number) is valid


def test_nhs_numbers_are_read_without_spaces():
    assert normalise_nhs_number(" 943 476 5919 ") == "9434765919" and normalise_nhs_number("") is None


def test_the_contact_form_offers_the_census_gender_codes():
    form = json.loads((PROJECT_ROOT / "forms" / "contact.json").read_text())
    gender = form["properties"]["subjects"]["items"]["properties"]["gender"]
    assert gender["x-ui"]["labels"] == GENDERS and sorted(gender["enum"]) == sorted(GENDERS)
